"""Email through Django's configured backend (SMTP in production, console in the demo).

A branded HTML part, the same words as plain text, and an optional iCalendar
invite as a `text/calendar` part with its METHOD, which mail clients offer to
add to (or remove from) the calendar.
"""

from __future__ import annotations

import smtplib
from email.mime.text import MIMEText
from email.utils import make_msgid, parseaddr

from django.core.mail import EmailMultiAlternatives

from notifications.channels import ChannelError


def send(*, to: str, subject: str, text: str, html: str, from_email: str, calendar: str = "",
         calendar_method: str = "REQUEST") -> str:
    # The sender may carry a display name ("Fresh Basket" <livraison@…>): the id takes the address's domain only.
    message_id = make_msgid(domain=parseaddr(from_email)[1].rpartition("@")[2] or None)
    email = EmailMultiAlternatives(subject=subject, body=text, from_email=from_email, to=[to],
                                   headers={"Message-ID": message_id})
    if html:
        email.attach_alternative(html, "text/html")
    if calendar:
        invite = MIMEText(calendar, "calendar", "utf-8")
        invite.set_param("method", calendar_method)
        invite.add_header("Content-Disposition", "attachment", filename="delivery.ics")
        email.attach(invite)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise ChannelError(f"Recipient refused: {error.recipients}"[:300], permanent=True) from error
    except smtplib.SMTPResponseException as error:
        # 5xx is the server's final word on this message; 4xx asks to try later.
        raise ChannelError(f"SMTP {error.smtp_code}: {error.smtp_error!r}"[:300],
                           permanent=500 <= error.smtp_code < 600) from error
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError(f"SMTP unavailable: {error}"[:300], permanent=False) from error
    return message_id.strip("<>")
