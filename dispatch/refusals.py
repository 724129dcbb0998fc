"""Why a delivery window is refused: the one list of reasons, from the fleet's oracle to the shopper's picker.

The capacity oracle says `full`, `skill_unavailable` or `no_shift`; scheduling adds the rules of the
promise (`cutoff_passed`, `outside_area`). The values are part of the public API (the `reason` of a
window offer) and of the picker's labels: change one only with both.
"""

from enum import StrEnum


class RefusalReason(StrEnum):
    FULL = "full"
    CUTOFF_PASSED = "cutoff_passed"
    OUTSIDE_AREA = "outside_area"
    SKILL_UNAVAILABLE = "skill_unavailable"
    # No vehicle has a shift that day; a shopper is told `full`.
    NO_SHIFT = "no_shift"
