"""Whether a carrier's event can be true of the delivery it names, before it is allowed to move the journey.

A carrier's word is applied as it comes, so a wrong date or a forged report would deliver a parcel that
is still on a shelf. These checks catch what cannot have happened; the event is then kept raw and
flagged for a person to judge, never applied.
"""

import datetime as dt
from dataclasses import dataclass

from scheduling.models import Delivery
from tracking.models import Event, Milestone

# A carrier's clock may run a little ahead of ours. Beyond this the time is not drift but a wrong date:
# an event cannot be reported before it happens.
CLOCK_SKEW = dt.timedelta(minutes=10)
# A van ahead of its round may ring before the window opens, and a carrier may run an early round the
# same morning. Half a day earlier than the window is before any round of that day: the report is of
# another parcel or a wrong date ("delivered" days ahead is how the forged reports read).
EARLIEST_BEFORE_WINDOW = dt.timedelta(hours=12)
# Milestones at the customer's door, and those that show the parcel had left a depot before it.
AT_THE_DOOR = (Milestone.ATTEMPTED, Milestone.DELIVERED)
ON_THE_ROAD = (Milestone.SCANNED_OUT, Milestone.OUT_FOR_DELIVERY)
# A journey that has ended: nothing a carrier reports may change it (a second "delivered" is refused
# in `event_record` too; here it is also kept aside for care).
CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.CANCELLED)


class FlagReason:
    IN_FUTURE = "in_future"
    BEFORE_WINDOW = "before_window"
    BEFORE_SCAN_OUT = "before_scan_out"
    JOURNEY_CLOSED = "journey_closed"


@dataclass(frozen=True)
class Implausible:
    reason: str
    message: str


def carrier_event_implausibility(
    *, delivery: Delivery, milestone: str, recorded_at: dt.datetime, now: dt.datetime,
) -> Implausible | None:
    """Why this milestone, at this time, cannot be true of the delivery as we know it; None if it can.

    1. The time is later than now, beyond a clock's skew.
    2. The delivery is delivered or cancelled already.
    3. At the door (attempted, delivered) more than half a day before the window opens.
    4. At the door before the parcel left a depot: no scan-out or out-for-delivery recorded at or before it.
    """
    if recorded_at > now + CLOCK_SKEW:
        return Implausible(FlagReason.IN_FUTURE, f"Reported for {recorded_at:%Y-%m-%d %H:%M} UTC, later than now.")
    if delivery.status in CLOSED:
        return Implausible(FlagReason.JOURNEY_CLOSED, f"The delivery is {delivery.status} already.")
    if milestone not in AT_THE_DOOR:
        return None
    opens = delivery.window.starts_at
    if recorded_at < opens - EARLIEST_BEFORE_WINDOW:
        hours = (opens - recorded_at).total_seconds() / 3600
        return Implausible(FlagReason.BEFORE_WINDOW,
                           f"{Milestone(milestone).label} {hours:.0f} h before the window opens.")
    left_depot = Event.objects.filter(delivery=delivery, milestone__in=ON_THE_ROAD, recorded_at__lte=recorded_at)
    if not left_depot.exists():
        return Implausible(FlagReason.BEFORE_SCAN_OUT,
                           f"{Milestone(milestone).label} before the parcel left a depot (no scan-out before it).")
    return None
