import datetime as dt

import pytest

from tests.factories import DeliveryFactory, MerchantFactory, WindowFactory, WindowTemplateFactory, local

# The merchant's owner, signed in, for the settings tabs of this app.
from tests.merchants.conftest import as_owner, owner  # noqa: F401

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

# Tuesday 2 June 2026, 10:00 in Paris: daytime, outside quiet hours.
NOON_DAY = dt.date(2026, 6, 2)
DAYTIME = local(NOON_DAY, 10)


@pytest.fixture(autouse=True)
def _phones_are_the_outbox(sms_outbox):
    """Every messaging test sends SMS and WhatsApp to the in-process outbox (tests/conftest.py)."""
    return sms_outbox


@pytest.fixture
def shop(db):
    return MerchantFactory(slug="fresh-basket", name="Fresh Basket", brand_name="Fresh Basket",
                           primary_colour="#2e7d32", accent_colour="#1b5e20", email_from="hello@freshbasket.example",
                           support_phone="+33140000000")


def make_delivery(shop, *, day=NOON_DAY + dt.timedelta(days=1), start=10, end=12, **fields):
    window_template = WindowTemplateFactory(merchant=shop, start_time=dt.time(start), end_time=dt.time(end))
    window = WindowFactory(template=window_template, date=day)
    return DeliveryFactory(window=window, **fields)


@pytest.fixture
def delivery(shop):
    """Camille, who gave a mobile number and an email, books Wednesday 10:00–12:00."""
    return make_delivery(shop, recipient_name="Camille Durand", recipient_phone="+33612345678",
                         recipient_email="camille@example.com", access_notes="Door code 4521B")


@pytest.fixture
def receiver():
    """A merchant's webhook receiver listening on a local port (tests/notifications/webhook_receiver.py)."""
    from tests.notifications.webhook_receiver import Receiver

    receiver = Receiver().start()
    yield receiver
    receiver.stop()
