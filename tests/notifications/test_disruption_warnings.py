"""A disruption warns the customers it makes late as soon as the re-plan shows it, once, as the live ETAs would."""

import datetime as dt

import pytest

from dispatch.models import Disruption, Plan, Stop
from dispatch.signals import plan_changed
from notifications.models import Channel, Message, OptOut, Trigger
from tests.factories import MerchantFactory, local
from tests.tracking.factories import build_route
from tracking.services import eta_refresh_route

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 2)  # a Tuesday; the window is 08:00–12:00 in Paris
POINTS = [(48.8600, 2.3400), (48.8650, 2.3500), (48.8700, 2.3600), (48.8750, 2.3700)]


@pytest.fixture
def world(settings, clock_at):
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    clock_at(local(DAY - dt.timedelta(days=1), 17))  # the evening before, outside quiet hours
    shop = MerchantFactory(slug="fresh-basket", name="Fresh Basket", brand_name="Fresh Basket")
    return build_route(day=DAY, points=POINTS, window_hours=(8, 12), merchant=shop)


def replanned_with_late(world, *stops: Stop, minutes: int = 40) -> Plan:
    """The re-plan's outcome: these stops now arrive `minutes` after the window closes."""
    for stop in stops:
        late = world.window.ends_at + dt.timedelta(minutes=minutes)
        Stop.objects.filter(pk=stop.pk).update(planned_arrival=late, planned_departure=late + dt.timedelta(minutes=4))
    return world.plan


def snow(world, start=(7, 0), end=(13, 0)):
    return Disruption.objects.create(zone=world.zone, starts_at=local(DAY, *start), ends_at=local(DAY, *end),
                                     speed_factor=1.8, reason="Snow", source=Disruption.Source.DISPATCHER)


def announce(plan, capture):
    with capture(execute=True):
        plan_changed.send(sender=Plan, plan=plan)


def running_late_sms() -> list[Message]:
    return list(Message.objects.filter(trigger=Trigger.RUNNING_LATE, channel=Channel.SMS))


def test_a_customer_a_disruption_makes_late_is_warned_exactly_once(world, sms_outbox,
                                                                   django_capture_on_commit_callbacks):
    snow(world)
    plan = replanned_with_late(world, world.stops[2], world.stops[3])

    announce(plan, django_capture_on_commit_callbacks)
    announce(plan, django_capture_on_commit_callbacks)  # a later re-plan says the same

    warned = running_late_sms()
    assert sorted(m.delivery_id for m in warned) == sorted([world.deliveries[2].pk, world.deliveries[3].pk])
    assert sorted(sms.to for sms in sms_outbox) == sorted(["+33612345002", "+33612345003"])
    assert all("12:40" in m.body for m in warned)  # the new ETA is quoted
    assert Message.objects.filter(trigger=Trigger.RUNNING_LATE, channel=Channel.EMAIL).count() == 2


def test_the_live_eta_does_not_warn_again_a_customer_the_disruption_warned(world, sms_outbox, clock_at,
                                                                           django_capture_on_commit_callbacks):
    snow(world)
    announce(replanned_with_late(world, world.stops[3]), django_capture_on_commit_callbacks)
    now = clock_at(local(DAY, 9, 30))

    with django_capture_on_commit_callbacks(execute=True):
        eta_refresh_route(route=world.route, now=now,
                          leg_seconds=lambda a, b, at: 0.0 if a == b else 3600.0)  # an hour a leg: all late

    assert [m.delivery_id for m in running_late_sms() if m.delivery_id == world.deliveries[3].pk] \
        == [world.deliveries[3].pk]


def test_a_late_stop_in_a_zone_no_disruption_slows_is_left_to_the_live_etas(world, sms_outbox,
                                                                          django_capture_on_commit_callbacks):
    snow(world, start=(13, 0), end=(18, 0))  # after the window
    announce(replanned_with_late(world, world.stops[3]), django_capture_on_commit_callbacks)

    assert running_late_sms() == []


def test_a_customer_who_opted_out_of_sms_gets_no_sms(world, sms_outbox, django_capture_on_commit_callbacks):
    snow(world)
    OptOut.objects.create(merchant=world.deliveries[3].merchant, channel=Channel.SMS, address="+33612345003")

    announce(replanned_with_late(world, world.stops[3]), django_capture_on_commit_callbacks)

    assert sms_outbox == []


def test_a_warning_due_in_quiet_hours_waits_for_the_morning(world, sms_outbox, clock_at,
                                                            django_capture_on_commit_callbacks):
    clock_at(local(DAY, 2))
    snow(world)

    announce(replanned_with_late(world, world.stops[3]), django_capture_on_commit_callbacks)

    [message] = running_late_sms()
    assert message.send_after is not None and message.send_after > local(DAY, 2)
    assert sms_outbox == []


def test_from_the_dispatcher_to_the_phone_a_disruption_replans_and_warns_each_customer_it_makes_late_once(
        settings, clock_at, sms_outbox, django_capture_on_commit_callbacks):
    from dispatch.disruptions import disruption_create, disruption_update
    from portal.celery import app

    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    settings.PLANNER_TIME_LIMIT_SECONDS = 1.0
    clock_at(local(DAY, 8, 5))  # the day is under way: windows bend, and a van that cannot keep one is late
    shop = MerchantFactory(slug="fresh-basket", name="Fresh Basket", brand_name="Fresh Basket")
    points = [(48.8600 + 0.006 * i, 2.3400 + 0.008 * (i % 3)) for i in range(8)]
    world = build_route(day=DAY, points=points, window_hours=(8, 10), merchant=shop)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            disruption = disruption_create(zone=world.zone, starts_at=local(DAY, 7), ends_at=local(DAY, 12),
                                           speed_factor=4.0, reason="Snow", source=Disruption.Source.DISPATCHER)
        first = running_late_sms()
        late = late_jobs(world, settings)
        with django_capture_on_commit_callbacks(execute=True):
            disruption_update(disruption=disruption, speed_factor=3.5)  # re-plans again: nobody hears twice
    finally:
        app.conf.task_always_eager = eager

    assert late, "four times slower, some of the eight stops cannot make the window"
    assert sorted(m.delivery.job_id for m in first) == sorted(late)
    # The second re-plan warns only those it newly makes late; nobody hears twice.
    warned = [m.delivery.job_id for m in running_late_sms()]
    assert sorted(warned) == sorted(late | late_jobs(world, settings))
    assert len(sms_outbox) == len(warned) == len(set(warned))


def late_jobs(world, settings) -> set[int]:
    """The jobs the active plan brings later than the window's end and the running-late threshold."""
    active = Plan.objects.get(depot=world.depot, date=world.day, status=Plan.Status.ACTIVE)
    return {stop.job_id for stop in Stop.objects.filter(route__plan=active)
            if stop.planned_arrival > world.window.ends_at + dt.timedelta(minutes=settings.RUNNING_LATE_MINUTES)}
