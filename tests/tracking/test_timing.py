"""The tracking page says so when the promise slips: running late, planned late, delivered late, missed."""

import datetime as dt

import pytest
from django.urls import reverse

from dispatch.models import Stop
from scheduling.models import Delivery
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import EtaSnapshot, Event
from tracking.services import event_record, scan_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(monkeypatch):
    world = build_route()
    moment = [local(world.day, 8, 30)]
    monkeypatch.setattr("core.clock.now", lambda: moment[0])
    world.clock = moment
    return world


def scan_out(world, at):
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=at, now=world.clock[0])


def estimate(world, delivery, stop, eta):
    EtaSnapshot.objects.create(
        delivery=delivery, stop=stop, computed_at=world.clock[0] + dt.timedelta(seconds=1), eta=eta,
        band_start=eta - dt.timedelta(minutes=6), band_end=eta + dt.timedelta(minutes=8), stops_away=2)


def page(client, delivery, lang="en"):
    return client.get(reverse("tracking:page", args=[delivery.tracking_token]) + f"?lang={lang}").content.decode()


def test_an_estimate_after_the_window_says_we_are_running_late_with_the_new_time(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery, stop = world.deliveries[2], world.stops[2]
    estimate(world, delivery, stop, local(world.day, 12, 25))

    html = page(client, delivery)
    status = client.get(reverse("tracking:status", args=[delivery.tracking_token]) + "?lang=en").json()

    assert 'data-kind="running_late"' in html
    assert "we now expect to reach you around 12:25, after your 08:00–12:00 window" in html
    assert status["timing"]["kind"] == "running_late"
    # The same sentence rides on every live estimate, so the page changes without a reload.
    assert "12:25" in status["eta"]["late_label"]


def test_an_estimate_inside_the_window_says_nothing_about_lateness(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery, stop = world.deliveries[2], world.stops[2]
    estimate(world, delivery, stop, local(world.day, 11, 50))

    html = page(client, delivery)
    status = client.get(reverse("tracking:status", args=[delivery.tracking_token])).json()

    assert 'data-kind="running_late"' not in html and "we now expect" not in html
    assert status["timing"] is None and status["eta"]["late_label"] == ""


def test_a_plan_that_reaches_the_address_after_the_window_is_told_while_the_customer_can_still_move_it(client, world):
    world.clock[0] = local(world.day - dt.timedelta(days=1), 20, 0)
    delivery = world.deliveries[3]
    Stop.objects.filter(pk=world.stops[3].pk).update(planned_arrival=local(world.day, 12, 40),
                                                      planned_departure=local(world.day, 12, 44))

    html = page(client, delivery)

    assert "Likely to be late" in html
    assert "planned to reach you around 12:40, after your 08:00–12:00 window" in html
    assert f"/t/{delivery.tracking_token}/reschedule/" in html


def test_a_late_delivery_says_how_late_why_and_sorry(client, world):
    # The van left at 10:30 for a route planned from 08:00: that is why it was late.
    scan_out(world, local(world.day, 10, 30))
    delivery = world.deliveries[0]
    world.clock[0] = local(world.day, 12, 20)
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=delivery.job_id,
                recorded_at=local(world.day, 12, 16), recipient_name="Jade", now=world.clock[0])

    html = page(client, delivery)

    assert "Sorry we were late" in html
    assert "Your parcel arrived at 12:16, 16 minutes after your 08:00–12:00 window." in html
    assert "the van left the depot late" in html


def test_a_delivery_on_time_has_no_apology(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery = world.deliveries[0]
    world.clock[0] = local(world.day, 9, 0)
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=delivery.job_id,
                recorded_at=local(world.day, 8, 20), now=world.clock[0])

    assert "Sorry we were late" not in page(client, delivery)


def test_a_missed_delivery_apologises_with_the_reason_and_offers_another_time(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery = world.deliveries[1]
    world.clock[0] = local(world.day, 9, 0)
    scan_record(driver=world.driver, kind="attempted", client_id="a1", job_id=delivery.job_id, reason="nobody_home",
                recorded_at=local(world.day, 8, 45), now=world.clock[0])
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.ATTEMPTED

    html = page(client, delivery)
    french = page(client, delivery, lang="fr")

    assert "Sorry we missed you" in html
    assert "We are sorry we could not deliver your parcel: nobody was home." in html
    assert f"/t/{delivery.tracking_token}/reschedule/" in html
    assert "Désolés de vous avoir manqué" in french


def test_the_timeline_dates_a_step_from_another_day_and_not_one_from_today(client, world):
    delivery = world.deliveries[0]
    yesterday = local(world.day - dt.timedelta(days=1), 19, 30)
    Delivery.objects.filter(pk=delivery.pk).update(created_at=yesterday)
    Event.objects.filter(delivery=delivery).update(recorded_at=yesterday)
    scan_out(world, local(world.day, 8, 0))
    event_record(delivery=delivery, milestone="arriving", source="system", recorded_at=local(world.day, 8, 25))

    steps = client.get(reverse("tracking:status", args=[delivery.tracking_token]) + "?lang=en").json()["timeline"]

    assert steps[0]["at_label"].endswith(", 19:30") and len(steps[0]["at_label"]) > len("19:30")
    assert steps[1]["at_label"] == "08:00"


def test_a_dated_step_reads_as_its_language_writes_a_short_date(client, world):
    delivery = world.deliveries[0]
    booked = local(dt.date(2026, 6, 1), 19, 30)
    Delivery.objects.filter(pk=delivery.pk).update(created_at=booked)
    Event.objects.filter(delivery=delivery).update(recorded_at=booked)

    def first_label(lang: str) -> str:
        url = reverse("tracking:status", args=[delivery.tracking_token]) + f"?lang={lang}"
        return client.get(url).json()["timeline"][0]["at_label"]

    assert first_label("en") == "Mon 1 Jun, 19:30"
    # Not "lun 1 Jui": French abbreviates with a full stop, in lower case, and June is "juin".
    assert first_label("fr") == "lun. 1 juin, 19:30"


def test_hours_late_are_said_in_hours_and_minutes(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery = world.deliveries[0]
    world.clock[0] = local(world.day, 17, 30)
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=delivery.job_id,
                recorded_at=local(world.day, 17, 17), now=world.clock[0])

    assert "Your parcel arrived at 17:17, 5 h 17 min after your 08:00–12:00 window." in page(client, delivery)


def test_a_van_running_late_lets_its_customers_choose_another_time_from_the_page(client, world):
    from tracking.services.etas import eta_refresh_route

    scan_out(world, local(world.day, 8, 0))
    world.clock[0] = local(world.day, 11, 50)  # the van has not left the depot's street, its stops still ahead
    world.vehicle.last_lat, world.vehicle.last_lng = world.depot.lat, world.depot.lng
    world.vehicle.last_seen_at = world.clock[0]
    world.vehicle.save()
    delivery = world.deliveries[3]

    eta_refresh_route(route=world.route, now=world.clock[0], publish=False)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.OUT_FOR_DELIVERY and delivery.running_late_eta is not None
    html = page(client, delivery)
    assert 'data-kind="running_late"' in html
    assert f'<p data-field="timing_reschedule"><a class="btn" href="/t/{delivery.tracking_token}/reschedule/' in html
    reschedule = client.get(reverse("scheduling:reschedule", args=[delivery.tracking_token]))
    assert b"If another time suits you better" in reschedule.content


def test_a_van_on_time_keeps_the_choice_hidden_until_an_estimate_says_late(client, world):
    scan_out(world, local(world.day, 8, 0))
    delivery, stop = world.deliveries[2], world.stops[2]
    estimate(world, delivery, stop, local(world.day, 11, 30))

    html = page(client, delivery)

    # Ready for the live estimate to reveal, but not offered: the server would refuse the move now.
    assert '<p data-field="timing_reschedule" hidden>' in html
