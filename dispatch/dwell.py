"""What the zones learn from the fleet's dwells: the service time a job needs when it sets none."""

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Cast

from dispatch.models import Plan, Stop, Zone

# Dwell samples outside these bounds are clipped before they teach the zone (a lunch break is not a delivery).
DWELL_BOUNDS_S = (30, 1800)
# The zone's default counts as this many dwells; later dwells keep at least this weight.
DWELL_PRIOR_WEIGHT = 3
DWELL_MIN_WEIGHT = 0.04


def zone_learn_service(*, zone_id: int, dwell_s: float) -> None:
    """Fold one observed dwell into the zone's learned service time.

    A robust running mean that starts from the zone's default service time:
    1. the sample is clipped to sane bounds, then to half / twice the current estimate;
    2. its weight is 1/(n + PRIOR) for the n-th dwell seen in the zone, so the
       first dwells move the estimate quickly, and never less than the floor, so
       it keeps following the zone as it changes;
    3. the update is one UPDATE on the current value, so concurrent departures
       do not lose each other's samples.
    """
    low, high = DWELL_BOUNDS_S
    sample = min(max(dwell_s, low), high)
    zone = Zone.objects.filter(pk=zone_id).values("learned_service_seconds", "default_service_seconds").first()
    if zone is None:
        return
    current = zone["learned_service_seconds"] or zone["default_service_seconds"]
    sample = min(max(sample, current / 2), current * 2)
    seen = Stop.objects.filter(
        job__zone_id=zone_id, actual_arrival__isnull=False, actual_departure__isnull=False,
        route__plan__status=Plan.Status.ACTIVE,
    ).count()
    alpha = max(1.0 / (seen + DWELL_PRIOR_WEIGHT), DWELL_MIN_WEIGHT)
    Zone.objects.filter(pk=zone_id).update(
        learned_service_seconds=Case(
            When(learned_service_seconds__isnull=True, then=Value(int(round(current * (1 - alpha) + sample * alpha)))),
            default=Cast(
                F("learned_service_seconds") * (1 - alpha) + Value(sample * alpha) + Value(0.5),
                IntegerField(),
            ),
        )
    )
