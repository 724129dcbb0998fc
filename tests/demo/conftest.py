"""A customer who booked and whose parcel is on its way, and the messages that told her so."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from notifications.models import Trigger
from notifications.services import delivery_notify
from tests.factories import DeliveryFactory, MerchantFactory, WindowFactory, WindowTemplateFactory, local

# Tuesday 2 June 2026, 10:00 in Paris: daytime, so nothing waits for quiet hours to end.
DAY = dt.date(2026, 6, 2)
DAYTIME = local(DAY, 10)


@pytest.fixture
def fresh_basket(db):
    return MerchantFactory(slug="fresh-basket", name="Fresh Basket", brand_name="Fresh Basket",
                           primary_colour="#2e7d32", accent_colour="#1b5e20", email_from="hello@freshbasket.example",
                           support_phone="+33140000000")


def make_delivery(merchant, **fields):
    template = WindowTemplateFactory(merchant=merchant, start_time=dt.time(10), end_time=dt.time(12))
    return DeliveryFactory(window=WindowFactory(template=template, date=DAY), **fields)


def notify(delivery, trigger, capture):
    """The journey moment as the product sends it: queued, then sent once the transaction commits."""
    with capture(execute=True):
        delivery_notify(delivery=delivery, trigger=trigger, event_key=f"{trigger}:{delivery.pk}")


@pytest.fixture
def camille(fresh_basket, clock_at, sms_outbox, django_capture_on_commit_callbacks):
    """Camille booked Tuesday 10:00–12:00 with a phone and an email; the van has left with her parcel."""
    clock_at(DAYTIME)
    delivery = make_delivery(fresh_basket, order_ref="FB-20931", recipient_name="Camille Durand",
                             recipient_phone="+33612345678", recipient_email="camille@example.com")
    notify(delivery, Trigger.BOOKED, django_capture_on_commit_callbacks)
    notify(delivery, Trigger.OUT_FOR_DELIVERY, django_capture_on_commit_callbacks)
    return delivery


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("demo", "demo@example.com", "demo")


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("mallory", "m@example.com", "pw", is_staff=False)
