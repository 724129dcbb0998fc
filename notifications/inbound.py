"""Text messages customers send us: STOP / START / HELP, and "R" then a digit to move a delivery.

Each message is claimed once by inserting its provider id (Twilio's MessageSid is unique in
`InboundSms`), so Twilio's retry of the same message changes nothing and gets the same answer.
The answer is returned as text; the webhook puts it in its TwiML response, so no outbound send
is needed to reply.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, translation
from twilio.request_validator import RequestValidator

from core import clock
from merchants.models import Merchant
from notifications.models import PHONE_CHANNELS, Channel, InboundSms, Message, OptOut, SmsConversation
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.models import Delivery, Window
from scheduling.selectors import delivery_reschedule_offers
from scheduling.services import delivery_reschedule, reschedule_open

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "AIDE"})
RESCHEDULE_WORDS = frozenset({"R", "RESCHEDULE", "CHANGER", "CHANGE"})
MAX_OFFERS = 3
# How long "reply 1, 2 or 3" stays understood after the offer.
CONVERSATION_MINUTES = 30
# A delivery still on its way, which a customer's text most likely is about.
OPEN_STATUSES = (
    Delivery.Status.BOOKED, Delivery.Status.SCHEDULED, Delivery.Status.OUT_FOR_DELIVERY, Delivery.Status.ATTEMPTED,
)

# The answers, per language a delivery may have (the booking API accepts en and fr). They are kept
# here rather than in a catalogue because each is a whole SMS whose length we want to see at once.
TEXTS = {
    "en": {
        "stop": "{brand}: you will get no more text messages from us. Reply START to get them again.",
        "stop_unknown": "You will get no more text messages from us. Reply START to get them again.",
        "start": "{brand}: you will get our delivery text messages again. Reply STOP to stop them.",
        "help": "{brand} deliveries.{contact} Reply R to change your delivery window, STOP to stop messages.",
        "contact": " Questions: {contact}.",
        "help_unknown": "We found no delivery for this number. Reply STOP to stop messages.",
        "offers": "{brand}: reply {choices} within {minutes} minutes to move your delivery to:\n{lines}",
        "or": "or",
        "moved": "{brand}: done, your delivery now comes on {window}.",
        "no_offers": "{brand}: no other delivery window is free right now.{contact}",
        "closed": "{brand}: it is too late to change this delivery by text.{contact}",
        "window_full": "Sorry, that window has just filled up.",
        "cutoff_passed": "Sorry, that window is no longer open for booking.",
        "refused": "Sorry, that change is not possible.",
    },
    "fr": {
        "stop": "{brand} : vous ne recevrez plus nos SMS. Répondez START pour les recevoir à nouveau.",
        "stop_unknown": "Vous ne recevrez plus nos SMS. Répondez START pour les recevoir à nouveau.",
        "start": "{brand} : vous recevrez à nouveau nos SMS de livraison. Répondez STOP pour les arrêter.",
        "help": "Livraisons {brand}.{contact} Répondez R pour changer de créneau, STOP pour ne plus recevoir de SMS.",
        "contact": " Questions : {contact}.",
        "help_unknown": "Aucune livraison trouvée pour ce numéro. Répondez STOP pour ne plus recevoir de SMS.",
        "offers": "{brand} : répondez {choices} dans les {minutes} minutes pour déplacer votre livraison :\n{lines}",
        "or": "ou",
        "moved": "{brand} : c’est fait, votre livraison arrive le {window}.",
        "no_offers": "{brand} : aucun autre créneau n’est libre pour le moment.{contact}",
        "closed": "{brand} : il est trop tard pour changer cette livraison par SMS.{contact}",
        "window_full": "Désolé, ce créneau vient d’être complet.",
        "cutoff_passed": "Désolé, ce créneau n’est plus ouvert à la réservation.",
        "refused": "Désolé, ce changement n’est pas possible.",
    },
}
REFUSALS = {
    SchedulingErrorCode.WINDOW_FULL: "window_full",
    SchedulingErrorCode.CUTOFF_PASSED: "cutoff_passed",
}


def twilio_signature_valid(*, url: str, params, signature: str, auth_token: str) -> bool:
    """Whether Twilio signed this request: the official validator over the public URL and the form fields.

    Without an auth token nothing can be checked, so nothing passes.
    """
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def keyword(body: str) -> str:
    """The word a customer sent, as we compare it: upper case, accents and surrounding spaces gone."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split()).strip(".!").strip().upper()


def delivery_for_phone(*, phone: str, now: dt.datetime) -> Delivery | None:
    """The delivery a text from this number is most likely about.

    One still on its way comes before one delivered or cancelled; among those, the one whose window
    is nearest to now (before or after), so a missed delivery yesterday beats one next week.
    """
    if not phone:
        return None
    deliveries = (
        Delivery.objects.filter(recipient_phone=phone)
        .select_related("merchant", "window__template", "window__zone__depot", "window__merchant")
        .order_by("-window__starts_at")[:50]
    )

    def rank(delivery: Delivery) -> tuple[bool, float]:
        window = delivery.window
        distance = max(dt.timedelta(0), window.starts_at - now, now - window.ends_at)
        return delivery.status not in OPEN_STATUSES, distance.total_seconds()

    return min(deliveries, key=rank, default=None)


def sms_opt_out(*, phone: str, merchants: list[Merchant]) -> int:
    """Stop texting this number for these merchants, at once: its queued SMS are suppressed. Returns how many."""
    with transaction.atomic():
        OptOut.objects.bulk_create(
            [OptOut(merchant=m, channel=Channel.SMS, address=phone) for m in merchants], ignore_conflicts=True)
        # WhatsApp goes to the same number and STOP covers it too.
        return Message.objects.filter(
            channel__in=PHONE_CHANNELS, to=phone, merchant__in=merchants, status=Message.Status.QUEUED,
        ).update(status=Message.Status.SUPPRESSED, error="The customer replied STOP.")


def sms_opt_in(*, phone: str) -> int:
    """Text this number again (START); returns how many opt-outs were lifted."""
    deleted, _ = OptOut.objects.filter(channel=Channel.SMS, address=phone).delete()
    return deleted


def inbound_sms_receive(*, provider_id: str, from_number: str, to_number: str, body: str,
                        now: dt.datetime | None = None) -> str:
    """Act on one inbound text once and return the answer to send back (empty for none).

    1. Claim the message by inserting its provider id; a message seen before returns its first answer.
    2. Read what it asks (STOP, START, HELP, R, a digit, anything else) and act, in the same transaction,
       so a failure leaves the message unclaimed for Twilio's retry.
    3. Remember what it was handled as and the answer.
    """
    now = now or clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundSms.objects.create(provider_id=provider_id, from_number=from_number[:20],
                                                    to_number=to_number[:20], body=body)
        except IntegrityError:
            return InboundSms.objects.filter(provider_id=provider_id).values_list("reply", flat=True).first() or ""
        handled_as, reply = _answer(phone=from_number, body=body, now=now)
        InboundSms.objects.filter(pk=inbound.pk).update(handled_as=handled_as, reply=reply)
    return reply


def _answer(*, phone: str, body: str, now: dt.datetime) -> tuple[str, str]:
    word = keyword(body)
    delivery = delivery_for_phone(phone=phone, now=now)
    if word in STOP_WORDS:
        merchants = list(Merchant.objects.filter(deliveries__recipient_phone=phone).distinct())
        sms_opt_out(phone=phone, merchants=merchants)
        return "stop", _text(delivery, "stop") if delivery else _text(None, "stop_unknown")
    if word in START_WORDS:
        sms_opt_in(phone=phone)
        return "start", _text(delivery, "start") if delivery else _text(None, "help_unknown")
    if delivery is None:
        return ("help" if word in HELP_WORDS else "unknown"), _text(None, "help_unknown")
    if word in RESCHEDULE_WORDS:
        return "reschedule", _offer(delivery=delivery, phone=phone, now=now)
    if word.isdigit():
        answered = _choose(phone=phone, choice=int(word), now=now)
        if answered is not None:
            return "reschedule", answered
    return ("help" if word in HELP_WORDS else "unknown"), _text(delivery, "help")


def _offer(*, delivery: Delivery, phone: str, now: dt.datetime, lead: str = "") -> str:
    """Up to three windows numbered 1–3, remembered for `CONVERSATION_MINUTES`; or why there are none."""
    if not reschedule_open(delivery=delivery, now=now):
        return _lead(lead, _text(delivery, "closed"))
    offers = delivery_reschedule_offers(delivery=delivery, now=now)[:MAX_OFFERS]
    if not offers:
        return _lead(lead, _text(delivery, "no_offers"))
    # Only the latest offer to a number counts: a digit always means what the last message said.
    SmsConversation.objects.filter(from_number=phone, expires_at__gt=now).update(expires_at=now)
    SmsConversation.objects.create(
        delivery=delivery, from_number=phone, offered_window_ids=[o.window.pk for o in offers],
        offered_at=now, expires_at=now + dt.timedelta(minutes=CONVERSATION_MINUTES),
    )
    texts = _texts(delivery)
    numbers = [str(i) for i in range(1, len(offers) + 1)]
    choices = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} {texts['or']} {numbers[-1]}"
    lines = "\n".join(f"{n}. {window_label(window=o.window, language=_language(delivery))}"
                      for n, o in zip(numbers, offers, strict=True))
    return _lead(lead, _text(delivery, "offers", choices=choices, minutes=CONVERSATION_MINUTES, lines=lines))


def _choose(*, phone: str, choice: int, now: dt.datetime) -> str | None:
    """Move the delivery to the window numbered `choice` in the live offer; None when there is no such offer."""
    conversation = SmsConversation.objects.filter(from_number=phone, expires_at__gt=now).first()
    if conversation is None or not 1 <= choice <= len(conversation.offered_window_ids):
        return None
    delivery = (
        Delivery.objects.select_related("merchant", "window__template", "window__zone__depot", "window__merchant")
        .get(pk=conversation.delivery_id)
    )
    window = (
        Window.objects.filter(pk=conversation.offered_window_ids[choice - 1], merchant=delivery.merchant_id)
        .select_related("template", "zone__depot", "merchant").first()
    )
    if window is None:
        return _offer(delivery=delivery, phone=phone, now=now, lead=_text(delivery, "refused"))
    try:
        delivery_reschedule(delivery=delivery, window=window, now=now,
                            closes_before_minutes=settings.RESCHEDULE_CLOSES_MINUTES)
    except SchedulingError as error:
        refusal = _text(delivery, REFUSALS.get(error.code, "refused"))
        return _offer(delivery=delivery, phone=phone, now=now, lead=refusal)
    SmsConversation.objects.filter(pk=conversation.pk).update(expires_at=now)
    return _text(delivery, "moved", window=window_label(window=window, language=_language(delivery)))


def window_label(*, window: Window, language: str) -> str:
    """"Tuesday 2 June, 10:00–12:00" in the merchant's time zone and the customer's language."""
    tz = window.merchant.zone_info
    starts, ends = window.starts_at.astimezone(tz), window.ends_at.astimezone(tz)
    with translation.override(language):
        day = formats.date_format(starts, "l j F")
    return f"{day}, {starts:%H:%M}–{ends:%H:%M}"


def _language(delivery: Delivery | None) -> str:
    for language in (delivery.language if delivery else "", delivery.merchant.default_language if delivery else ""):
        if language in TEXTS:
            return language
    return "en"


def _texts(delivery: Delivery | None) -> dict[str, str]:
    return TEXTS[_language(delivery)]


def _text(delivery: Delivery | None, name: str, **values) -> str:
    texts = _texts(delivery)
    if delivery is None:
        return texts[name].format(**values)
    merchant = delivery.merchant
    contact = merchant.support_phone or merchant.email_from
    contact_text = texts["contact"].format(contact=contact) if contact else ""
    return texts[name].format(brand=merchant.brand_name, contact=contact_text, **values)


def _lead(lead: str, text: str) -> str:
    return f"{lead} {text}" if lead else text
