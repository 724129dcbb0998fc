"""Care agents' writes on the exception queue: open, take, release, resolve.

Who owns an exception is decided by the database: every change is one
conditional UPDATE whose WHERE clause states what must still be true, and the
row count says whether it was. Two agents taking the same exception at once
cannot both win; the loser is told who did.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from care.errors import CareError, CareErrorCode
from care.labels import agent_label
from care.models import JourneyException
from core.audit import audit_event
from scheduling.models import Delivery

DEFAULT_DUE_MINUTES = 120
MAX_DUE_MINUTES = 7 * 24 * 60
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)


def _refused(exception_id: int, agent: AbstractBaseUser) -> CareError:
    """Why a conditional update changed nothing, read after the fact (for the message only)."""
    current = JourneyException.objects.select_related("owner").filter(pk=exception_id).first()
    if current is None or current.state == JourneyException.State.RESOLVED:
        by = f" by {agent_label(current.owner)}" if current is not None and current.owner_id else ""
        return CareError(CareErrorCode.EXCEPTION_RESOLVED, f"This exception is already resolved{by}.",
                             status_code=409)
    if current.owner_id is not None and current.owner_id != agent.pk:
        return CareError(CareErrorCode.EXCEPTION_TAKEN,
                             f"This exception is already taken by {agent_label(current.owner)}.", status_code=409)
    return CareError(CareErrorCode.EXCEPTION_NOT_YOURS, "This exception is not assigned to you.", status_code=409)


def exception_open(*, delivery: Delivery, code: str, message: str, now: dt.datetime,
                   due_in_minutes: int = DEFAULT_DUE_MINUTES) -> JourneyException:
    """Open an exception on a delivery by hand; it joins the queue, due `due_in_minutes` from now."""
    code, message = code.strip(), message.strip()
    fields: dict[str, list[str]] = {}
    if not CODE_PATTERN.match(code):
        fields["code"] = ["Use a short code in lower case, such as customer_contact."]
    if not message:
        fields["message"] = ["Say what the problem is."]
    if not 1 <= due_in_minutes <= MAX_DUE_MINUTES:
        fields["due_in_minutes"] = [f"Between 1 and {MAX_DUE_MINUTES} minutes."]
    if fields:
        raise CareError(CareErrorCode.INVALID_EXCEPTION, "The exception could not be opened.", fields=fields)
    return JourneyException.objects.create(
        delivery=delivery, code=code, message=message[:300], opened_at=now,
        due_at=now + dt.timedelta(minutes=due_in_minutes),
    )


def exception_open_for_problem(*, delivery: Delivery, code: str, message: str,
                               now: dt.datetime) -> JourneyException:
    """Open the exception the journey asked for (a failed attempt, an unmapped carrier code)."""
    return JourneyException.objects.create(
        delivery=delivery, code=code[:40], message=message[:300], opened_at=now,
        due_at=now + dt.timedelta(minutes=DEFAULT_DUE_MINUTES),
    )


def exception_assign(*, exception: JourneyException, agent: AbstractBaseUser, now: dt.datetime) -> JourneyException:
    """Take an exception: it must be open, or already mine (taking it twice is harmless).

    `now` is accepted for symmetry with the other actions; the model keeps no assignment time.
    """
    taken = (
        JourneyException.objects.filter(pk=exception.pk)
        .filter(Q(state=JourneyException.State.OPEN) | Q(state=JourneyException.State.ASSIGNED, owner=agent))
        .update(state=JourneyException.State.ASSIGNED, owner=agent)
    )
    if taken != 1:
        raise _refused(exception.pk, agent)
    if exception.owner_id != agent.pk:
        audit_event(instance=exception, event="exception.taken", summary=f"Exception {exception.code} taken",
                    changes={"state": (exception.state, JourneyException.State.ASSIGNED),
                             "owner": (agent_label(exception.owner), agent_label(agent))})
    exception.state, exception.owner = JourneyException.State.ASSIGNED, agent
    return exception


def exception_release(*, exception: JourneyException, agent: AbstractBaseUser, now: dt.datetime) -> JourneyException:
    """Give an exception back to the queue; only its owner can."""
    released = JourneyException.objects.filter(
        pk=exception.pk, state=JourneyException.State.ASSIGNED, owner=agent
    ).update(state=JourneyException.State.OPEN, owner=None)
    if released != 1:
        raise _refused(exception.pk, agent)
    audit_event(instance=exception, event="exception.released", summary=f"Exception {exception.code} released to the queue",
                changes={"state": (JourneyException.State.ASSIGNED, JourneyException.State.OPEN),
                         "owner": (agent_label(agent), "")})
    exception.state, exception.owner = JourneyException.State.OPEN, None
    return exception


def exception_resolve(*, exception: JourneyException, agent: AbstractBaseUser, resolution: str,
                      now: dt.datetime) -> JourneyException:
    """Close an exception with a note saying what was done. An open one is taken and resolved in one step;
    one that another agent holds is theirs to close."""
    resolution = resolution.strip()
    if not resolution:
        raise CareError(CareErrorCode.RESOLUTION_REQUIRED, "Say how the exception was resolved.",
                            fields={"resolution": ["Say how the exception was resolved."]})
    resolved = (
        JourneyException.objects.filter(pk=exception.pk, state__in=LIVE_STATES)
        .filter(Q(owner__isnull=True) | Q(owner=agent))
        .update(state=JourneyException.State.RESOLVED, owner=agent, resolved_at=now, resolution=resolution[:300])
    )
    if resolved != 1:
        raise _refused(exception.pk, agent)
    # The resolver becomes the owner: the exception says who resolved it, and so does its audit entry.
    audit_event(instance=exception, event="exception.resolved",
                summary=f"Exception {exception.code} resolved by {agent_label(agent)}: {resolution[:300]}",
                changes={"state": (exception.state, JourneyException.State.RESOLVED),
                         "owner": (agent_label(exception.owner), agent_label(agent)),
                         "resolution": ("", resolution[:300])})
    exception.state, exception.owner = JourneyException.State.RESOLVED, agent
    exception.resolved_at, exception.resolution = now, resolution[:300]
    return exception
