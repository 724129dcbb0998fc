from django.contrib import admin

from care.models import JourneyException


@admin.register(JourneyException)
class JourneyExceptionAdmin(admin.ModelAdmin):
    list_display = ["delivery", "code", "state", "owner", "opened_at", "due_at"]
    list_filter = ["state", "code"]
