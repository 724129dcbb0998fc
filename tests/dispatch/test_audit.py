"""A dispatcher's re-plan and lost van are the dispatcher's in the audit log; the plan the task saves is the system's."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from core.audit import ActorKind, audit_who
from dispatch.models import Plan, ReplanRequest, Vehicle
from dispatch.services import plan_day
from tests.dispatch.conftest import PLAN_DAY
from tests.factories import local, platform_staff

DISPATCHER_IP = "203.0.113.50"


@pytest.fixture
def dispatcher(db):
    return platform_staff("dina", "dispatcher", first_name="Dina", last_name="Roux")


@pytest.fixture
def planned_day(depot, jobs, clock_at):
    clock_at(local(PLAN_DAY, 10))
    return plan_day(depot=depot, date=PLAN_DAY)


def events(name):
    return [e for e in LogEntry.objects.order_by("timestamp", "pk") if (e.additional_data or {}).get("event") == name]


# Real transactions: the re-plan task runs when the view's write commits, as in production.
@pytest.mark.django_db(transaction=True)
def test_re_plan_now_is_the_dispatchers_and_the_new_plan_is_the_tasks(client, dispatcher, depot, planned_day,
                                                                      tasks_in_process):
    client.force_login(dispatcher)

    client.post(reverse("dispatch:replan"), {"depot": depot.pk, "date": PLAN_DAY.isoformat()},
                REMOTE_ADDR=DISPATCHER_IP)

    [asked] = events("plan.replan_asked")
    assert (asked.actor, asked.remote_addr) == (dispatcher, DISPATCHER_IP)
    assert asked.additional_data["summary"] == "Re-plan of Paris North on Tue 10 Mar asked for"
    assert asked.content_type.model_class() is ReplanRequest
    new_plan = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    [created] = LogEntry.objects.get_for_object(new_plan)
    assert audit_who(created) == "system: dispatch.tasks.replan_depot_day"
    assert created.additional_data["actor_kind"] == ActorKind.SYSTEM and created.actor is None
    assert created.changes_dict["trigger"] == ["None", "manual"]
    assert set(created.changes_dict) == {"depot", "date", "version", "status", "trigger"}  # not every stop


@pytest.mark.django_db(transaction=True)
def test_marking_a_van_lost_is_the_dispatchers(client, dispatcher, depot, fleet, planned_day, tasks_in_process):
    client.force_login(dispatcher)
    van = fleet[0]

    client.post(reverse("dispatch:vehicle-lost", args=[van.pk]), REMOTE_ADDR=DISPATCHER_IP)

    [lost] = events("vehicle.lost")
    assert audit_who(lost) == "Dina Roux" and lost.remote_addr == DISPATCHER_IP
    assert lost.changes_dict["status"] == ["available", "lost"]
    assert lost.additional_data["summary"] == f"{van.code} marked lost (breakdown); today's plan is redone without it"


@pytest.mark.django_db
def test_a_van_already_lost_records_nothing_more(client, dispatcher, depot, fleet, planned_day):
    client.force_login(dispatcher)
    van = fleet[0]
    Vehicle.objects.filter(pk=van.pk).update(status=Vehicle.Status.LOST)

    client.post(reverse("dispatch:vehicle-lost", args=[van.pk]))

    assert events("vehicle.lost") == []
