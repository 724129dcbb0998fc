# The scheduling suite's fleet, windows and fixed clock serve the checks of what a booking logs and counts.
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
