# The scheduling fixtures (a fleet, a merchant's windows, a fixed clock) serve the SMS conversations too.
from tests.scheduling.conftest import (  # noqa: F401
    depot,
    evening_template,
    fleet,
    frozen_now,
    template,
    tomorrow_window,
    windows,
    zone,
)
