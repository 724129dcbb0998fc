"""The customer's drop choice: at the door, in a safe place they describe, or with a neighbour they name.

One set of rules for every surface that changes it (the tracking page, the reschedule page, care, the
booking API) and one way of saying it to the driver. The choice is the customer's until the van leaves:
once the delivery is out for delivery the driver has loaded the stop, and it is locked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from scheduling.errors import SchedulingErrorCode
from scheduling.models import Delivery, DropChoice

# The statuses in which the customer (or care, for them) may still change the instructions: before scan-out.
INSTRUCTIONS_OPEN = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED)

SAFE_PLACE_MAX = Delivery._meta.get_field("safe_place").max_length
NEIGHBOUR_NAME_MAX = Delivery._meta.get_field("neighbour_name").max_length
NEIGHBOUR_DOOR_MAX = Delivery._meta.get_field("neighbour_door").max_length


def instructions_open(delivery: Delivery) -> bool:
    return delivery.status in INSTRUCTIONS_OPEN


@dataclass(frozen=True)
class Drop:
    """A drop choice and the fields that go with it; `normalised()` keeps only the chosen one's."""

    choice: str = DropChoice.DOOR
    safe_place: str = ""
    neighbour_name: str = ""
    neighbour_door: str = ""

    @classmethod
    def of(cls, delivery: Delivery) -> Drop:
        return cls(choice=delivery.drop_choice, safe_place=delivery.safe_place,
                   neighbour_name=delivery.neighbour_name, neighbour_door=delivery.neighbour_door)

    def normalised(self) -> Drop:
        tidy = replace(self, safe_place=" ".join(self.safe_place.split()),
                       neighbour_name=" ".join(self.neighbour_name.split()),
                       neighbour_door=" ".join(self.neighbour_door.split()))
        if tidy.choice != DropChoice.SAFE_PLACE:
            tidy = replace(tidy, safe_place="")
        if tidy.choice != DropChoice.NEIGHBOUR:
            tidy = replace(tidy, neighbour_name="", neighbour_door="")
        return tidy

    def fields(self) -> dict[str, str]:
        return {"drop_choice": self.choice, "safe_place": self.safe_place, "neighbour_name": self.neighbour_name,
                "neighbour_door": self.neighbour_door}


def drop_from_form(*, posted: Mapping[str, str], current: Drop) -> Drop:
    """The drop a customer's form asks for; a form without the choice (an older page) keeps the current one."""
    if "drop_choice" not in posted:
        return current
    return Drop(choice=posted.get("drop_choice", ""), safe_place=posted.get("safe_place", ""),
                neighbour_name=posted.get("neighbour_name", ""), neighbour_door=posted.get("neighbour_door", ""))


def drop_from_booking(*, safe_drop: bool, leave_with_neighbour: bool, safe_drop_allowed: bool) -> Drop:
    """The booking API's two boxes (its contract): a safe place (where the merchant offers it) before a neighbour,
    neither one named at checkout; the customer can describe the place or name the neighbour afterwards."""
    if safe_drop and safe_drop_allowed:
        return Drop(choice=DropChoice.SAFE_PLACE)
    if leave_with_neighbour:
        return Drop(choice=DropChoice.NEIGHBOUR)
    return Drop()


@dataclass(frozen=True)
class DropProblem:
    code: SchedulingErrorCode
    message: str
    fields: dict[str, list[str]]


def drop_problem(drop: Drop, *, before: Drop, safe_place_offered: bool) -> DropProblem | None:
    """What is wrong with a drop the customer (or care) chose, or None.

    1. The choice must be one we know.
    2. A safe place only where the merchant and the window offer it; one chosen before the window stopped
       offering it stays (it is never taken away by an edit of something else), but cannot be newly chosen.
    3. A neighbour needs a name and a house number or flat, once the neighbour is chosen or changed; the
       "any neighbour" a checkout box left stays until the customer changes it.
    4. Each field fits in its column, so nothing is cut silently.
    """
    if drop.choice not in DropChoice.values:
        return DropProblem(SchedulingErrorCode.DROP_CHOICE_INVALID, _("Choose how the parcel should be left."),
                           {"drop_choice": [_("Choose how the parcel should be left.")]})
    if drop.choice == DropChoice.SAFE_PLACE and before.choice != DropChoice.SAFE_PLACE and not safe_place_offered:
        message = _("This shop does not allow leaving the parcel in a safe place.")
        return DropProblem(SchedulingErrorCode.SAFE_PLACE_NOT_OFFERED, message, {"drop_choice": [message]})
    if drop.choice == DropChoice.NEIGHBOUR and drop != before:
        missing = {}
        if not drop.neighbour_name:
            missing["neighbour_name"] = [_("Give your neighbour's name.")]
        if not drop.neighbour_door:
            missing["neighbour_door"] = [_("Give your neighbour's house number or flat.")]
        if missing:
            return DropProblem(SchedulingErrorCode.NEIGHBOUR_REQUIRED,
                               _("To leave it with a neighbour, give their name and house number or flat."), missing)
    too_long = {
        name: [_("Keep it under %(count)d characters.") % {"count": limit}]
        for name, value, limit in (("safe_place", drop.safe_place, SAFE_PLACE_MAX),
                                   ("neighbour_name", drop.neighbour_name, NEIGHBOUR_NAME_MAX),
                                   ("neighbour_door", drop.neighbour_door, NEIGHBOUR_DOOR_MAX))
        if len(value) > limit
    }
    if too_long:
        return DropProblem(SchedulingErrorCode.DROP_CHOICE_TOO_LONG, _("That description is too long."), too_long)
    return None


def drop_instruction(drop: Drop) -> str:
    """The choice as the driver reads it on the stop: "Safe place: behind the side gate", "Neighbour: M. Martin,
    no. 12". In English, as the driver API speaks."""
    if drop.choice == DropChoice.SAFE_PLACE:
        return f"Safe place: {drop.safe_place or 'any safe place out of sight'}"
    if drop.choice == DropChoice.NEIGHBOUR:
        if not drop.neighbour_name:
            return "Neighbour: any neighbour (none named)"
        door = drop.neighbour_door
        return f"Neighbour: {drop.neighbour_name}, {'no. ' + door if door[:1].isdigit() else door}"
    return "At the door"
