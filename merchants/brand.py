"""What a brand may be: the rules its settings are checked against, used by the model, forms and pages."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext, pgettext

from core.contrast import AA_NORMAL_TEXT, WHITE, contrast_ratio

# Emails write white on the primary colour (pages pick a readable ink themselves): warn below WCAG AA.
MIN_TEXT_CONTRAST = AA_NORMAL_TEXT

# An SMS sender is an E.164 number or an alphanumeric id: up to 11 letters, digits or spaces, with a letter
# (what carriers accept; a sender they refuse makes the SMS fail or arrive from an unknown number).
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


# The settings page's live preview fills the same sentence in as the colour changes.
CONTRAST_WARNING = ("White text on {colour} has a contrast of {ratio}:1, below the {minimum}:1 that people with low "
                    "vision need. Emails write white on it, so their header and button will be hard to read "
                    "(the tracking page and the picker switch to dark text). A darker primary colour reads "
                    "well everywhere.")


def white_text_contrast_warning(colour: str) -> str:
    """A sentence for the merchant when white text on `colour` is hard to read, or ""."""
    ratio = contrast_ratio(colour, WHITE)
    if ratio >= MIN_TEXT_CONTRAST:
        return ""
    return CONTRAST_WARNING.format(colour=colour, ratio=f"{ratio:.1f}", minimum=MIN_TEXT_CONTRAST)


def validate_sms_sender(value: str) -> None:
    if value and not (_ALPHANUMERIC_SENDER.match(value) or _E164.match(value)):
        raise ValidationError(
            "Use up to 11 letters, digits or spaces with at least one letter (e.g. FreshBasket), "
            "or a phone number in international format such as +33612345678.")


def validate_languages(value) -> None:
    known = [code for code, _name in settings.LANGUAGES]
    if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
        raise ValidationError("Choose at least one language.")
    unknown = [code for code in value if code not in known]
    if unknown:
        raise ValidationError(f"Unknown language {', '.join(unknown)}: choose among {', '.join(known)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Each language may appear once.")


def support_phone_normalise(value: str, *, country: str) -> str:
    """A support phone as +33180000000; a national number is read as `country`'s. Raises ValidationError."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{value} is not a phone number we can call: write it as +33 1 80 00 00 00 "
                              f"or as a number of {country}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def support_phone_display(value: str) -> str:
    """+33180000000 as people write it, +33 1 80 00 00 00, to edit; anything unreadable as it is."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value


# --- Support hours -----------------------------------------------------------------------------------------
# Kept as days and times, not text, so each customer reads them in their own language.

WEEKDAYS = ((1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday"), (6, "Saturday"),
            (7, "Sunday"))


def validate_support_days(value) -> None:
    if not isinstance(value, list) or not all(isinstance(day, int) and 1 <= day <= 7 for day in value):
        raise ValidationError("Support days are ISO weekdays: 1 for Monday to 7 for Sunday.")
    if len(set(value)) != len(value):
        raise ValidationError("Each support day may appear once.")


def validate_support_hours(*, days: list[int], opens: dt.time | None, closes: dt.time | None) -> None:
    """Days, opening and closing time come together (or not at all), and the shop closes after it opens.
    Raises ValidationError naming the field to fix."""
    if not (days or opens or closes):
        return
    errors = {}
    if not days:
        errors["support_days"] = "Tick the days you answer, or clear the times to show no hours."
    if opens is None:
        errors["support_opens"] = "Give the time you start answering."
    if closes is None:
        errors["support_closes"] = "Give the time you stop answering."
    elif opens is not None and closes <= opens:
        errors["support_closes"] = f"Give a time after {opens:%H:%M}, when you start answering."
    if errors:
        raise ValidationError(errors)


def _day_runs(days: list[int]) -> list[tuple[int, int]]:
    """Consecutive days as (first, last) runs: [1, 2, 3, 5] is Monday to Wednesday, and Friday."""
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _clock(value: dt.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def support_hours_label(*, days: list[int], opens: dt.time | None, closes: dt.time | None, note: str = "") -> str:
    """The hours in the active language: "Mon–Sat 9:00–18:00", "lun.–sam. 9:00–18:00", then the note, if any."""
    # 1 January 2024 was a Monday: ISO weekday n is that date plus n - 1.
    abbreviation = pgettext("a weekday in support hours, as a Django date format", "D")

    def name(day: int) -> str:
        return formats.date_format(dt.date(2024, 1, day), abbreviation)

    def run(first: int, last: int) -> str:
        if first == last:
            return name(first)
        return f"{name(first)}, {name(last)}" if last == first + 1 else f"{name(first)}–{name(last)}"

    parts = []
    if days and opens is not None and closes is not None:
        when = gettext("every day") if len(set(days)) == 7 else ", ".join(run(*r) for r in _day_runs(days))
        parts.append(f"{when} {_clock(opens)}–{_clock(closes)}")
    if note:
        parts.append(note)
    return " · ".join(parts)
