from django.contrib import admin

from notifications.models import InboundSms, MerchantMessaging, Message, OptOut, Reminder, SmsConversation


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["merchant", "channel", "trigger", "to", "status", "created_at", "send_after", "sent_at"]
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




@admin.register(MerchantMessaging)
class MerchantMessagingAdmin(admin.ModelAdmin):
    list_display = ["merchant", "quiet_hours_start", "quiet_hours_end", "on_booked", "on_rescheduled", "on_cancelled",
                    "on_out_for_delivery", "on_delivered", "on_attempted"]
