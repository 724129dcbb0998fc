"""A zone slowed for a period: checkout offers less there, the plan arrives later there, and the day re-plans."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from dispatch import tasks
from dispatch.capacity import CandidateWindow, JobSpec, capacity_check
from dispatch.disruptions import disruption_create, disruption_end, disruption_update
from dispatch.errors import DispatchError
from dispatch.models import Disruption, Plan, ReplanRequest, Stop
from dispatch.planning import problem_build
from dispatch.services import plan_day
from merchants.models import StaffMembership
from tests.dispatch.conftest import PLAN_DAY
from tests.factories import (
    DepotFactory,
    JobFactory,
    MerchantFactory,
    ShiftFactory,
    VehicleFactory,
    ZoneFactory,
    local,
    platform_staff,
)
from tests.tracking.factories import build_route
from tracking.services.etas import route_etas_compute

pytestmark = pytest.mark.django_db

FAR = (48.90, 2.25)  # about 10 km from the depot: half an hour's drive, more when the zone is slowed


def snow(zone, start, end, factor=2.0, **extra):
    return Disruption.objects.create(zone=zone, starts_at=start, ends_at=end, speed_factor=factor, reason="Snow",
                                     source=Disruption.Source.DISPATCHER, **extra)


# --- The capacity oracle ----------------------------------------------------------------------


def offers(zone, day, now):
    windows = [CandidateWindow("early", local(day, 8), local(day, 9)),
               CandidateWindow("late", local(day, 10), local(day, 11))]
    verdicts = capacity_check(zone=zone, job=JobSpec(lat=FAR[0], lng=FAR[1], service_seconds=300), windows=windows,
                              now=now)
    return {key for key, verdict in verdicts.items() if verdict.feasible}


def test_checkout_offers_fewer_windows_in_a_slowed_zone_during_the_slowdown_and_the_same_outside_it(depot, zone):
    vehicle = VehicleFactory(depot=depot)
    ShiftFactory(vehicle=vehicle, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
    now = local(PLAN_DAY - dt.timedelta(days=1), 12)
    assert offers(zone, PLAN_DAY, now) == {"early", "late"}

    snow(zone, local(PLAN_DAY, 7), local(PLAN_DAY, 9, 30))

    # The van cannot reach the far address by 09:00 through snow; at 10:00 the snow is over.
    assert offers(zone, PLAN_DAY, now) == {"late"}


def test_a_slowdown_of_another_zone_changes_nothing_here(depot, zone):
    vehicle = VehicleFactory(depot=depot)
    ShiftFactory(vehicle=vehicle, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
    snow(ZoneFactory(depot=depot), local(PLAN_DAY, 7), local(PLAN_DAY, 12), factor=4.0)

    assert offers(zone, PLAN_DAY, local(PLAN_DAY - dt.timedelta(days=1), 12)) == {"early", "late"}


# --- The planner ----------------------------------------------------------------------------------


def test_the_planner_times_legs_into_a_slowed_zone_slower_while_the_slowdown_lasts(depot, zone):
    vehicle = VehicleFactory(depot=depot)
    ShiftFactory(vehicle=vehicle, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
    morning = JobFactory(zone=zone, depot=depot, date=PLAN_DAY, lat=FAR[0], lng=FAR[1],
                         window_start=local(PLAN_DAY, 9), window_end=local(PLAN_DAY, 11))
    afternoon = JobFactory(zone=zone, depot=depot, date=PLAN_DAY, lat=48.8700, lng=2.3550,
                           window_start=local(PLAN_DAY, 15), window_end=local(PLAN_DAY, 17))
    before = problem_build(depot=depot, date=PLAN_DAY).problem.durations

    snow(zone, local(PLAN_DAY, 7), local(PLAN_DAY, 12))
    after = problem_build(depot=depot, date=PLAN_DAY).problem.durations

    # Locations: the depot, then the jobs by id. Into the morning job twice as long; the afternoon's as before.
    assert morning.pk < afternoon.pk
    assert after[0][1] == 2 * before[0][1] > 0
    assert after[2][1] == 2 * before[2][1]
    assert after[0][2] == before[0][2] > 0
    assert after[1][0] == before[1][0]  # back to the depot: out of the zone


def test_the_live_etas_of_stops_in_a_slowed_zone_are_later(clock_at):
    world = build_route(day=PLAN_DAY, window_hours=(8, 12))
    now = clock_at(local(PLAN_DAY, 8, 5))

    def legs(origin, destination, departure):
        return 0.0 if origin == destination else 600.0

    before = {e.key: e.eta for e in route_etas_compute(route=world.route, now=now, leg_seconds=legs)[0]}
    snow(world.zone, local(PLAN_DAY, 8), local(PLAN_DAY, 12))
    after = {e.key: e.eta for e in route_etas_compute(route=world.route, now=now, leg_seconds=legs)[0]}

    assert before.keys() == after.keys() == {s.pk for s in world.stops}
    for stop in world.stops:
        assert after[stop.pk] > before[stop.pk]
    last = world.stops[-1].pk
    assert after[last] - before[last] >= dt.timedelta(minutes=35)  # four legs of ten minutes, each ten more


# --- Setting one: re-plans, checks ------------------------------------------------------------


@pytest.fixture
def planned(depot, jobs, clock_at):
    clock_at(local(PLAN_DAY - dt.timedelta(days=1), 18))
    return plan_day(depot=depot, date=PLAN_DAY)


def test_setting_a_disruption_asks_for_a_replan_of_each_planned_day_it_touches_at_once(
        depot, zone, planned, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            disruption_create(zone=zone, starts_at=local(PLAN_DAY, 14), ends_at=local(PLAN_DAY + dt.timedelta(days=1), 10),
                              speed_factor=1.5, reason="Snow", source=Disruption.Source.DISPATCHER)

    # The next day has no plan yet: it will be planned with the snow, nothing to redo.
    request = ReplanRequest.objects.get()
    assert (request.date, request.triggers) == (PLAN_DAY, ["disruption"])
    apply_async.assert_called_once()
    assert apply_async.call_args.kwargs["args"] == (depot.pk, PLAN_DAY.isoformat(), "disruption")
    assert apply_async.call_args.kwargs["countdown"] == 0


def test_the_replan_a_disruption_asks_for_runs_and_saves_a_new_plan(
        depot, zone, planned, tasks_in_process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        disruption_create(zone=zone, starts_at=local(PLAN_DAY, 7), ends_at=local(PLAN_DAY, 20), speed_factor=1.5,
                          reason="Snow", source=Disruption.Source.DISPATCHER)

    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert active.version == 2
    assert active.trigger.startswith("disruption")


def test_ending_and_moving_a_disruption_replan_the_days_it_touched(depot, zone, planned, clock_at,
                                                                   django_capture_on_commit_callbacks):
    clock_at(local(PLAN_DAY, 9))
    with mock.patch.object(tasks.replan_depot_day, "apply_async"):
        disruption = disruption_create(zone=zone, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 18),
                                       speed_factor=1.5, reason="Snow", source=Disruption.Source.DISPATCHER)
        ReplanRequest.objects.update(claimed_at=local(PLAN_DAY, 9), done_at=local(PLAN_DAY, 9))
        disruption_update(disruption=disruption, speed_factor=2.0)
        assert ReplanRequest.objects.filter(done_at__isnull=True).count() == 1
        ReplanRequest.objects.update(claimed_at=local(PLAN_DAY, 9), done_at=local(PLAN_DAY, 9))

        assert disruption_end(disruption=disruption) is True

    disruption.refresh_from_db()
    assert disruption.ends_at == disruption.ended_early_at == local(PLAN_DAY, 9)
    assert ReplanRequest.objects.filter(done_at__isnull=True).count() == 1


@pytest.mark.parametrize(("start", "end", "factor", "code", "field"), [
    ((14, 0), (12, 0), 1.5, "invalid_period", "ends_at"),
    ((14, 0), (14, 0), 1.5, "invalid_period", "ends_at"),
    ((14, 0), (18, 0), 1.0, "invalid_speed_factor", "speed_factor"),
    ((14, 0), (18, 0), 9.0, "invalid_speed_factor", "speed_factor"),
])
def test_a_disruption_that_ends_before_it_starts_or_slows_by_nothing_or_too_much_is_refused(
        zone, start, end, factor, code, field):
    with pytest.raises(DispatchError) as refused:
        disruption_create(zone=zone, starts_at=local(PLAN_DAY, *start), ends_at=local(PLAN_DAY, *end),
                          speed_factor=factor, reason="Snow", source=Disruption.Source.DISPATCHER,
                          now=local(PLAN_DAY, 8))
    assert (refused.value.code, list(refused.value.fields)) == (code, [field])
    assert not Disruption.objects.exists()


def test_a_zone_of_another_depot_is_refused(zone):
    other_depot = DepotFactory()
    with pytest.raises(DispatchError) as refused:
        disruption_create(zone=zone, starts_at=local(PLAN_DAY, 14), ends_at=local(PLAN_DAY, 18), speed_factor=1.5,
                          reason="Snow", source=Disruption.Source.DISPATCHER, depot=other_depot,
                          now=local(PLAN_DAY, 8))
    assert refused.value.code == "zone_not_in_depot"


# --- The console ------------------------------------------------------------------------------------


@pytest.fixture
def dispatcher(db):
    return platform_staff("dispatcher", "dispatcher")


def post_disruption(client, depot, **fields):
    data = {"depot": depot.pk, "date": PLAN_DAY.isoformat(), "starts_at": f"{PLAN_DAY}T14:00",
            "ends_at": f"{PLAN_DAY}T18:00", "slowdown_percent": 40, "reason": "Marathon", **fields}
    return client.post(reverse("dispatch:disruption-create"), data)


def test_a_dispatcher_slows_a_zone_from_the_console_and_sees_it_with_its_windows_at_risk(
        client, dispatcher, depot, zone, planned, clock_at):
    clock_at(local(PLAN_DAY, 9))
    client.force_login(dispatcher)

    with mock.patch.object(tasks.replan_depot_day, "apply_async"):
        response = post_disruption(client, depot, zone=zone.pk)

    assert response.status_code == 302
    disruption = Disruption.objects.get()
    # Typed in the depot's local time.
    assert (disruption.starts_at, disruption.ends_at) == (local(PLAN_DAY, 14), local(PLAN_DAY, 18))
    assert (disruption.speed_factor, disruption.source, disruption.created_by) == (1.4, "dispatcher", dispatcher)
    page = client.get(response["Location"]).content.decode()
    assert "Paris centre is 40 % slower until" in page
    assert "Marathon" in page and "+40 %" in page
    assert "Windows at risk in slowed zones" in page


def test_a_late_stop_in_a_slowed_window_is_listed_at_risk(client, dispatcher, depot, zone, planned, clock_at):
    clock_at(local(PLAN_DAY, 9))
    snow(zone, local(PLAN_DAY, 8), local(PLAN_DAY, 20))
    stop = Stop.objects.filter(route__plan=planned).select_related("job").order_by("pk").first()
    Stop.objects.filter(pk=stop.pk).update(planned_arrival=stop.job.window_end + dt.timedelta(minutes=25),
                                           planned_departure=stop.job.window_end + dt.timedelta(minutes=29))
    client.force_login(dispatcher)

    page = client.get(f"{reverse('dispatch:console')}?depot={depot.pk}&date={PLAN_DAY}").content.decode()

    assert f"{stop.job} <span class=\"badge badge-bad\">+25 min</span>" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"ends_at": f"{PLAN_DAY}T13:00"}, "The end must be after the start."),
    ({"slowdown_percent": 900}, "Ensure this value is less than or equal to 300."),
    ({"reason": ""}, "This field is required."),
])
def test_the_console_form_says_what_to_fix(client, dispatcher, depot, zone, clock_at, fields, message):
    clock_at(local(PLAN_DAY, 9))
    client.force_login(dispatcher)

    response = post_disruption(client, depot, zone=zone.pk, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Disruption.objects.exists()


def test_the_console_refuses_a_zone_of_another_depot(client, dispatcher, depot, zone, clock_at):
    clock_at(local(PLAN_DAY, 9))
    elsewhere = ZoneFactory(depot=DepotFactory(name="Lyon"), name="Lyon centre")
    client.force_login(dispatcher)

    response = post_disruption(client, depot, zone=elsewhere.pk)

    assert response.status_code == 400
    assert "That zone is not served from Paris North: choose one of its zones." in response.content.decode()
    assert not Disruption.objects.exists()


def test_a_merchants_dispatcher_may_look_but_not_slow_a_shared_zone(client, depot, zone, jobs, clock_at):
    from django.contrib.auth import get_user_model

    clock_at(local(PLAN_DAY, 9))
    shop = MerchantFactory()
    JobFactory(zone=zone, depot=depot, date=PLAN_DAY, merchant=shop)
    user = get_user_model().objects.create_user("shop-dispatch", "d@example.com", "pw")
    StaffMembership.objects.create(user=user, merchant=shop, role=StaffMembership.Role.DISPATCHER)
    client.force_login(user)

    page = client.get(f"{reverse('dispatch:console')}?depot={depot.pk}&date={PLAN_DAY}")
    response = post_disruption(client, depot, zone=zone.pk)

    assert page.status_code == 200 and "Slow a zone" not in page.content.decode()
    assert response.status_code == 403
    assert not Disruption.objects.exists()


def test_a_dispatcher_ends_a_disruption_from_the_console(client, dispatcher, depot, zone, clock_at):
    clock_at(local(PLAN_DAY, 15))
    disruption = snow(zone, local(PLAN_DAY, 14), local(PLAN_DAY, 18))
    client.force_login(dispatcher)

    response = client.post(reverse("dispatch:disruption-end", args=[disruption.pk]),
                           {"depot": depot.pk, "date": PLAN_DAY.isoformat()})

    assert response.status_code == 302
    disruption.refresh_from_db()
    assert disruption.ends_at == local(PLAN_DAY, 15)


def test_the_panel_reads_in_french_for_a_french_dispatcher(client, dispatcher, depot, zone, planned, clock_at):
    clock_at(local(PLAN_DAY, 9))
    snow(zone, local(PLAN_DAY, 8), local(PLAN_DAY, 20))
    stop = Stop.objects.filter(route__plan=planned).select_related("job").order_by("pk").first()
    Stop.objects.filter(pk=stop.pk).update(planned_arrival=stop.job.window_end + dt.timedelta(minutes=25),
                                           planned_departure=stop.job.window_end + dt.timedelta(minutes=29))
    client.force_login(dispatcher)

    page = client.get(f"{reverse('dispatch:console')}?depot={depot.pk}&date={PLAN_DAY}",
                      HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Perturbations" in page
    assert "Créneaux menacés dans les zones ralenties" in page
    assert "1 livraison en retard ou plus desservie" in page
    assert "Ralentir une zone…" in page
