from django.contrib import admin

from notifications.models import InboundSms, Message, OptOut, Reminder, SmsConversation


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["merchant", "channel", "template", "to", "status", "created_at", "sent_at"]
    list_filter = ["channel", "status", "merchant"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["delivery", "kind", "send_at", "sent_at"]


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["merchant", "channel", "address", "created_at"]


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin):
    list_display = ["from_number", "body", "handled_as", "received_at"]
    readonly_fields = ["reply"]


@admin.register(SmsConversation)
class SmsConversationAdmin(admin.ModelAdmin):
    list_display = ["from_number", "delivery", "offered_window_ids", "offered_at", "expires_at"]
