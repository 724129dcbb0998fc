"""The messages that come before the customer worries: running late (before the window is missed) and arriving soon."""

import datetime as dt

import pytest
from django.db.models import Count

from notifications.models import MerchantMessaging, Message, Trigger
from tests.factories import MerchantFactory, local
from tests.tracking.factories import build_route
from tracking.models import EtaSnapshot
from tracking.services import eta_refresh_route, scan_record

pytestmark = pytest.mark.django_db

# Tuesday 2 June 2026 in Paris. The van leaves at 08:00 for a 08:00–10:00 window.
DAY = dt.date(2026, 6, 2)
SIX_STOPS = [(48.8600, 2.3400), (48.8650, 2.3500), (48.8700, 2.3600), (48.8750, 2.3700), (48.8800, 2.3800),
             (48.8850, 2.3900)]


def legs_of(minutes: int):
    """Every leg between two places takes this long: ten is a free road, forty a jam."""
    return lambda origin, destination, departure: 0.0 if origin == destination else minutes * 60.0


@pytest.fixture
def world(settings):
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    shop = MerchantFactory(slug="fresh-basket", name="Fresh Basket", brand_name="Fresh Basket")
    return build_route(day=DAY, points=SIX_STOPS, window_hours=(8, 10), merchant=shop)


@pytest.fixture
def refresh(world, clock_at, django_capture_on_commit_callbacks):
    """Refresh the route's ETAs at `hour:minute` with legs of `leg_minutes`, on that clock, and send what follows."""

    def run(hour: int, minute: int, *, leg_minutes: int) -> list[EtaSnapshot]:
        now = clock_at(local(DAY, hour, minute))
        with django_capture_on_commit_callbacks(execute=True):
            return eta_refresh_route(route=world.route, now=now, leg_seconds=legs_of(leg_minutes))

    return run


def scan_out(world, clock_at, capture, hour=8, minute=0) -> None:
    now = clock_at(local(DAY, hour, minute))
    with capture(execute=True):
        scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=now, now=now)


def eta_of(delivery) -> dt.datetime:
    return EtaSnapshot.objects.filter(delivery=delivery).latest("computed_at", "id").eta


def sms_of(trigger) -> list[Message]:
    return list(Message.objects.filter(trigger=trigger, channel="sms").select_related("delivery__window"))


def paris_time(moment: dt.datetime) -> str:
    return moment.astimezone(local(DAY, 0).tzinfo).strftime("%H:%M")


# --- Running late ---------------------------------------------------------------------------------


def test_a_jam_warns_the_customers_it_makes_late_before_their_window_ends(world, refresh, sms_outbox):
    refresh(8, 5, leg_minutes=10)
    assert sms_of(Trigger.RUNNING_LATE) == []  # on a free road all six stops fit the window

    refresh(8, 20, leg_minutes=40)

    late = [d for d in world.deliveries if eta_of(d) > world.window.ends_at + dt.timedelta(minutes=10)]
    on_time = [d for d in world.deliveries if d not in late]
    assert late and on_time  # the jam makes the last stops late, not the first
    warned = sms_of(Trigger.RUNNING_LATE)
    assert {m.delivery_id for m in warned} == {d.pk for d in late}
    for message in warned:
        assert message.status == Message.Status.SENT
        assert message.sent_at == local(DAY, 8, 20) < message.delivery.window.ends_at
        assert f"about {paris_time(eta_of(message.delivery))}" in message.body
        assert f"https://deliveries.example.com/t/{message.delivery.tracking_token}/reschedule/" in message.body
        assert message.to in {sms.to for sms in sms_outbox}


def test_a_delivery_already_warned_is_not_warned_again_as_the_jam_goes_on(world, refresh, sms_outbox):
    refresh(8, 20, leg_minutes=40)
    warned = len(sms_of(Trigger.RUNNING_LATE))
    sent = len(sms_outbox)

    stored = refresh(8, 30, leg_minutes=45)

    assert stored  # the ETAs moved, so the refresh did tell notifications
    assert warned > 0 and len(sms_of(Trigger.RUNNING_LATE)) == warned and len(sms_outbox) == sent


def test_a_van_on_time_warns_nobody(world, refresh, sms_outbox):
    refresh(8, 5, leg_minutes=10)
    stored = refresh(8, 12, leg_minutes=11)

    assert stored

    assert sms_of(Trigger.RUNNING_LATE) == []
    assert all(eta_of(d) <= world.window.ends_at for d in world.deliveries)


def test_a_delivery_whose_window_has_ended_gets_no_running_late_warning(world, refresh, sms_outbox):
    stored = refresh(10, 5, leg_minutes=40)

    assert stored and all(snapshot.eta > world.window.ends_at for snapshot in stored)
    assert sms_of(Trigger.RUNNING_LATE) == [] and sms_outbox == []


def test_a_warning_is_not_sent_for_a_plan_read_before_the_van_set_off(world, refresh, sms_outbox):
    """The evening before, an ETA is the plan, not news: the customer hears nothing until the van's day begins."""
    stored = refresh(7, 30, leg_minutes=40)

    assert stored and sms_of(Trigger.RUNNING_LATE) == []


def test_the_merchant_may_allow_more_slack_before_warning(world, refresh):
    MerchantMessaging.objects.create(merchant=world.window.merchant, running_late_minutes=240)

    refresh(8, 20, leg_minutes=40)

    latest = max(eta_of(d) for d in world.deliveries) - world.window.ends_at
    assert dt.timedelta(minutes=10) < latest < dt.timedelta(minutes=240)
    assert sms_of(Trigger.RUNNING_LATE) == []


def test_the_running_late_warning_goes_whatever_the_hour(world, refresh, sms_outbox):
    """Quiet hours hold routine messages until morning; a warning held that long would come after the van."""
    MerchantMessaging.objects.create(merchant=world.window.merchant, quiet_hours_start=dt.time(7),
                                     quiet_hours_end=dt.time(23))

    refresh(8, 20, leg_minutes=40)

    assert sms_of(Trigger.RUNNING_LATE) and all(m.send_after is None for m in sms_of(Trigger.RUNNING_LATE))
    assert any("running late" in sms.body for sms in sms_outbox)


def test_a_french_customer_is_warned_in_french(world, refresh, sms_outbox):
    last = world.deliveries[-1]
    last.language = "fr"
    last.save(update_fields=["language"])

    refresh(8, 20, leg_minutes=40)

    [message] = [m for m in sms_of(Trigger.RUNNING_LATE) if m.delivery_id == last.pk]
    assert "a du retard" in message.body and f"vers {paris_time(eta_of(last))}" in message.body


# --- Arriving soon --------------------------------------------------------------------------------


def test_arriving_soon_is_sent_once_when_the_van_gets_within_three_stops(world, refresh, clock_at, sms_outbox,
                                                                        django_capture_on_commit_callbacks):
    scan_out(world, clock_at, django_capture_on_commit_callbacks)
    Message.objects.all().delete()
    sms_outbox.clear()

    refresh(8, 1, leg_minutes=15)
    first = {m.delivery_id: m for m in sms_of(Trigger.ARRIVING_SOON)}
    refresh(8, 10, leg_minutes=20)

    within_three = [s.delivery_id for s in EtaSnapshot.objects.filter(computed_at=local(DAY, 8, 1), stops_away__lte=3)]
    assert set(first) == set(within_three) and len(within_three) == 4  # stops 0 to 3 of six
    nearest = first[world.deliveries[3].pk]
    assert "3 stops away" in nearest.body
    assert f"about {paris_time(EtaSnapshot.objects.get(delivery=world.deliveries[3], computed_at=local(DAY, 8, 1)).eta)}" in nearest.body
    assert "you are the next stop" in first[world.deliveries[0].pk].body
    # Once per delivery and day, however often the ETA moves.
    counts = Message.objects.filter(trigger=Trigger.ARRIVING_SOON, channel="sms").values("delivery").annotate(n=Count("id"))
    assert {row["n"] for row in counts} == {1} and len(counts) == 4
    assert len([sms for sms in sms_outbox if "nearly there" in sms.body]) == 4


def test_a_van_three_stops_away_but_hours_off_does_not_say_nearly_there(world, refresh, clock_at, sms_outbox,
                                                                        django_capture_on_commit_callbacks):
    scan_out(world, clock_at, django_capture_on_commit_callbacks)
    Message.objects.all().delete()

    refresh(8, 1, leg_minutes=60)

    warned = {m.delivery_id for m in sms_of(Trigger.ARRIVING_SOON)}
    hours_off = [s.delivery_id for s in EtaSnapshot.objects.filter(computed_at=local(DAY, 8, 1), stops_away__lte=3)
                 if s.eta - local(DAY, 8, 1) > dt.timedelta(minutes=90)]
    assert hours_off and not warned & set(hours_off)
    assert world.deliveries[0].pk in warned


def test_arriving_soon_reaches_the_fifth_stop_when_the_van_has_served_two(world, refresh, clock_at, sms_outbox,
                                                                         django_capture_on_commit_callbacks):
    from dispatch.models import Stop

    scan_out(world, clock_at, django_capture_on_commit_callbacks)
    refresh(8, 1, leg_minutes=30)
    assert not Message.objects.filter(trigger=Trigger.ARRIVING_SOON, delivery=world.deliveries[4]).exists()
    # Two stops served at a brisk pace: the fifth is now two stops, and about an hour, away.
    for stop, minute in zip(world.stops[:2], (20, 40), strict=True):
        Stop.objects.filter(pk=stop.pk).update(actual_arrival=local(DAY, 8, minute),
                                               actual_departure=local(DAY, 8, minute + 4), status=Stop.Status.DONE)

    refresh(8, 50, leg_minutes=20)

    [message] = [m for m in sms_of(Trigger.ARRIVING_SOON) if m.delivery_id == world.deliveries[4].pk]
    assert "2 stops away" in message.body


def test_no_arriving_soon_before_the_parcel_is_out_for_delivery(world, refresh):
    refresh(8, 1, leg_minutes=10)

    assert sms_of(Trigger.ARRIVING_SOON) == []


def test_a_merchant_who_switched_arriving_soon_off_sends_none(world, refresh, clock_at,
                                                             django_capture_on_commit_callbacks):
    MerchantMessaging.objects.create(merchant=world.window.merchant, on_arriving_soon=False)
    scan_out(world, clock_at, django_capture_on_commit_callbacks)

    refresh(8, 1, leg_minutes=30)

    assert sms_of(Trigger.ARRIVING_SOON) == []


def test_no_warning_carries_the_address_or_the_door_code(world, refresh, clock_at, sms_outbox,
                                                         django_capture_on_commit_callbacks):
    for delivery in world.deliveries:
        delivery.access_notes = "Door code 4521B"
        delivery.save(update_fields=["access_notes"])
    scan_out(world, clock_at, django_capture_on_commit_callbacks)
    refresh(8, 20, leg_minutes=40)

    texts = [m.body + m.html_body + m.subject for m in Message.objects.filter(
        trigger__in=[Trigger.RUNNING_LATE, Trigger.ARRIVING_SOON])]
    assert len(texts) >= 4
    assert not any("Rue Secrète" in text or "4521B" in text for text in texts)


def test_an_afternoon_window_is_not_judged_late_at_dawn(settings, clock_at, sms_outbox,
                                                        django_capture_on_commit_callbacks):
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    shop = MerchantFactory(slug="maison", name="Maison", brand_name="Maison")
    afternoon = build_route(day=DAY, points=SIX_STOPS, window_hours=(16, 18), merchant=shop)

    def refresh_at(hour, minute):
        now = clock_at(local(DAY, hour, minute))
        with django_capture_on_commit_callbacks(execute=True):
            eta_refresh_route(route=afternoon.route, now=now, leg_seconds=legs_of(90))

    refresh_at(8, 0)  # the same jam, eight hours ahead: the estimate is a guess, nobody is alarmed yet
    assert [d for d in afternoon.deliveries if eta_of(d) > afternoon.window.ends_at + dt.timedelta(minutes=10)]
    assert sms_of(Trigger.RUNNING_LATE) == []

    refresh_at(15, 10)  # within the hour before the window opens, a late estimate is news
    assert sms_of(Trigger.RUNNING_LATE)
