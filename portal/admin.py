"""The audit log in the admin: read by staff, changed by no one.

auditlog's own LogEntry admin refuses to add and change entries but lets a superuser delete them through
cascades; an audit trail someone can trim proves nothing, so it is replaced here by one that refuses every
write, for everyone. It filters by model, action, staff user, who acted (the label `core.audit` records for
API keys, carriers, devices, customers and tasks too), their kind, and date.
"""

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from django.contrib import admin
from django.db.models import Q

from core.audit import ActorKind, audit_summary, audit_who

# The "who" filter lists the labels of this many most recent entries: enough for the people and keys active now.
WHO_LOOKUP_ENTRIES = 2000


class ActorKindFilter(admin.SimpleListFilter):
    title = "kind of actor"
    parameter_name = "actor_kind"

    def lookups(self, request, model_admin):
        return list(ActorKind.labels.items())

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        kind = Q(additional_data__actor_kind=self.value())
        if self.value() == ActorKind.SYSTEM:
            # Entries written with no actor in scope (a thread of the demo's simulator) are the system's.
            kind |= Q(additional_data__isnull=True) | ~Q(additional_data__has_key="actor_kind")
        return queryset.filter(kind)


class WhoFilter(admin.SimpleListFilter):
    title = "who"
    parameter_name = "who"

    def lookups(self, request, model_admin):
        recent = LogEntry.objects.order_by("-timestamp").values_list("additional_data__actor", flat=True)
        labels = sorted({label for label in recent[:WHO_LOOKUP_ENTRIES] if label})
        return [(label, label) for label in labels]

    def queryset(self, request, queryset):
        return queryset.filter(additional_data__actor=self.value()) if self.value() else queryset


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(AuditlogEntryAdmin):
    list_display = ["created", "resource_url", "action", "summary", "who", "remote_addr", "cid_url"]
    list_filter = ["action", ResourceTypeFilter, ActorKindFilter, WhoFilter,
                   ("actor", admin.RelatedOnlyFieldListFilter), "timestamp"]
    search_fields = [*AuditlogEntryAdmin.search_fields, "additional_data"]
    readonly_fields = [*AuditlogEntryAdmin.readonly_fields, "who", "summary", "remote_addr", "additional_data"]
    fieldsets = [
        (None, {"fields": ["created", "who", "remote_addr", "resource_url", "cid"]}),
        ("Changes", {"fields": ["action", "summary", "msg", "additional_data"]}),
    ]
    actions = None

    @admin.display(description="Who")
    def who(self, obj: LogEntry) -> str:
        return audit_who(obj)

    @admin.display(description="What")
    def summary(self, obj: LogEntry) -> str:
        return audit_summary(obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
