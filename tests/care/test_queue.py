"""The exception queue: owners, timers, and one winner when two agents reach for the same exception."""

import datetime as dt
import threading

import pytest
from django.db import connections

from care import services as care
from care.models import JourneyException
from core.errors import DomainError
from tests.care.conftest import NOW, make_agent
from tests.care.factories import JourneyExceptionFactory


@pytest.fixture
def exception(db):
    return JourneyExceptionFactory(opened_at=NOW - dt.timedelta(minutes=30), due_at=NOW + dt.timedelta(minutes=12))


@pytest.mark.django_db
def test_the_queue_shows_timers_with_overdue_ones_in_red_and_first(console, frozen_now, exception):
    late = JourneyExceptionFactory(code="window_at_risk", message="Van 3 is 40 min late",
                                   opened_at=NOW - dt.timedelta(hours=3), due_at=NOW - dt.timedelta(minutes=5))
    JourneyExceptionFactory(code="old_news", state="resolved", resolved_at=NOW, resolution="done")

    body = console.get("/care/exceptions/").content.decode()

    assert body.index("window_at_risk") < body.index("failed_attempt")
    assert "overdue by 5 min" in body and "due in 12 min" in body
    assert 'class="badge badge-bad care-timer">overdue by 5 min' in body
    assert "3 h 00 min" in body  # the late one's age
    assert "old_news" not in body
    assert late.delivery.order_ref in body


@pytest.mark.django_db
def test_an_agent_takes_an_exception_and_a_teammate_is_told_who_has_it(console, teammate, frozen_now, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/take/", follow=True)
    assert "You own this exception now." in response.content.decode()

    teammate_console = console.__class__()
    teammate_console.force_login(teammate)
    response = teammate_console.post(f"/care/exceptions/{exception.pk}/take/", follow=True)

    assert "already taken by Alice Moreau" in response.content.decode()
    exception.refresh_from_db()
    assert exception.state == "assigned" and exception.owner.username == "alice"


@pytest.mark.django_db
def test_the_filters_show_mine_and_unassigned(console, agent, frozen_now, exception):
    other = JourneyExceptionFactory(code="unclaimed_thing")
    care.exception_assign(exception=exception, agent=agent, now=NOW)

    mine = console.get("/care/exceptions/?show=mine").content.decode()
    unassigned = console.get("/care/exceptions/?show=unassigned").content.decode()

    assert exception.delivery.order_ref in mine and other.delivery.order_ref not in mine
    assert other.delivery.order_ref in unassigned and exception.delivery.order_ref not in unassigned


@pytest.mark.django_db
def test_releasing_puts_it_back_and_only_the_owner_can(agent, teammate, exception):
    care.exception_assign(exception=exception, agent=agent, now=NOW)
    with pytest.raises(DomainError) as refused:
        care.exception_release(exception=exception, agent=teammate, now=NOW)
    assert refused.value.code == "exception_taken"

    care.exception_release(exception=exception, agent=agent, now=NOW)
    exception.refresh_from_db()
    assert exception.state == "open" and exception.owner is None


@pytest.mark.django_db
def test_resolving_needs_a_note(console, frozen_now, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/resolve/", {"resolution": "   "}, follow=True)
    assert "Say how the exception was resolved." in response.content.decode()
    exception.refresh_from_db()
    assert exception.state == "open" and exception.resolved_at is None

    with pytest.raises(DomainError) as refused:
        care.exception_resolve(exception=exception, agent=make_agent("carla"), resolution="", now=NOW)
    assert refused.value.code == "resolution_required"


@pytest.mark.django_db
def test_resolving_with_a_note_closes_it_and_it_leaves_the_queue(console, agent, frozen_now, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/resolve/",
                            {"resolution": "Rebooked for tomorrow morning", "next": "/care/exceptions/"}, follow=True)
    assert "Exception resolved." in response.content.decode()
    exception.refresh_from_db()
    assert exception.state == "resolved" and exception.owner == agent and exception.resolved_at == NOW
    assert exception.resolution == "Rebooked for tomorrow morning"
    assert exception.delivery.order_ref not in console.get("/care/exceptions/").content.decode()


@pytest.mark.django_db
def test_an_exception_someone_else_holds_cannot_be_resolved_by_me(agent, teammate, exception):
    care.exception_assign(exception=exception, agent=teammate, now=NOW)
    with pytest.raises(DomainError) as refused:
        care.exception_resolve(exception=exception, agent=agent, resolution="Handled", now=NOW)
    assert "already taken by Bruno Petit" in refused.value.message
    exception.refresh_from_db()
    assert exception.state == "assigned"


@pytest.mark.django_db
def test_an_action_never_redirects_off_site(console, exception):
    response = console.post(f"/care/exceptions/{exception.pk}/take/", {"next": "https://evil.example.com/"})
    assert response["Location"] == "/care/exceptions/"


@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_the_same_exception_at_once_only_one_wins():
    agents = [make_agent(f"agent{i}") for i in range(8)]
    rounds = [JourneyExceptionFactory(opened_at=NOW, due_at=NOW + dt.timedelta(hours=1)) for _ in range(5)]
    for exception in rounds:
        start = threading.Barrier(len(agents))
        outcomes = [None] * len(agents)

        def take(index, exception=exception, start=start, outcomes=outcomes):
            start.wait()
            try:
                care.exception_assign(exception=JourneyException.objects.get(pk=exception.pk), agent=agents[index],
                                      now=NOW)
                outcomes[index] = "won"
            except DomainError as refused:
                outcomes[index] = refused.code
            finally:
                connections.close_all()

        threads = [threading.Thread(target=take, args=(i,)) for i in range(len(agents))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert outcomes.count("won") == 1
        assert outcomes.count("exception_taken") == len(agents) - 1
        exception.refresh_from_db()
        assert exception.owner == agents[outcomes.index("won")]
