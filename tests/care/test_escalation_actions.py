"""Escalate and resolve from the queue: what an agent sees and what each refusal says."""

import datetime as dt

import pytest

from care.models import JourneyException
from tests.care.conftest import NOW
from tests.care.factories import JourneyExceptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exception(db):
    return JourneyExceptionFactory(opened_at=NOW - dt.timedelta(minutes=30), due_at=NOW + dt.timedelta(minutes=12),
                                   rule="failed_attempt", sla_minutes=120)


def test_an_agent_escalates_an_exception_to_care_leads_with_a_reason(console, frozen_now, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/escalate/",
                            {"reason": "Customer called twice, wants a manager", "next": "/care/exceptions/"},
                            follow=True)

    body = response.content.decode()
    assert "Escalated to the Care leads." in body
    exception.refresh_from_db()
    assert (exception.team, exception.escalation_level, exception.state) == ("care_leads", 1, "open")
    assert exception.due_at == NOW + dt.timedelta(minutes=120)  # a fresh timer for the new team
    row = body[body.index(exception.delivery.order_ref):]
    assert "Care leads" in row[:600] and "escalated" in row[:600]


def test_escalating_without_a_reason_says_what_is_missing(console, frozen_now, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/escalate/", {"reason": "  "}, follow=True)

    assert "Say why it needs the next team." in response.content.decode()
    exception.refresh_from_db()
    assert exception.team == "care" and exception.escalation_level == 0


def test_an_exception_at_the_top_of_the_ladder_cannot_be_escalated(console, frozen_now, exception):
    JourneyException.objects.filter(pk=exception.pk).update(team="operations", escalation_level=2)

    response = console.post(f"/care/exceptions/{exception.pk}/escalate/", {"reason": "Still stuck"}, follow=True)
    page = console.get("/care/exceptions/").content.decode()

    assert "already with the Operations manager: nobody is above" in response.content.decode()
    assert f"/care/exceptions/{exception.pk}/escalate/" not in page  # no button for what cannot be done


def test_a_teammates_exception_is_theirs_to_escalate(console, teammate, frozen_now, exception):
    JourneyException.objects.filter(pk=exception.pk).update(state="assigned", owner=teammate)

    response = console.post(f"/care/exceptions/{exception.pk}/escalate/", {"reason": "Too slow"}, follow=True)

    assert "already taken by Bruno Petit" in response.content.decode()
    exception.refresh_from_db()
    assert exception.team == "care"


def test_an_escalated_exception_is_resolved_like_any_other(console, frozen_now, exception):
    console.post(f"/care/exceptions/{exception.pk}/escalate/", {"reason": "Needs a refund decision"})

    response = console.post(f"/care/exceptions/{exception.pk}/resolve/", {"resolution": "Refund approved"},
                            follow=True)

    assert "Exception resolved." in response.content.decode()
    exception.refresh_from_db()
    assert exception.state == "resolved" and exception.resolution == "Refund approved"


def test_the_queue_filters_by_owner_team(console, frozen_now, exception):
    dispatch_one = JourneyExceptionFactory(code="dwell_spike", rule="dwell_spike", team="dispatch")

    dispatch_page = console.get("/care/exceptions/?team=dispatch").content.decode()
    care_page = console.get("/care/exceptions/?team=care").content.decode()

    assert dispatch_one.delivery.order_ref in dispatch_page and exception.delivery.order_ref not in dispatch_page
    assert exception.delivery.order_ref in care_page and dispatch_one.delivery.order_ref not in care_page
