from django.contrib import admin

from care.models import JourneyException, PlaybookRule


@admin.register(JourneyException)
class JourneyExceptionAdmin(admin.ModelAdmin):
    list_display = ["delivery", "code", "state", "team", "escalation_level", "owner", "opened_at", "due_at"]
    list_filter = ["state", "team", "code", "rule"]
    # Ids, not a list of every delivery and route: a van's exception lists the parcels it holds up.
    raw_id_fields = ["delivery", "owner", "route", "affected"]


@admin.register(PlaybookRule)
class PlaybookRuleAdmin(admin.ModelAdmin):
    """A merchant's settings for one rule; the rule's defaults apply where a merchant has no row
    (care.playbooks.rules.SPECS). Merchant owners edit theirs on the settings page."""

    list_display = ["merchant", "code", "enabled", "threshold_minutes", "team", "sla_minutes", "notify_customer",
                    "request_replan"]
    list_filter = ["code", "team", "enabled"]
