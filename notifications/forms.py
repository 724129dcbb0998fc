from django import forms
from django.conf import settings

from notifications.models import MerchantMessaging, MessageTemplate, Trigger
from notifications.rendering import SMS_MAX_CHARS, placeholders_help


class MessageTemplateForm(forms.ModelForm):
    """The model's clean() checks the placeholders and the SMS length; this form says what is allowed."""

    class Meta:
        model = MessageTemplate
        fields = ["merchant", "trigger", "language", "channel", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].help_text = "Email only. The same placeholders as the text."
        self.fields["body"].help_text = (
            f"Plain text with placeholders in braces, filled for each delivery: {placeholders_help()}. "
            f"An SMS may be at most {SMS_MAX_CHARS} characters (three messages) once filled in. "
            "The email is sent inside the brand's layout, links made clickable.")


class TimeInput(forms.TimeInput):
    input_type = "time"


class MerchantMessagingForm(forms.ModelForm):
    """The merchant's switches: which moments customers hear about, when running late counts, quiet hours."""

    running_late_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=240, label="Running late after (minutes)",
        help_text="Warn the customer when the arrival estimate passes the window's end by more than this. "
                  "Empty: the portal's setting.")

    class Meta:
        model = MerchantMessaging
        fields = ["on_booked", "on_rescheduled", "on_cancelled", "on_out_for_delivery", "on_delivered",
                  "on_attempted", "on_running_late", "on_arriving_soon", "on_day_before", "on_tracking_link", "running_late_minutes",
                  "quiet_hours_start", "quiet_hours_end", "whatsapp"]
        widgets = {"quiet_hours_start": TimeInput(format="%H:%M"), "quiet_hours_end": TimeInput(format="%H:%M")}
        labels = {"quiet_hours_start": "Quiet from", "quiet_hours_end": "Quiet until",
                  "whatsapp": "Send by WhatsApp instead of SMS"}
        help_texts = {"quiet_hours_start": "In the shop's time zone. Messages that fall in quiet hours wait until "
                                           "they end. The same time in both: no quiet hours."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for trigger in Trigger:
            self.fields[f"on_{trigger.value}"].label = trigger.label
        self.fields["running_late_minutes"].widget.attrs["placeholder"] = f"{settings.RUNNING_LATE_MINUTES} (the portal's)"

    @property
    def trigger_fields(self):
        return [self[f"on_{trigger.value}"] for trigger in Trigger]


class MerchantTemplateForm(MessageTemplateForm):
    """A merchant's own wording, on the settings page: the merchant is the page's, never a field.

    The page lists the placeholders beside the form, so the help under the text is short.
    """

    class Meta(MessageTemplateForm.Meta):
        fields = ["trigger", "language", "channel", "subject", "body"]
        labels = {"trigger": "Moment"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].help_text = "Email only; an SMS has none."
        self.fields["body"].help_text = (
            f"Plain text with the placeholders listed here filled in for each delivery. An SMS may be at most "
            f"{SMS_MAX_CHARS} characters (three messages) once filled in; an email is sent inside your brand's "
            "layout, links made clickable.")
