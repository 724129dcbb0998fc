"""Playbooks: each rule opens its exception on the right condition and not on the wrong one, acts, closes itself
when the condition clears, never opens twice, and escalates when its timer runs out."""

import datetime as dt

import pytest

from care.models import JourneyException, PlaybookRule
from care.playbooks.checks import playbooks_sweep
from care.playbooks.rules import Rule
from care.tasks import playbooks_sweep as playbooks_sweep_task
from dispatch.models import Plan, ReplanRequest, Route, Stop
from dispatch.services import vehicle_position_record
from dispatch.transitions import stop_mark_arrived, stop_mark_departed
from notifications.models import Channel, Message, Trigger
from tests.factories import MerchantFactory, local
from tests.tracking.factories import build_route
from tracking.models import EtaSnapshot
from tracking.services import event_record, journey_problem_report
from tracking.signals import etas_updated

pytestmark = pytest.mark.django_db

# Tuesday 2 June 2026 in Paris: the van leaves the depot at 08:00 for four deliveries in an 08:00–12:00 window.
DAY = dt.date(2026, 6, 2)


@pytest.fixture
def world():
    shop = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    return build_route(day=DAY, window_hours=(8, 12), merchant=shop)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return local(DAY, hour, minute)


def live(rule: Rule, delivery=None):
    found = JourneyException.objects.filter(rule=rule).exclude(state="resolved")
    return found.filter(delivery=delivery) if delivery is not None else found


def set_rule(world, rule: Rule, **values) -> PlaybookRule:
    defaults = {"enabled": True, "team": "care", "sla_minutes": 30, "notify_customer": False,
                "request_replan": False, "threshold_minutes": None}
    return PlaybookRule.objects.create(merchant=world.window.merchant, code=rule, **{**defaults, **values})


def running_late_messages(delivery) -> list[Message]:
    return list(Message.objects.filter(delivery=delivery, trigger=Trigger.RUNNING_LATE))


def replans(world) -> list[ReplanRequest]:
    return list(ReplanRequest.objects.filter(depot=world.depot, date=DAY))


# --- Predicted late ----------------------------------------------------------------------------------------


def publish_eta(world, index: int, eta: dt.datetime, now: dt.datetime) -> None:
    snapshot = EtaSnapshot.objects.create(delivery=world.deliveries[index], stop=world.stops[index], computed_at=now,
                                          eta=eta, band_start=eta - dt.timedelta(minutes=10),
                                          band_end=eta + dt.timedelta(minutes=10))
    etas_updated.send(sender=EtaSnapshot, snapshot_ids=[snapshot.pk], now=now)


def test_an_eta_past_the_window_opens_predicted_late_for_care_with_its_sla(world):
    publish_eta(world, 2, at(12, 25), now=at(10, 0))

    exception = live(Rule.PREDICTED_LATE).get()
    assert exception.delivery == world.deliveries[2]
    assert exception.team == "care" and exception.due_at == at(10, 30)  # the rule's default: care, 30 minutes
    assert "ETA 12:25 is 25 min past the window (08:00–12:00)" in exception.message


def test_an_eta_late_by_less_than_the_threshold_opens_nothing(world):
    publish_eta(world, 2, at(12, 8), now=at(10, 0))  # 8 min past the end; the default threshold is 10

    assert not live(Rule.PREDICTED_LATE).exists()


def test_an_eta_computed_before_the_van_set_off_opens_nothing(world):
    publish_eta(world, 2, at(13, 0), now=at(7, 30))

    assert not live(Rule.PREDICTED_LATE).exists()


def test_a_late_eta_seen_again_opens_nothing_twice(world):
    publish_eta(world, 2, at(12, 25), now=at(10, 0))
    publish_eta(world, 2, at(12, 40), now=at(10, 5))

    assert live(Rule.PREDICTED_LATE).count() == 1


def test_predicted_late_closes_itself_once_the_eta_is_back_inside_the_window(world):
    publish_eta(world, 2, at(12, 25), now=at(10, 0))
    publish_eta(world, 2, at(12, 5), now=at(10, 5))  # between the window's end and the threshold: still late
    assert live(Rule.PREDICTED_LATE).exists()

    publish_eta(world, 2, at(11, 50), now=at(10, 10))

    exception = JourneyException.objects.get(rule=Rule.PREDICTED_LATE)
    assert exception.state == "resolved" and exception.resolved_at == at(10, 10)
    assert exception.resolution == "Closed automatically: the ETA is back inside the window (11:50)."


def test_predicted_late_warns_the_customer_and_asks_for_a_replan_when_the_merchant_says_so(world):
    set_rule(world, Rule.PREDICTED_LATE, threshold_minutes=10, notify_customer=True, request_replan=True)

    publish_eta(world, 2, at(12, 25), now=at(10, 0))

    exception = live(Rule.PREDICTED_LATE).get()
    warned = running_late_messages(world.deliveries[2])
    assert {m.channel for m in warned} == {Channel.SMS, Channel.EMAIL}
    assert "12:25" in next(m.body for m in warned if m.channel == Channel.SMS)
    assert [r.triggers for r in replans(world)] == [["playbook:predicted_late"]]
    # Notifications' own ETA warning got there first (same event): the customer hears it once.
    assert len(warned) == 2
    assert exception.message.endswith("Done automatically: customer already warned, re-plan requested.")
    assert exception.team == "care" and exception.due_at == at(10, 30)


def test_a_merchant_who_turned_predicted_late_off_gets_no_exception(world):
    set_rule(world, Rule.PREDICTED_LATE, enabled=False, threshold_minutes=10)

    publish_eta(world, 2, at(12, 25), now=at(10, 0))

    assert not live(Rule.PREDICTED_LATE).exists()


def test_a_merchant_threshold_is_the_one_used(world):
    set_rule(world, Rule.PREDICTED_LATE, threshold_minutes=30)

    publish_eta(world, 2, at(12, 25), now=at(10, 0))
    assert not live(Rule.PREDICTED_LATE).exists()
    publish_eta(world, 2, at(12, 35), now=at(10, 5))
    assert live(Rule.PREDICTED_LATE).exists()


# --- No scan-out by the cut-off ------------------------------------------------------------------------------


def van_message(world, parcels: int) -> str:
    return (f"Van {world.vehicle.code} not scanned out by 08:30: {parcels} parcels still at the depot; it was due to "
            f"leave at 08:00.")


def test_a_van_whose_parcels_miss_the_cutoff_opens_one_exception_for_dispatch_that_warns_and_replans(world):
    set_rule(world, Rule.NO_SCAN_OUT, threshold_minutes=30, team="dispatch", notify_customer=True,
             request_replan=True)
    playbooks_sweep(now=at(8, 29))  # the van left at 08:00; the cut-off is 30 minutes later
    assert not live(Rule.NO_SCAN_OUT).exists()

    playbooks_sweep(now=at(8, 31))

    [opened] = live(Rule.NO_SCAN_OUT)  # one for the van, not one per parcel
    assert opened.route == world.route and opened.delivery == world.deliveries[0]
    assert set(opened.affected.all()) == set(world.deliveries)
    assert opened.team == "dispatch" and opened.due_at == at(9, 1)
    assert opened.message.startswith(van_message(world, 4))
    assert all(running_late_messages(d) for d in world.deliveries)  # every customer on board
    assert opened.message.endswith("Done automatically: 4 customers warned, re-plan requested.")
    assert len(replans(world)) == 1


def test_parcels_already_out_for_delivery_are_not_among_the_vans_waiting_ones(world):
    event_record(delivery=world.deliveries[0], milestone="scanned_out", source="driver", recorded_at=at(8, 0),
                 client_id="out-0")

    playbooks_sweep(now=at(8, 31))

    [opened] = live(Rule.NO_SCAN_OUT)
    assert opened.delivery == world.deliveries[1]
    assert set(opened.affected.all()) == set(world.deliveries[1:])
    assert opened.message == van_message(world, 3)


def test_each_van_that_never_left_gets_its_own_exception():
    other = build_route(day=DAY, window_hours=(8, 12))
    world = build_route(day=DAY, window_hours=(8, 12))

    playbooks_sweep(now=at(8, 31))

    assert sorted(e.route_id for e in live(Rule.NO_SCAN_OUT)) == sorted([other.route.pk, world.route.pk])


def test_the_sweep_seeing_a_van_again_opens_nothing_twice_and_keeps_its_count(world):
    set_rule(world, Rule.NO_SCAN_OUT, threshold_minutes=30, team="dispatch", notify_customer=True)
    playbooks_sweep(now=at(8, 31))
    event_record(delivery=world.deliveries[3], milestone="scanned_out", source="driver", recorded_at=at(8, 31),
                 client_id="out-3")
    playbooks_sweep(now=at(8, 32))

    [opened] = live(Rule.NO_SCAN_OUT)
    assert opened.message == f"{van_message(world, 3)} Done automatically: 4 customers warned."
    assert len(running_late_messages(world.deliveries[0])) == 2  # SMS and email, once


def test_the_vans_exception_closes_itself_once_the_van_is_scanned_out(world, clock_at, django_capture_on_commit_callbacks):
    playbooks_sweep(now=at(8, 31))
    assert not replans(world) and not running_late_messages(world.deliveries[1])  # by default: dispatch looks first

    clock_at(at(8, 40))
    with django_capture_on_commit_callbacks(execute=True):
        for index in (1, 0, 2):
            event_record(delivery=world.deliveries[index], milestone="scanned_out", source="driver",
                         recorded_at=at(8, 40), client_id=f"late-out-{index}")
    assert live(Rule.NO_SCAN_OUT).exists()  # one parcel is still at the depot
    with django_capture_on_commit_callbacks(execute=True):
        event_record(delivery=world.deliveries[3], milestone="scanned_out", source="driver", recorded_at=at(8, 41),
                     client_id="late-out-3")

    closed = JourneyException.objects.get(rule=Rule.NO_SCAN_OUT)
    assert closed.state == "resolved"
    assert closed.resolution == f"Closed automatically: van {world.vehicle.code} was scanned out."


def test_every_parcels_journey_shows_that_its_van_has_not_left(world, console):
    playbooks_sweep(now=at(8, 31))

    for delivery in world.deliveries:
        body = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
        assert van_message(world, 4) in body
    assert console.get("/care/exceptions/").content.decode().count(van_message(world, 4)) == 1


def test_a_replan_gives_the_van_a_new_route_and_its_exception_follows_it(world):
    playbooks_sweep(now=at(8, 31))
    [opened] = live(Rule.NO_SCAN_OUT)
    Plan.objects.filter(pk=world.plan.pk).update(status=Plan.Status.SUPERSEDED)
    plan = Plan.objects.create(depot=world.depot, date=DAY, version=2)
    route = Route.objects.create(plan=plan, vehicle=world.vehicle, shift=world.shift, starts_at=at(8, 0),
                                 ends_at=at(18, 0))
    for stop in world.stops[:2]:  # the other two parcels went to another van
        Stop.objects.create(route=route, job=stop.job, sequence=stop.sequence, planned_arrival=stop.planned_arrival,
                            planned_departure=stop.planned_departure)

    playbooks_sweep(now=at(8, 45))

    [followed] = live(Rule.NO_SCAN_OUT)
    assert followed.pk == opened.pk and followed.route == route
    assert followed.message == van_message(world, 2)


# --- Dwell spike ---------------------------------------------------------------------------------------------


def test_a_van_standing_at_a_stop_past_the_threshold_opens_a_dwell_spike_and_asks_for_a_replan(world):
    for delivery in world.deliveries:  # scanned out: only the dwell rule is in play
        event_record(delivery=delivery, milestone="scanned_out", source="driver", recorded_at=at(8, 0),
                     client_id=f"out-{delivery.pk}")
    stop_mark_arrived(job_id=world.stops[1].job_id, at=at(8, 40))

    playbooks_sweep(now=at(8, 54))
    assert not live(Rule.DWELL_SPIKE).exists()

    playbooks_sweep(now=at(8, 56))

    exception = live(Rule.DWELL_SPIKE).get()
    assert exception.delivery == world.deliveries[1] and exception.team == "dispatch"
    assert "stood at stop 2 for 16 min (since 08:40)" in exception.message
    assert [r.triggers for r in replans(world)] == [["playbook:dwell_spike"]]
    assert not running_late_messages(world.deliveries[1])  # the rule warns nobody unless the merchant says so


def test_a_dwell_spike_closes_itself_when_the_van_leaves(world):
    stop_mark_arrived(job_id=world.stops[1].job_id, at=at(8, 40))
    playbooks_sweep(now=at(8, 56))
    assert live(Rule.DWELL_SPIKE).exists()

    stop_mark_departed(stop=Stop.objects.get(pk=world.stops[1].pk), at=at(8, 58))
    playbooks_sweep(now=at(8, 59))

    exception = JourneyException.objects.get(rule=Rule.DWELL_SPIKE)
    assert exception.state == "resolved" and exception.resolution == "Closed automatically: the van left the stop."
    playbooks_sweep(now=at(9, 0))
    assert not live(Rule.DWELL_SPIKE).exists()


# --- GPS silent ----------------------------------------------------------------------------------------------


def test_a_silent_van_opens_gps_silent_on_the_delivery_it_is_heading_to_and_closes_when_it_pings(world):
    vehicle_position_record(vehicle_id=world.vehicle.pk, lat=48.86, lng=2.34, at=at(8, 30))

    playbooks_sweep(now=at(8, 39))
    assert not live(Rule.GPS_SILENT).exists()

    playbooks_sweep(now=at(8, 41))
    exception = live(Rule.GPS_SILENT).get()
    assert exception.delivery == world.deliveries[0] and exception.team == "dispatch"
    assert f"Van {world.vehicle.code} has sent no position for 11 min (last at 08:30); 4 stops still to go." \
        == exception.message
    playbooks_sweep(now=at(8, 45))
    assert live(Rule.GPS_SILENT).count() == 1

    vehicle_position_record(vehicle_id=world.vehicle.pk, lat=48.861, lng=2.341, at=at(8, 46))
    playbooks_sweep(now=at(8, 47))

    exception.refresh_from_db()
    assert exception.state == "resolved"
    assert exception.resolution == f"Closed automatically: van {world.vehicle.code} is sending positions again."


# --- Failed attempt ------------------------------------------------------------------------------------------


def test_a_failed_attempt_opens_once_and_closes_itself_when_the_parcel_is_delivered(
        world, clock_at, django_capture_on_commit_callbacks):
    delivery = world.deliveries[0]
    event_record(delivery=delivery, milestone="attempted", source="driver", recorded_at=at(8, 20),
                 reason="nobody_home", client_id="try-1")
    event_record(delivery=delivery, milestone="attempted", source="driver", recorded_at=at(8, 25),
                 reason="nobody_home", client_id="try-2")

    exception = live(Rule.FAILED_ATTEMPT, delivery).get()
    assert exception.team == "care" and exception.due_at == at(10, 20)

    clock_at(at(11, 0))
    with django_capture_on_commit_callbacks(execute=True):
        event_record(delivery=delivery, milestone="delivered", source="driver", recorded_at=at(11, 0),
                     client_id="done")

    exception.refresh_from_db()
    assert exception.state == "resolved" and exception.resolution == "Closed automatically: the delivery was delivered."


# --- Undeliverable message ----------------------------------------------------------------------------------


def message(delivery, status, created_at, **fields) -> Message:
    values = {"merchant": delivery.merchant, "delivery": delivery, "channel": Channel.SMS,
              "template": "out_for_delivery", "trigger": Trigger.OUT_FOR_DELIVERY, "to": delivery.recipient_phone,
              "body": "On its way", "status": status, "created_at": created_at, "status_changed_at": created_at}
    return Message.objects.create(**{**values, **fields})


def test_a_failed_message_opens_undeliverable_and_a_later_one_that_gets_through_closes_it(world):
    delivery = world.deliveries[0]
    message(delivery, Message.Status.SENT, at(7, 0), trigger=Trigger.BOOKED, template="booked")
    message(delivery, Message.Status.UNDELIVERED, at(8, 0), error="Twilio error 30003")
    message(world.deliveries[1], Message.Status.DELIVERED, at(8, 0))
    message(world.deliveries[2], Message.Status.FAILED, at(8, 0), channel=Channel.WEBHOOK, to="https://shop.example")

    playbooks_sweep(now=at(8, 5))
    playbooks_sweep(now=at(8, 6))

    exception = live(Rule.UNDELIVERABLE_MESSAGE).get()
    assert exception.delivery == delivery and exception.due_at == at(9, 5)
    assert exception.message == (f"The out for delivery SMS to {delivery.recipient_phone} was undelivered: "
                                 "Twilio error 30003.")

    message(delivery, Message.Status.SENT, at(8, 10), channel=Channel.EMAIL, to=delivery.recipient_email)
    playbooks_sweep(now=at(8, 11))

    exception.refresh_from_db()
    assert exception.state == "resolved"
    assert exception.resolution == "Closed automatically: a later message to the customer got through."


# --- Unknown carrier code ------------------------------------------------------------------------------------


def test_an_unknown_carrier_code_opens_once_and_stays_open_after_delivery(world):
    delivery = world.deliveries[0]
    journey_problem_report(delivery=delivery, code="unknown_carrier_code", message="SwiftPost code X42 is not mapped",
                           now=at(8, 10))
    journey_problem_report(delivery=delivery, code="unknown_carrier_code", message="SwiftPost code X42 is not mapped",
                           now=at(8, 12))
    event_record(delivery=delivery, milestone="delivered", source="driver", recorded_at=at(9, 0), client_id="done")

    playbooks_sweep(now=at(9, 1))

    assert live(Rule.UNKNOWN_CARRIER_CODE, delivery).count() == 1  # a person must still map the code


# --- Escalation ----------------------------------------------------------------------------------------------


def test_a_timer_that_runs_out_moves_the_exception_up_a_team_once_per_sla(world, clock_at):
    delivery = world.deliveries[0]
    event_record(delivery=delivery, milestone="attempted", source="driver", recorded_at=at(8, 20),
                 reason="nobody_home", client_id="try-1")
    exception = live(Rule.FAILED_ATTEMPT).get()  # care, due 10:20 (a 120-minute SLA)

    playbooks_sweep(now=at(10, 19))
    exception.refresh_from_db()
    assert exception.team == "care" and exception.escalation_level == 0

    clock_at(at(10, 21))
    playbooks_sweep_task.apply()  # the beat's task, run here, on the project clock
    playbooks_sweep(now=at(10, 22))  # the next minute's sweep changes nothing more

    exception.refresh_from_db()
    assert (exception.team, exception.escalation_level) == ("care_leads", 1)
    assert exception.escalated_at == at(10, 21) and exception.due_at == at(12, 21)

    playbooks_sweep(now=at(12, 22))
    exception.refresh_from_db()
    assert (exception.team, exception.escalation_level) == ("operations", 2)

    playbooks_sweep(now=at(14, 30))  # the top of the ladder: it stays overdue where everyone sees it
    exception.refresh_from_db()
    assert (exception.team, exception.escalation_level, exception.state) == ("operations", 2, "open")


def test_an_exception_whose_condition_cleared_is_closed_not_escalated(world):
    event_record(delivery=world.deliveries[0], milestone="attempted", source="driver", recorded_at=at(8, 20),
                 reason="nobody_home", client_id="try-1")
    event_record(delivery=world.deliveries[0], milestone="delivered", source="driver", recorded_at=at(9, 0),
                 client_id="done")  # no signal reaches care here: the sweep must notice

    playbooks_sweep(now=at(10, 30))

    exception = JourneyException.objects.get(rule=Rule.FAILED_ATTEMPT)
    assert (exception.state, exception.team, exception.escalation_level) == ("resolved", "care", 0)


# --- Races ---------------------------------------------------------------------------------------------------


def at_once(count: int, work) -> list:
    """Run `work(index)` in `count` threads released together; what each returned, or the error it raised."""
    import threading

    from django.db import connections

    start, outcomes = threading.Barrier(count), [None] * count

    def run(index):
        start.wait()
        try:
            outcomes[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test reads what each thread met
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_seeing_the_same_problem_at_once_open_one_exception():
    from care.playbooks.services import playbook_open
    from scheduling.models import Delivery

    delivery = build_route(day=DAY, window_hours=(8, 12)).deliveries[0]

    outcomes = at_once(6, lambda i: playbook_open(delivery=Delivery.objects.get(pk=delivery.pk),
                                                  rule=Rule.FAILED_ATTEMPT, message="Nobody home.", now=at(9, 0)))

    assert sum(isinstance(o, JourneyException) for o in outcomes) == 1 and outcomes.count(None) == 5
    assert JourneyException.objects.filter(delivery=delivery).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_finding_the_same_timer_run_out_escalate_it_once():
    from care.playbooks.services import exceptions_escalate_due

    delivery = build_route(day=DAY, window_hours=(8, 12)).deliveries[0]
    exception = JourneyException.objects.create(delivery=delivery, code="failed_attempt", rule="failed_attempt",
                                                message="Nobody home.", opened_at=at(8, 0), due_at=at(9, 0))

    outcomes = at_once(6, lambda i: exceptions_escalate_due(now=at(9, 1)))

    assert sorted(outcomes) == [0, 0, 0, 0, 0, 1]
    exception.refresh_from_db()
    assert (exception.team, exception.escalation_level) == ("care_leads", 1)
