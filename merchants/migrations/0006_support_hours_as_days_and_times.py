"""Support hours become days and times (shown in each customer's language) and a note kept as written.

The old free text is read where it has the usual shape, "Mon–Sat 9:00–18:00" or "lun.–sam. 8h30-20h" (English
or French day names, a range or a list of days, then opening and closing times); whatever is not read that
way stays, whole, as the note, so nothing a merchant wrote is lost.
"""

import datetime as dt
import re

import django.db.models
from django.db import migrations, models

import merchants.brand

_DAYS = {
    "mon": 1, "monday": 1, "lun": 1, "lundi": 1, "tue": 2, "tues": 2, "tuesday": 2, "mar": 2, "mardi": 2,
    "wed": 3, "wednesday": 3, "mer": 3, "mercredi": 3, "thu": 4, "thur": 4, "thurs": 4, "thursday": 4, "jeu": 4,
    "jeudi": 4, "fri": 5, "friday": 5, "ven": 5, "vendredi": 5, "sat": 6, "saturday": 6, "sam": 6, "samedi": 6,
    "sun": 7, "sunday": 7, "dim": 7, "dimanche": 7,
}
_DAY = r"([a-zé]+)\.?"
_TIME = r"(\d{1,2})(?:[:h.](\d{2}))?\s*h?"
_SHAPE = re.compile(rf"^\s*(?P<days>{_DAY}(?:\s*[-–,/&]\s*{_DAY})*)\s*:?\s*{_TIME}\s*[-–]\s*{_TIME}\s*$", re.IGNORECASE)


def _read(text: str):
    """(days, opens, closes) from the usual shape, or None."""
    found = _SHAPE.match(text or "")
    if found is None:
        return None
    days: list[int] = []
    after_dash = False
    for token in re.findall(r"[a-zé]+|[-–]", found["days"], re.IGNORECASE):
        if token in "-–":
            after_dash = True
            continue
        day = _DAYS.get(token.lower())
        if day is None or (after_dash and (not days or day <= days[-1])):
            return None
        days.extend(range(days[-1] + 1, day + 1) if after_dash else [day])
        after_dash = False
    groups = found.groups()[-4:]
    try:
        opens = dt.time(int(groups[0]), int(groups[1] or 0))
        closes = dt.time(int(groups[2]) % 24, int(groups[3] or 0))
    except ValueError:
        return None
    if not days or closes <= opens or len(set(days)) != len(days):
        return None
    return sorted(days), opens, closes


def forwards(apps, schema_editor):
    Merchant = apps.get_model("merchants", "Merchant")
    for merchant in Merchant.objects.exclude(support_note=""):
        read = _read(merchant.support_note)
        if read is not None:
            merchant.support_days, merchant.support_opens, merchant.support_closes = read
            merchant.support_note = ""
            merchant.save(update_fields=["support_days", "support_opens", "support_closes", "support_note"])


def backwards(apps, schema_editor):
    Merchant = apps.get_model("merchants", "Merchant")
    names = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
    for merchant in Merchant.objects.exclude(support_days=[]):
        if merchant.support_opens is None or merchant.support_closes is None:
            continue
        days = ", ".join(names[day] for day in merchant.support_days)
        text = f"{days} {merchant.support_opens:%H:%M}–{merchant.support_closes:%H:%M}"
        merchant.support_note = (f"{text} · {merchant.support_note}" if merchant.support_note else text)[:80]
        merchant.save(update_fields=["support_note"])


class Migration(migrations.Migration):

    dependencies = [
        ("merchants", "0005_platformrole"),
    ]

    operations = [
        migrations.RenameField(model_name="merchant", old_name="support_hours", new_name="support_note"),
        migrations.AlterField(
            model_name="merchant", name="support_note",
            field=models.CharField(blank=True, help_text='Shown after the hours as written, e.g. "closed on public holidays".', max_length=80),
        ),
        migrations.AddField(
            model_name="merchant", name="support_days",
            field=models.JSONField(blank=True, default=list, help_text="ISO weekdays the shop answers on: 1 for Monday to 7 for Sunday.", validators=[merchants.brand.validate_support_days]),
        ),
        migrations.AddField(model_name="merchant", name="support_opens", field=models.TimeField(blank=True, null=True)),
        migrations.AddField(model_name="merchant", name="support_closes", field=models.TimeField(blank=True, null=True)),
        migrations.AddConstraint(
            model_name="merchant",
            constraint=models.CheckConstraint(
                condition=models.Q(("support_opens__isnull", True), ("support_closes__isnull", True),
                                   ("support_closes__gt", django.db.models.F("support_opens")), _connector="OR"),
                name="merchant_support_closes_after_opens"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
