"""What a message says: Django templates per language under templates/notifications/.

Templates see a small context, documented in `MessageContext`, and nothing else: never the
street address, the access notes or a door code, which must not travel by SMS or email.

    notifications/<lang>/<trigger>.sms.txt     the SMS
    notifications/<lang>/<trigger>.email.txt   first line the subject, then a blank line, then the text
    notifications/<lang>/email.html            the branded HTML around that text (extends email_base.html)

A merchant may override the SMS or the email of a trigger and language (MessageTemplate). Its text is
filled by plain `{placeholder}` substitution over PLACEHOLDERS, not by the template language, so it
can reach neither tags nor objects; its email is wrapped in the same branded email.html.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, engines
from django.utils import formats, translation
from django.utils.text import capfirst

from core import clock
from merchants.brand import support_phone_display
from merchants.models import Merchant
from notifications.models import Channel, MessageTemplate, Trigger
from scheduling.models import Delivery
from tracking.models import Event, Milestone, ProofOfDelivery

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")

# What a merchant's own text may say, and nothing else (a subset of MessageContext).
PLACEHOLDERS = {
    "brand": "the merchant's brand name",
    "first_name": "the recipient's first name",
    "order_ref": "the order reference",
    "window_label": "the booked window, e.g. \"Tuesday 2 June, 10:00–12:00\", in the message's language",
    "tracking_url": "the customer's tracking page",
    "reschedule_url": "the page to choose another window",
    "support_phone": "the merchant's support phone (may be empty)",
    "support_email": "the merchant's support email (may be empty)",
    "support_hours": "when the merchant's support answers, e.g. \"Mon–Sat 9:00–18:00\" (may be empty)",
    "eta_label": "the live arrival estimate, e.g. \"14:20\" (running late and arriving soon only)",
    "stops_away": "stops before the customer's (arriving soon only)",
    "outcome_note": "how it ended, e.g. \"Received by C. Durand at 12:16.\" or \"Nobody was home.\" "
                    "(delivered and attempted only)",
}
# Why a delivery failed, as the customer reads it (the driver's reason codes; anything else says nothing).
ATTEMPT_REASONS = {
    "en": {"nobody_home": "Nobody was home.", "access_refused": "We could not get into the building.",
           "address_not_found": "We could not find the address.", "refused_by_recipient": "The parcel was refused.",
           "damaged": "The parcel was damaged; we are taking it back.", "no_safe_place": "There was no safe place to leave it.",
           "out_of_time": "We ran out of time on today's round."},
    "fr": {"nobody_home": "Personne n'était présent.", "access_refused": "Nous n'avons pas pu entrer dans l'immeuble.",
           "address_not_found": "Nous n'avons pas trouvé l'adresse.", "refused_by_recipient": "Le colis a été refusé.",
           "damaged": "Le colis était endommagé ; nous le reprenons.", "no_safe_place": "Il n'y avait pas d'endroit sûr où le laisser.",
           "out_of_time": "Notre tournée du jour a manqué de temps."},
}
# Three concatenated segments of the GSM 7-bit alphabet.
SMS_MAX_CHARS = 459
_BRACED = re.compile(r"\{([^{}]*)\}")


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
    outcome_note: str = ""  # delivered: who received it and when; attempted: why it failed (empty otherwise)
    support_email: str = ""  # may be empty
    support_hours: str = ""  # may be empty


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
    return _window_text(delivery.window.starts_at, delivery.window.ends_at, delivery.merchant, language)


def _window_text(starts_at: dt.datetime, ends_at: dt.datetime, merchant: Merchant, language: str) -> str:
    tz = merchant.zone_info
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    with translation.override(language):
        day = capfirst(formats.date_format(start, "l j F"))
    return f"{day}, {start:%H:%M}–{end:%H:%M}"


def outcome_note(*, delivery: Delivery, trigger: str, language: str) -> str:
    """Delivered: who received the parcel and when (from the proof); attempted: the driver's reason."""
    if trigger == Trigger.DELIVERED:
        proof = ProofOfDelivery.objects.filter(delivery=delivery).first()
        if proof is None:
            return ""
        at = proof.captured_at.astimezone(delivery.merchant.zone_info).strftime("%H:%M")
        if language == "fr":
            return f"Reçu par {proof.recipient_name} à {at}." if proof.recipient_name else f"Livré à {at}."
        return f"Received by {proof.recipient_name} at {at}." if proof.recipient_name else f"Delivered at {at}."
    if trigger == Trigger.ATTEMPTED:
        attempt = (Event.objects.filter(delivery=delivery, milestone=Milestone.ATTEMPTED)
                   .order_by("-recorded_at", "-pk").first())
        return ATTEMPT_REASONS.get(language, ATTEMPT_REASONS["en"]).get(attempt.reason if attempt else "", "")
    return ""


def message_context(*, delivery: Delivery, trigger: str, language: str, eta: dt.datetime | None = None,
                    stops_away: int | None = None) -> MessageContext:
    context = _context(merchant=delivery.merchant, trigger=trigger, tracking_token=delivery.tracking_token,
                       recipient_name=delivery.recipient_name, order_ref=delivery.order_ref,
                       window_label=window_label(delivery, language), eta=eta, stops_away=stops_away,
                       language=language)
    return dataclasses.replace(context, outcome_note=outcome_note(delivery=delivery, trigger=trigger, language=language))


def _context(*, merchant: Merchant, trigger: str, tracking_token: str, recipient_name: str, order_ref: str,
             window_label: str, eta: dt.datetime | None, stops_away: int | None, language: str) -> MessageContext:
    tracking_url = f"{settings.PUBLIC_BASE_URL}/t/{tracking_token}/"
    reschedule_url = f"{tracking_url}reschedule/"
    action = {Trigger.CANCELLED: "", Trigger.ATTEMPTED: "reschedule", Trigger.RUNNING_LATE: "reschedule"}.get(
        trigger, "track")
    with translation.override(language):
        hours = merchant.support_hours  # "Mon–Sat 9:00–18:00", "lun.–sam. 9:00–18:00"
    return MessageContext(
        brand=merchant.brand_name or merchant.name, primary_colour=merchant.primary_colour,
        accent_colour=merchant.accent_colour, logo_src=merchant.logo_src,
        first_name=(recipient_name.split() or [""])[0], order_ref=order_ref,
        window_label=window_label, tracking_url=tracking_url, reschedule_url=reschedule_url,
        support_phone=support_phone_display(merchant.support_phone) if merchant.support_phone else "", action=action,
        support_email=merchant.support_email, support_hours=hours,
        action_url={"track": tracking_url, "reschedule": reschedule_url}.get(action, ""),
        eta_label=eta.astimezone(merchant.zone_info).strftime("%H:%M") if eta is not None else "",
        stops_away=stops_away,
    )


def sample_context(*, merchant: Merchant, trigger: str, language: str) -> MessageContext:
    """A made-up delivery for previews: Camille Durand, tomorrow 10:00–12:00 in the merchant's time zone."""
    tz = merchant.zone_info
    tomorrow = clock.now().astimezone(tz).date() + dt.timedelta(days=1)
    starts_at = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=tz)
    ends_at = dt.datetime.combine(tomorrow, dt.time(12), tzinfo=tz)
    return _context(merchant=merchant, trigger=trigger, tracking_token="SAMPLE", recipient_name="Camille Durand",
                    order_ref="SAMPLE-1042", window_label=_window_text(starts_at, ends_at, merchant, language),
                    eta=starts_at + dt.timedelta(minutes=40), stops_away=3, language=language)


def placeholders_help() -> str:
    return "; ".join(f"{{{name}}}: {description}" for name, description in PLACEHOLDERS.items())


def _allowed() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def text_problem(text: str) -> str:
    """Why `text` is not a valid merchant template, or "" when it is."""
    for match in _BRACED.finditer(text):
        if match.group(1) not in PLACEHOLDERS:
            return f"Unknown placeholder {match.group(0)}. Allowed placeholders: {_allowed()}."
    if "{" in _BRACED.sub("", text) or "}" in _BRACED.sub("", text):
        return f"A brace is not closed or not opened: write placeholders as {{name}}. Allowed placeholders: {_allowed()}."
    return ""


def fill(text: str, context: MessageContext) -> str:
    """`text` with each `{placeholder}` replaced once; refuses a text that `text_problem` refuses."""
    if problem := text_problem(text):
        raise ValueError(problem)
    values = dataclasses.asdict(context)

    def value(match: re.Match) -> str:
        found = values[match.group(1)]
        return "" if found is None else str(found)

    return _BRACED.sub(value, text)


def template_errors(template: MessageTemplate) -> dict[str, list[str]]:
    """Field errors of a merchant template: placeholders, a subject for email only, an SMS that fits."""
    errors: dict[str, list[str]] = {}
    for field in ("subject", "body"):
        if problem := text_problem(getattr(template, field)):
            errors.setdefault(field, []).append(problem)
    if template.channel == Channel.SMS and template.subject.strip():
        errors.setdefault("subject", []).append("An SMS has no subject: leave it empty.")
    if template.channel == Channel.EMAIL and not template.subject.strip():
        errors.setdefault("subject", []).append("An email needs a subject.")
    if template.channel == Channel.SMS and "body" not in errors:
        sms = template.body
        if template.merchant_id and template.trigger and template.language in LANGUAGES:
            sms = fill(template.body, sample_context(merchant=template.merchant, trigger=template.trigger,
                                                     language=template.language))
        if len(sms.strip()) > SMS_MAX_CHARS:
            errors["body"] = [f"This SMS is too long: {len(sms.strip())} characters with the sample delivery filled "
                              f"in, and an SMS may have at most {SMS_MAX_CHARS} (three messages)."]
    return errors


def _render(name: str, context: dict, *, autoescape: bool) -> str:
    template = engines["django"].engine.get_template(name)
    return template.render(Context(context, autoescape=autoescape))


def _overrides(*, merchant_id: int, trigger: str, language: str) -> dict[str, MessageTemplate]:
    found = {}
    for template in MessageTemplate.objects.filter(merchant_id=merchant_id, trigger=trigger, language=language):
        if text_problem(template.subject) or text_problem(template.body):  # saved around the validation
            log.warning("Message template %s is not valid; the default text is sent instead.", template.pk)
            continue
        found[template.channel] = template
    return found


def _compose(*, context: MessageContext, trigger: str, language: str,
             overrides: dict[str, MessageTemplate]) -> Rendered:
    values = dataclasses.asdict(context)
    with translation.override(language):
        if Channel.SMS in overrides:
            sms = fill(overrides[Channel.SMS].body, context).strip()
        else:
            sms = _render(f"notifications/{language}/{trigger}.sms.txt", values, autoescape=False).strip()
        if Channel.EMAIL in overrides:
            subject, text = fill(overrides[Channel.EMAIL].subject, context), fill(overrides[Channel.EMAIL].body, context)
        else:
            subject, _, text = _render(f"notifications/{language}/{trigger}.email.txt", values,
                                       autoescape=False).strip().partition("\n")
        subject, text = " ".join(subject.split()), text.strip()
        # Every email, a merchant's own wording included, ends with how to reach the shop.
        footer = _render(f"notifications/{language}/support_footer.txt", values, autoescape=False).strip()
        if footer:
            text = f"{text}\n\n{footer}"
        html = _render(f"notifications/{language}/email.html", values | {"subject": subject, "text": text},
                       autoescape=True)
    return Rendered(sms=sms, subject=subject, text=text, html=html)


def message_render(*, delivery: Delivery, trigger: str, eta: dt.datetime | None = None,
                   stops_away: int | None = None) -> Rendered:
    language = message_language(delivery)
    context = message_context(delivery=delivery, trigger=trigger, language=language, eta=eta, stops_away=stops_away)
    return _compose(context=context, trigger=trigger, language=language,
                    overrides=_overrides(merchant_id=delivery.merchant_id, trigger=trigger, language=language))


def template_preview(template: MessageTemplate) -> Rendered:
    """What the sample delivery would receive with this template (the file template for the other channel)."""
    context = sample_context(merchant=template.merchant, trigger=template.trigger, language=template.language)
    return _compose(context=context, trigger=template.trigger, language=template.language,
                    overrides={template.channel: template})
