"""The playbook rules, defined once: what each watches, its defaults, and each merchant's settings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from care.models import ESCALATES_TO, PlaybookRule, Team

__all__ = ["ESCALATES_TO", "RULE_CODES", "SPECS", "Rule", "RuleConfig", "RuleConfigs", "rule_config", "rule_configs"]


class Rule(StrEnum):
    PREDICTED_LATE = "predicted_late"
    NO_SCAN_OUT = "no_scan_out"
    DWELL_SPIKE = "dwell_spike"
    FAILED_ATTEMPT = "failed_attempt"
    UNDELIVERABLE_MESSAGE = "undeliverable_message"
    UNKNOWN_CARRIER_CODE = "unknown_carrier_code"
    GPS_SILENT = "gps_silent"


@dataclass(frozen=True)
class RuleSpec:
    """What a rule watches and how it starts out for every merchant."""

    rule: Rule
    label: str
    watches: str
    threshold_label: str | None  # what the threshold means; None: the rule has none
    threshold_minutes: int | None
    team: Team
    sla_minutes: int
    # Which automatic actions make sense for the rule (a "running late" message after a failed attempt does not).
    # Predicted late warns nobody by default: notifications already sends its own running-late warning, with the
    # merchant's slack and look-ahead; a merchant may still have the rule warn at once. A missed scan-out neither
    # warns nor re-plans by default: a parcel booked after its van left is one too, and at 08:30 an evening
    # window is not late (the demo's same-day bookings warned customers and re-planned a depot every minute).
    may_notify: bool = False
    may_replan: bool = False
    notify_customer: bool = False
    request_replan: bool = False
    enabled: bool = True


SPECS: dict[Rule, RuleSpec] = {spec.rule: spec for spec in (
    RuleSpec(Rule.PREDICTED_LATE, "Predicted late", "The live ETA leaves the delivery window.",
             "Minutes past the window's end", 10, Team.CARE, 30, may_notify=True, may_replan=True),
    RuleSpec(Rule.NO_SCAN_OUT, "No scan-out by the cut-off",
             "A van's parcels have not left the depot by the cut-off (one exception per van).",
             "Minutes after the van's planned departure", 30, Team.DISPATCH, 30, may_notify=True, may_replan=True),
    RuleSpec(Rule.DWELL_SPIKE, "Dwell spike", "The van has stood at a stop far longer than a delivery takes.",
             "Minutes at the stop", 15, Team.DISPATCH, 20, may_notify=True, may_replan=True, request_replan=True),
    RuleSpec(Rule.FAILED_ATTEMPT, "Failed attempt", "The driver could not deliver.",
             None, None, Team.CARE, 120),
    RuleSpec(Rule.UNDELIVERABLE_MESSAGE, "Undeliverable message",
             "A message to the customer failed or could not be delivered.", None, None, Team.CARE, 60),
    RuleSpec(Rule.UNKNOWN_CARRIER_CODE, "Unknown carrier code", "A carrier sent a status code nobody mapped.",
             None, None, Team.CARE, 120),
    RuleSpec(Rule.GPS_SILENT, "GPS silent", "The van on the delivery's route has stopped sending positions.",
             "Minutes without a position", 10, Team.DISPATCH, 15, may_notify=True, may_replan=True),
)}

RULE_CODES = frozenset(rule.value for rule in Rule)
MAX_THRESHOLD_MINUTES = 24 * 60
MAX_SLA_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class RuleConfig:
    """A rule as one merchant runs it."""

    rule: Rule
    enabled: bool
    threshold_minutes: int | None
    team: Team
    sla_minutes: int
    notify_customer: bool
    request_replan: bool

    @property
    def spec(self) -> RuleSpec:
        return SPECS[self.rule]


def _config(spec: RuleSpec, row: PlaybookRule | None) -> RuleConfig:
    if row is None:
        return RuleConfig(rule=spec.rule, enabled=spec.enabled, threshold_minutes=spec.threshold_minutes,
                          team=spec.team, sla_minutes=spec.sla_minutes, notify_customer=spec.notify_customer,
                          request_replan=spec.request_replan)
    threshold = row.threshold_minutes if row.threshold_minutes is not None else spec.threshold_minutes
    return RuleConfig(rule=spec.rule, enabled=row.enabled,
                      threshold_minutes=threshold if spec.threshold_label else None,
                      team=Team(row.team), sla_minutes=row.sla_minutes,
                      notify_customer=row.notify_customer and spec.may_notify,
                      request_replan=row.request_replan and spec.may_replan)


def rule_config(*, merchant_id: int, rule: Rule) -> RuleConfig:
    """How this merchant runs this rule: its own row, else the rule's defaults."""
    return _config(SPECS[rule], PlaybookRule.objects.filter(merchant_id=merchant_id, code=rule).first())


def rule_configs(*, merchant_id: int) -> list[RuleConfig]:
    """Every rule as this merchant runs it, in the order of SPECS."""
    rows = {row.code: row for row in PlaybookRule.objects.filter(merchant_id=merchant_id)}
    return [_config(spec, rows.get(spec.rule)) for spec in SPECS.values()]


class RuleConfigs:
    """Rule settings looked up once per merchant, for a sweep that meets many deliveries."""

    def __init__(self) -> None:
        self._by_merchant: dict[int, dict[Rule, RuleConfig]] = {}

    def get(self, *, merchant_id: int, rule: Rule) -> RuleConfig:
        if merchant_id not in self._by_merchant:
            self._by_merchant[merchant_id] = {c.rule: c for c in rule_configs(merchant_id=merchant_id)}
        return self._by_merchant[merchant_id][rule]
