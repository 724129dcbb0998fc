from django import forms

from notifications.models import MessageTemplate
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
