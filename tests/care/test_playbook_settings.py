"""A merchant's owner sets up the playbooks: which rules run, their thresholds, owner teams, timers and actions."""

import pytest

from care.errors import CareError
from care.models import PlaybookRule
from care.playbooks.rules import SPECS, Rule, rule_config
from care.playbooks.services import playbook_rule_save
from merchants.models import StaffMembership
from tests.merchants.conftest import signed_in, staff_of

pytestmark = pytest.mark.django_db

URL = "/settings/fresh-basket/playbooks/"


@pytest.fixture
def as_owner(merchant):
    return signed_in(staff_of(merchant, "olivia", StaffMembership.Role.OWNER))


def the_defaults(**changes) -> dict:
    """The form as the page first shows it, with `changes` ({"predicted_late-team": "dispatch"}) on top."""
    data = {}
    for spec in SPECS.values():
        prefix = spec.rule.value
        if spec.enabled:
            data[f"{prefix}-enabled"] = "on"
        if spec.threshold_label:
            data[f"{prefix}-threshold_minutes"] = str(spec.threshold_minutes)
        data[f"{prefix}-team"] = spec.team.value
        data[f"{prefix}-sla_minutes"] = str(spec.sla_minutes)
        if spec.notify_customer:
            data[f"{prefix}-notify_customer"] = "on"
        if spec.request_replan:
            data[f"{prefix}-request_replan"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_owner_sees_every_rule_with_its_defaults(as_owner):
    body = as_owner.get(URL).content.decode()

    for spec in SPECS.values():
        assert spec.label in body
    assert 'name="predicted_late-threshold_minutes" value="10"' in body
    assert 'name="failed_attempt-threshold_minutes"' not in body  # a rule without a threshold asks for none
    assert 'name="failed_attempt-notify_customer"' not in body  # nor for an action it cannot take


def test_the_owner_changes_a_rule_and_the_playbooks_follow(as_owner, merchant):
    response = as_owner.post(URL, the_defaults(**{
        "predicted_late-threshold_minutes": "25", "predicted_late-team": "dispatch",
        "predicted_late-sla_minutes": "45", "predicted_late-notify_customer": "on", "gps_silent-enabled": None,
    }), follow=True)

    assert "Playbook rules saved." in response.content.decode()
    late = rule_config(merchant_id=merchant.pk, rule=Rule.PREDICTED_LATE)
    assert (late.threshold_minutes, late.team, late.sla_minutes, late.notify_customer) == (25, "dispatch", 45, True)
    assert rule_config(merchant_id=merchant.pk, rule=Rule.GPS_SILENT).enabled is False
    assert rule_config(merchant_id=merchant.pk, rule=Rule.DWELL_SPIKE).request_replan is True  # left as it was


def test_a_timer_of_zero_minutes_is_refused_with_what_to_fix_and_nothing_is_saved(as_owner):
    response = as_owner.post(URL, the_defaults(**{"dwell_spike-sla_minutes": "0",
                                                 "predicted_late-threshold_minutes": "25"}))

    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert "Nothing was saved: fix the values marked below." in response.content.decode()
    assert not PlaybookRule.objects.exists()


def test_a_care_agent_of_the_shop_may_not_change_its_playbooks(merchant):
    agent = signed_in(staff_of(merchant, "carl", StaffMembership.Role.CARE))

    response = agent.post(URL, the_defaults(**{"predicted_late-enabled": None}))

    assert response.status_code == 403 and not PlaybookRule.objects.exists()


def test_the_service_refuses_an_action_the_rule_cannot_take(merchant):
    with pytest.raises(CareError) as refused:
        playbook_rule_save(merchant=merchant, rule=Rule.FAILED_ATTEMPT, enabled=True, threshold_minutes=None,
                           team="care", sla_minutes=60, notify_customer=True, request_replan=False)

    assert refused.value.fields == {"notify_customer": ["This rule does not warn customers."]}
