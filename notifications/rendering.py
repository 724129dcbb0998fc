"""What a message says: Django templates per language under templates/notifications/.

Templates see a small context, documented in `MessageContext`, and nothing else: never the
street address, the access notes or a door code, which must not travel by SMS or email.

    notifications/<lang>/<trigger>.sms.txt     the SMS
    notifications/<lang>/<trigger>.email.txt   first line the subject, then a blank line, then the text
    notifications/<lang>/email.html            the branded HTML around that text (extends email_base.html)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, engines
from django.utils import formats, translation
from django.utils.text import capfirst

from notifications.models import Trigger
from scheduling.models import Delivery

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class MessageContext:
    brand: str  # the merchant's brand name
    primary_colour: str  # "#1a73e8", for the HTML email
    accent_colour: str
    logo_src: str  # may be empty
    first_name: str  # the recipient's first name
    order_ref: str
    window_label: str  # "Tuesday 2 June, 10:00–12:00", in the merchant's time zone and the message's language
    tracking_url: str  # {PUBLIC_BASE_URL}/t/<token>/
    reschedule_url: str  # {PUBLIC_BASE_URL}/t/<token>/reschedule/
    support_phone: str  # may be empty
    action: str  # "track", "reschedule" or "" : the HTML email's button
    action_url: str
    eta_label: str = ""  # "14:20": the live estimate, for the ETA warnings (empty otherwise)
    stops_away: int | None = None  # stops before the customer's, for "arriving soon"


@dataclass(frozen=True)
class Rendered:
    sms: str
    subject: str
    text: str
    html: str


def message_language(delivery: Delivery) -> str:
    for code in (delivery.language, delivery.merchant.default_language):
        code = (code or "").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def window_label(delivery: Delivery, language: str) -> str:
    tz = delivery.merchant.zone_info
    start, end = delivery.window.starts_at.astimezone(tz), delivery.window.ends_at.astimezone(tz)
    with translation.override(language):
        day = capfirst(formats.date_format(start, "l j F"))
    return f"{day}, {start:%H:%M}–{end:%H:%M}"


def message_context(*, delivery: Delivery, trigger: str, language: str, eta: dt.datetime | None = None,
                    stops_away: int | None = None) -> MessageContext:
    merchant = delivery.merchant
    tracking_url = f"{settings.PUBLIC_BASE_URL}/t/{delivery.tracking_token}/"
    reschedule_url = f"{tracking_url}reschedule/"
    action = {Trigger.CANCELLED: "", Trigger.ATTEMPTED: "reschedule", Trigger.RUNNING_LATE: "reschedule"}.get(
        trigger, "track")
    return MessageContext(
        brand=merchant.brand_name or merchant.name, primary_colour=merchant.primary_colour,
        accent_colour=merchant.accent_colour, logo_src=merchant.logo_src,
        first_name=(delivery.recipient_name.split() or [""])[0], order_ref=delivery.order_ref,
        window_label=window_label(delivery, language), tracking_url=tracking_url, reschedule_url=reschedule_url,
        support_phone=merchant.support_phone, action=action,
        action_url={"track": tracking_url, "reschedule": reschedule_url}.get(action, ""),
        eta_label=eta.astimezone(merchant.zone_info).strftime("%H:%M") if eta is not None else "",
        stops_away=stops_away,
    )


def _render(name: str, context: dict, *, autoescape: bool) -> str:
    template = engines["django"].engine.get_template(name)
    return template.render(Context(context, autoescape=autoescape))


def message_render(*, delivery: Delivery, trigger: str, eta: dt.datetime | None = None,
                   stops_away: int | None = None) -> Rendered:
    language = message_language(delivery)
    context = dataclasses.asdict(message_context(delivery=delivery, trigger=trigger, language=language, eta=eta,
                                                 stops_away=stops_away))
    with translation.override(language):
        sms = _render(f"notifications/{language}/{trigger}.sms.txt", context, autoescape=False).strip()
        subject, _, text = _render(f"notifications/{language}/{trigger}.email.txt", context,
                                   autoescape=False).strip().partition("\n")
        text = text.strip()
        html = _render(f"notifications/{language}/email.html", context | {"subject": subject, "text": text},
                       autoescape=True)
    return Rendered(sms=sms, subject=subject.strip(), text=text, html=html)
