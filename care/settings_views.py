"""The merchant settings tab of care: the playbook rules, as this merchant runs them.

Mounted under /settings/<merchant slug>/ beside the other apps' tabs, behind the same decorator (signed in,
staff of that merchant, allowed to change its settings). The platform's staff change any merchant's in the admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from care.forms import PlaybookRuleForm
from care.playbooks.rules import rule_configs
from care.playbooks.services import playbook_rule_save
from core.errors import DomainError
from merchants.models import Merchant
from merchants.settings_views import owner_settings_page, settings_render


class _Refused(Exception):
    """Leaves the transaction so no rule is saved when one is refused."""


@owner_settings_page
@require_http_methods(["GET", "POST"])
def playbooks(request, merchant: Merchant):
    configs = rule_configs(merchant_id=merchant.pk)
    data = request.POST if request.method == "POST" else None
    forms = [PlaybookRuleForm(data, spec=config.spec, initial=PlaybookRuleForm.initial_for(config))
             for config in configs]
    if data is not None and all(form.is_valid() for form in forms):
        try:
            with transaction.atomic():
                for form in forms:
                    values = form.cleaned_data
                    try:
                        playbook_rule_save(
                            merchant=merchant, rule=form.spec.rule, enabled=values["enabled"],
                            threshold_minutes=values.get("threshold_minutes"), team=values["team"],
                            sla_minutes=values["sla_minutes"], notify_customer=values.get("notify_customer", False),
                            request_replan=values.get("request_replan", False))
                    except DomainError as error:
                        for name, problems in error.fields.items():
                            form.add_error(name if name in form.fields else None, problems)
                        raise _Refused from error
        except _Refused:
            pass
        else:
            messages.success(request, "Playbook rules saved.")
            return redirect("care:settings-playbooks", merchant.slug)
    status = 400 if data is not None else 200
    return settings_render(request, "care/settings/playbooks.html", {"forms": forms, "invalid": status == 400},
                           tab="playbooks", status=status)
