"""Why a window is refused: one list of reasons, read the same by the API, the errors and the picker."""

import datetime as dt
import re
from pathlib import Path

from dispatch.models import Shift
from scheduling.windows import OFFER_REASONS
from tests.scheduling.conftest import ADDRESS, TOMORROW

PICKER = Path(__file__).resolve().parents[2] / "static" / "scheduling" / "picker.js"


def test_a_day_no_van_works_is_shown_full_to_the_shopper(api, windows):
    day_off = TOMORROW + dt.timedelta(days=1)
    Shift.objects.filter(date=day_off).delete()

    offered = api.get("/api/v1/windows/", {**ADDRESS, "date": day_off.isoformat(), "days": 1}).json()["windows"]

    assert offered and {(w["available"], w["reason"]) for w in offered} == {(False, "full")}


def test_every_reason_a_shopper_can_be_given_has_a_label_in_each_of_the_pickers_languages():
    labels = re.findall(r"reasons: \{([^}]*)\}", PICKER.read_text())
    assert len(labels) == 2  # en, fr
    for language in labels:
        assert set(re.findall(r"(\w+):", language)) == {reason.value for reason in OFFER_REASONS}

