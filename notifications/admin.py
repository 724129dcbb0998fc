from django.contrib import admin
from django.utils.html import escape, format_html

from notifications.forms import MessageTemplateForm
from notifications.models import (
    Channel,
    InboundSms,
    MerchantMessaging,
    Message,
    MessageTemplate,
    OptOut,
    Reminder,
    SmsConversation,
)
from notifications.rendering import template_preview


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


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["merchant", "trigger", "language", "channel"]
    list_filter = ["channel", "language", "trigger", "merchant"]
    fields = ["merchant", "trigger", "language", "channel", "subject", "body", "preview"]
    readonly_fields = ["preview"]

    @admin.display(description="Preview (sample delivery)")
    def preview(self, obj: MessageTemplate) -> str:
        if obj is None or obj.pk is None:
            return "Save to see the message rendered for a sample delivery."
        rendered = template_preview(obj)
        note = "Camille Durand, tomorrow 10:00–12:00 in the merchant's time zone."
        if obj.channel == Channel.SMS:
            return format_html(
                '<p>{}</p><pre class="message-preview-sms">{}</pre><p>{} characters</p>',
                note, rendered.sms, len(rendered.sms))
        return format_html(
            '<p>{}</p><p><strong>Subject:</strong> <span class="message-preview-subject">{}</span></p>'
            '<pre class="message-preview-text">{}</pre>'
            '<iframe class="message-preview-email" title="Email preview" sandbox srcdoc="{}"></iframe>',
            # The rendered email is a SafeString, which format_html would leave unescaped and end the attribute.
            note, rendered.subject, rendered.text, escape(rendered.html))
