"""Playbook writes: open a rule's exception once, take its automatic actions, clear it, escalate it.

Like the queue's own actions, each change is a conditional write the database decides: a unique
constraint keeps one live exception per rule and delivery, and an escalation is an UPDATE whose
WHERE clause names the level it moves from, so two sweeps at once escalate it once.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from care.errors import CareError, CareErrorCode
from care.labels import agent_label
from care.models import JourneyException, PlaybookRule, Team
from care.playbooks.rules import (
    ESCALATES_TO,
    MAX_SLA_MINUTES,
    MAX_THRESHOLD_MINUTES,
    SPECS,
    Rule,
    RuleConfig,
    RuleConfigs,
    rule_config,
)
from core.audit import audit_event
from dispatch.models import Route
from dispatch.replans import replan_request
from merchants.models import Merchant
from notifications.models import Message, Trigger
from notifications.services import delivery_notify
from scheduling.models import Delivery

LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)
CUSTOMER_WARNED = "customer warned"
CUSTOMER_ALREADY_WARNED = "customer already warned"
CUSTOMERS_WARNED = "customers warned"
CUSTOMERS_ALREADY_WARNED = "customers already warned"
REPLAN_REQUESTED = "re-plan requested"


def playbook_open(*, delivery: Delivery, rule: Rule, message: str, now: dt.datetime,
                  config: RuleConfig | None = None, eta: dt.datetime | None = None) -> JourneyException | None:
    """Open the rule's exception on this delivery, owned by the rule's team and due in its SLA, and take its
    automatic actions; None when the merchant turned the rule off or one is already live (nothing is repeated).

    `eta` is the live estimate a customer warning quotes, when the rule knows one.
    """
    config = config or rule_config(merchant_id=delivery.merchant_id, rule=rule)
    if not config.enabled:
        return None
    try:
        with transaction.atomic():
            exception = JourneyException.objects.create(
                delivery=delivery, code=rule.value, rule=rule.value, message=message[:300], opened_at=now,
                due_at=now + dt.timedelta(minutes=config.sla_minutes), team=config.team,
                sla_minutes=config.sla_minutes,
            )
    except IntegrityError:
        return None  # the rule's exception on this delivery is already live: one_live_exception_per_rule
    done = _act(exception=exception, config=config, now=now, eta=eta)
    if done:
        exception.message = f"{message} Done automatically: {', '.join(done)}."[:300]
        JourneyException.objects.filter(pk=exception.pk).update(message=exception.message)
        audit_event(instance=exception, event="exception.auto_actions",
                    summary=f"Playbook {rule.value}: {', '.join(done)}")
    return exception


def _act(*, exception: JourneyException, config: RuleConfig, now: dt.datetime, eta: dt.datetime | None) -> list[str]:
    """The rule's automatic actions, through the services that own them; what was done, as the queue says it."""
    delivery = Delivery.objects.select_related("merchant", "window", "job").get(pk=exception.delivery_id)
    done = []
    if config.notify_customer:
        warned = _warn(delivery=delivery, now=now, eta=eta)
        if warned:
            done.append(warned)
    if config.request_replan and delivery.job is not None:
        replan_request(depot_id=delivery.job.depot_id, date=delivery.job.date, trigger=f"playbook:{config.rule}")
        done.append(REPLAN_REQUESTED)
    return done


def _warn(*, delivery: Delivery, now: dt.datetime, eta: dt.datetime | None) -> str | None:
    """Tell the customer their parcel runs late: CUSTOMER_WARNED, CUSTOMER_ALREADY_WARNED, or None (not sent)."""
    # The same event key as notifications' own ETA warning: a customer hears "running late" once per window,
    # whichever noticed first.
    event_key = f"running_late:{delivery.pk.hex}:{delivery.window_id}"
    if delivery_notify(delivery=delivery, trigger=Trigger.RUNNING_LATE, now=now, eta=eta, event_key=event_key):
        return CUSTOMER_WARNED
    if Message.objects.filter(dedupe_key__startswith=event_key).exists():
        return CUSTOMER_ALREADY_WARNED
    return None


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _act_for_van(*, deliveries: list[Delivery], configs: RuleConfigs, rule: Rule, now: dt.datetime,
                 replan: bool) -> list[str]:
    """A van's exception's automatic actions: each customer whose merchant says so is warned, and the depot's day is
    re-planned once when the first delivery's merchant asks for it (`replan`)."""
    warned = already = 0
    for delivery in deliveries:
        if configs.get(merchant_id=delivery.merchant_id, rule=rule).notify_customer:
            outcome = _warn(delivery=delivery, now=now, eta=None)
            warned += outcome == CUSTOMER_WARNED
            already += outcome == CUSTOMER_ALREADY_WARNED
    done = []
    if warned:
        done.append(_plural(warned, CUSTOMER_WARNED, CUSTOMERS_WARNED))
    if already:
        done.append(_plural(already, CUSTOMER_ALREADY_WARNED, CUSTOMERS_ALREADY_WARNED))
    first = deliveries[0]
    if replan and first.job is not None:
        replan_request(depot_id=first.job.depot_id, date=first.job.date, trigger=f"playbook:{rule}")
        done.append(REPLAN_REQUESTED)
    return done


def _with_done(message: str, done: list[str]) -> str:
    return (f"{message} Done automatically: {', '.join(done)}." if done else message)[:300]


def playbook_open_for_van(*, route: Route, deliveries: list[Delivery], rule: Rule, message: str, now: dt.datetime,
                          configs: RuleConfigs) -> JourneyException | None:
    """Open the rule's one exception for a van's route, on its first delivery and listing every one it holds up,
    owned by that delivery's merchant's team for the rule; None when one is already live for the route."""
    config = configs.get(merchant_id=deliveries[0].merchant_id, rule=rule)
    try:
        with transaction.atomic():
            exception = JourneyException.objects.create(
                delivery=deliveries[0], route=route, code=rule.value, rule=rule.value, message=message[:300],
                opened_at=now, due_at=now + dt.timedelta(minutes=config.sla_minutes), team=config.team,
                sla_minutes=config.sla_minutes,
            )
            exception.affected.set(deliveries)
    except IntegrityError:
        return None  # already live for this route (or its first delivery): one_live_exception_per_route_rule
    done = _act_for_van(deliveries=deliveries, configs=configs, rule=rule, now=now, replan=config.request_replan)
    if done:
        exception.message = _with_done(message, done)
        JourneyException.objects.filter(pk=exception.pk).update(message=exception.message)
        audit_event(instance=exception, event="exception.auto_actions",
                    summary=f"Playbook {rule.value}: {', '.join(done)}")
    return exception


def playbook_van_update(*, exception: JourneyException, route: Route, deliveries: list[Delivery], message: str,
                        now: dt.datetime, configs: RuleConfigs) -> None:
    """A van's live exception, seen again: follow its route (a re-plan gives the van a new one), list the deliveries
    it now holds up too (their customers warned when their merchant says so), and say how many are waiting."""
    known = set(exception.affected.values_list("pk", flat=True))
    added = [delivery for delivery in deliveries if delivery.pk not in known]
    done = exception.message.partition(" Done automatically: ")[2].rstrip(".")
    if added:
        exception.affected.add(*added)
        warned = _act_for_van(deliveries=added, configs=configs, rule=Rule(exception.rule), now=now, replan=False)
        done = ", ".join(filter(None, [done, *warned]))
    text = _with_done(message, [done] if done else [])
    if text != exception.message or route.pk != exception.route_id:
        JourneyException.objects.filter(pk=exception.pk, state__in=LIVE_STATES).update(message=text, route=route)


def playbook_clear(*, delivery_id, rule: Rule, reason: str, now: dt.datetime) -> int:
    """Close the rule's live exception on this delivery: its condition has cleared. Returns how many closed (0 or 1)."""
    resolution = f"Closed automatically: {reason}"[:300]
    live = list(JourneyException.objects.filter(delivery_id=delivery_id, rule=rule, state__in=LIVE_STATES))
    closed = 0
    for exception in live:
        if JourneyException.objects.filter(pk=exception.pk, state__in=LIVE_STATES).update(
                state=JourneyException.State.RESOLVED, resolved_at=now, resolution=resolution) != 1:
            continue
        closed += 1
        audit_event(instance=exception, event="exception.cleared", summary=f"Exception {exception.code} {resolution[0].lower()}{resolution[1:]}",
                    changes={"state": (exception.state, JourneyException.State.RESOLVED), "resolution": ("", resolution)})
    return closed


def _escalated(*, exception: JourneyException, now: dt.datetime, where: Q, summary: str) -> bool:
    """Move the exception one team up, back to the team's queue with a fresh timer, if `where` still holds."""
    to = ESCALATES_TO.get(exception.team)
    if to is None:
        return False
    moved = JourneyException.objects.filter(where, pk=exception.pk, state__in=LIVE_STATES,
                                            escalation_level=exception.escalation_level, team=exception.team).update(
        team=to, escalation_level=F("escalation_level") + 1, escalated_at=now,
        due_at=now + dt.timedelta(minutes=exception.sla_minutes), state=JourneyException.State.OPEN, owner=None,
    )
    if moved != 1:
        return False
    audit_event(instance=exception, event="exception.escalated", summary=summary,
                changes={"team": (Team(exception.team).label, to.label),
                         "escalation_level": (exception.escalation_level, exception.escalation_level + 1),
                         "owner": (agent_label(exception.owner), "")})
    exception.team, exception.escalation_level, exception.escalated_at = to, exception.escalation_level + 1, now
    exception.due_at = now + dt.timedelta(minutes=exception.sla_minutes)
    exception.state, exception.owner = JourneyException.State.OPEN, None
    return True


def exception_escalate(*, exception: JourneyException, agent: AbstractBaseUser, reason: str,
                       now: dt.datetime) -> JourneyException:
    """An agent hands the exception to the next team up, saying why; an open one or their own, not a teammate's."""
    reason = reason.strip()
    if not reason:
        raise CareError(CareErrorCode.ESCALATION_REASON_REQUIRED, "Say why it needs the next team.",
                        fields={"reason": ["Say why it needs the next team."]})
    if exception.state == JourneyException.State.RESOLVED:
        raise CareError(CareErrorCode.EXCEPTION_RESOLVED, "This exception is already resolved.", status_code=409)
    if exception.owner_id not in (None, agent.pk):
        raise CareError(CareErrorCode.EXCEPTION_TAKEN,
                        f"This exception is already taken by {agent_label(exception.owner)}.", status_code=409)
    if exception.team not in ESCALATES_TO:
        raise CareError(CareErrorCode.ESCALATION_AT_TOP,
                        f"This exception is already with the {Team(exception.team).label}: nobody is above.",
                        status_code=409)
    summary = (f"Exception {exception.code} escalated by {agent_label(agent)} to "
               f"{ESCALATES_TO[exception.team].label}: {reason[:200]}")
    if not _escalated(exception=exception, now=now, summary=summary,
                      where=Q(owner__isnull=True) | Q(owner=agent)):
        raise CareError(CareErrorCode.EXCEPTION_TAKEN, "Someone changed this exception meanwhile. Look again.",
                        status_code=409)
    return exception


def exceptions_escalate_due(*, now: dt.datetime) -> int:
    """Every live exception whose timer has run out moves one team up; returns how many moved."""
    due = (JourneyException.objects.filter(state__in=LIVE_STATES, due_at__lte=now, team__in=list(ESCALATES_TO))
           .select_related("owner").order_by("due_at", "pk"))
    moved = 0
    for exception in due:
        late = now - exception.due_at
        summary = (f"Exception {exception.code} escalated to {ESCALATES_TO[exception.team].label}: "
                   f"its {exception.sla_minutes} min timer ran out {int(late.total_seconds() // 60)} min ago")
        moved += _escalated(exception=exception, now=now, summary=summary, where=Q(due_at__lte=now))
    return moved


def playbook_rule_save(*, merchant: Merchant, rule: Rule, enabled: bool, threshold_minutes: int | None,
                       team: str, sla_minutes: int, notify_customer: bool, request_replan: bool) -> PlaybookRule:
    """Set how this merchant runs one rule. A value out of range is refused with what to fix."""
    spec = SPECS[rule]
    fields: dict[str, list[str]] = {}
    if spec.threshold_label and not (threshold_minutes is not None and 1 <= threshold_minutes <= MAX_THRESHOLD_MINUTES):
        fields["threshold_minutes"] = [f"Between 1 and {MAX_THRESHOLD_MINUTES} minutes."]
    if not 1 <= sla_minutes <= MAX_SLA_MINUTES:
        fields["sla_minutes"] = [f"Between 1 and {MAX_SLA_MINUTES} minutes."]
    if team not in Team.values:
        fields["team"] = ["Pick one of the teams."]
    if notify_customer and not spec.may_notify:
        fields["notify_customer"] = ["This rule does not warn customers."]
    if request_replan and not spec.may_replan:
        fields["request_replan"] = ["This rule does not re-plan."]
    if fields:
        raise CareError(CareErrorCode.INVALID_PLAYBOOK_RULE, f"The {spec.label} rule could not be saved.",
                        fields=fields)
    row, _created = PlaybookRule.objects.update_or_create(
        merchant=merchant, code=rule,
        defaults={"enabled": enabled, "threshold_minutes": threshold_minutes if spec.threshold_label else None,
                  "team": team, "sla_minutes": sla_minutes, "notify_customer": notify_customer,
                  "request_replan": request_replan},
    )
    return row
