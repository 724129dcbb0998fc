"""An agent moves a delivery to another feasible window on the customer's behalf; capacity moves with it."""

import datetime as dt

import pytest

from scheduling.models import Delivery, Window
from scheduling.services import delivery_create_for_seed, windows_materialize
from tests.care.conftest import TODAY, TOMORROW, add_shifts
from tests.factories import MerchantFactory, WindowTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def windows(zone, depot, frozen_now):
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    WindowTemplateFactory(merchant=merchant, zone=zone, start_time=dt.time(10), end_time=dt.time(12), max_stops=10)
    WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                          end_time=dt.time(20), max_stops=10)
    add_shifts(depot, [TOMORROW + dt.timedelta(days=i) for i in range(3)])
    windows_materialize(merchant=merchant, start=TODAY, days=4)
    return merchant.windows.order_by("starts_at")


@pytest.fixture
def delivery(windows):
    morning = windows.get(date=TOMORROW, label="standard")
    return delivery_create_for_seed(merchant=morning.merchant, window=morning, order_ref="FB-1", recipient_name="Camille",
                                    address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                                    lat=48.8556, lng=2.3600)


def test_an_agent_reschedules_on_the_customers_behalf_and_capacity_moves(console, windows, delivery):
    morning = Window.objects.get(pk=delivery.window_id)
    evening = windows.get(date=TOMORROW, label="evening")
    assert (morning.booked, evening.booked) == (1, 0)

    page = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    assert f'value="{evening.pk}"' in page and f'value="{morning.pk}"' not in page  # its own window is not offered

    response = console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk}, follow=True)

    assert "Moved to" in response.content.decode() and "18:00–20:00" in response.content.decode()
    assert Window.objects.get(pk=morning.pk).booked == 0
    assert Window.objects.get(pk=evening.pk).booked == 1
    assert Delivery.objects.get(pk=delivery.pk).window_id == evening.pk


def test_a_full_window_is_refused_nicely_and_nothing_moves(console, windows, delivery):
    evening = windows.get(date=TOMORROW, label="evening")
    offered = console.get(f"/care/deliveries/{delivery.pk}/")
    assert offered.status_code == 200
    Window.objects.filter(pk=evening.pk).update(capacity=0)

    response = console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk}, follow=True)

    assert response.status_code == 200
    assert "no longer offered" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).window_id == delivery.window_id
    assert Window.objects.get(pk=delivery.window_id).booked == 1


def test_a_delivered_order_cannot_be_moved(console, windows, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED)
    page = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    assert "cannot be moved" in page
    evening = windows.get(date=TOMORROW, label="evening")
    console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk})
    assert Window.objects.get(pk=evening.pk).booked == 0
