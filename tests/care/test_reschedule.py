"""An agent moves a delivery to another feasible window on the customer's behalf; capacity moves with it."""

import datetime as dt

import pytest
from django.test import Client

from dispatch.models import Shift
from scheduling.models import Delivery, Window
from scheduling.services import delivery_create_for_seed
from tests.care.conftest import TOMORROW
from tests.factories import ShiftFactory, VehicleFactory, local

pytestmark = pytest.mark.django_db


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

    assert response.status_code == 400
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


def test_the_agent_and_the_customer_are_offered_the_same_windows_for_a_bulky_delivery(console, windows, depot):
    morning = windows.get(date=TOMORROW, label="standard")
    delivery = delivery_create_for_seed(
        merchant=morning.merchant, window=morning, order_ref="FB-2", recipient_name="Camille", size="bulky",
        address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004", lat=48.8556, lng=2.3600)
    # The day after, only small vans work: none carries a 90 kg parcel.
    light_day = TOMORROW + dt.timedelta(days=1)
    Shift.objects.filter(date=light_day).delete()
    van = VehicleFactory(depot=depot, capacity_weight_kg=60)
    ShiftFactory(vehicle=van, depot=depot, date=light_day, starts_at=local(light_day, 8), ends_at=local(light_day, 20))

    agent_page = console.get(f"/care/deliveries/{delivery.pk}/")
    customer_page = Client().get(f"/t/{delivery.tracking_token}/reschedule/")

    for_agent = [pk for pk, _label in agent_page.context["reschedule_form"].fields["window_id"].choices]
    for_customer = [offer.window.pk for offer in customer_page.context["offers"]]
    assert for_agent == for_customer == [windows.get(date=TOMORROW, label="evening").pk] + [
        w.pk for w in windows.filter(date=TOMORROW + dt.timedelta(days=2))]
