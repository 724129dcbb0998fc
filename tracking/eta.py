"""The micro-ETA engine: when will the vehicle reach each of its remaining stops, and how sure are we.

Plain Python over frozen dataclasses; `tracking.services.eta_refresh_route`
reads the ORM, calls `route_etas`, stores and publishes the result. When a
stored prediction is renewed, and when it has gone stale (`eta_is_stale`), is
said here too; `tracking.selectors.eta_to_show` applies it wherever an ETA is shown.

The band is the ETA plus or minus `Z` standard deviations of an error model in
which every remaining leg and every dwell before the stop adds independent
noise, as much as the day's legs and dwells have been seen to stray
(`observed_spread`), and the whole horizon adds a drift term. It is wide hours
ahead and narrows to a quarter of an hour when the stop is a few stops away.

Driving times are the provider's, bent by what the fleet shows today, from the
widest evidence to the narrowest: the whole fleet's pace, then each zone's live
traffic against that pace, then the van's own pace against both as they stood
when it drove each leg. Each level is shrunk towards the one above it while its
own evidence is thin (`delay_factor`).
"""

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Error model (coefficients of variation). Legs and dwells stray as the day shows (`observed_spread`); these are
# what is assumed before the day has shown much, and weigh as `SPREAD_PRIOR_SAMPLES` observations.
CV_TRAVEL = 0.18  # one leg's driving time
CV_DWELL = 0.40  # one stop's service time
SPREAD_PRIOR_SAMPLES = 20
# One leg or dwell counts at most this many times what was expected (a lunch break is not a delivery).
SPREAD_MAX_RATIO = 5.0
CV_DRIFT = 0.06  # the live delay factor itself may still drift over the horizon
FLOOR_S = 75.0  # GPS, geofence and clock granularity
Z = 1.8  # about 93 % of a normal distribution
MIN_HALF_BAND_S = 4 * 60
MAX_HALF_BAND_S = 60 * 60
# How much the observed pace may bend the provider's travel times, and how hard it is pulled to 1.
DELAY_FACTOR_BOUNDS = (0.6, 2.5)
DELAY_PRIOR_S = 300.0
DELAY_LEGS = 10
# A van's own pace is shrunk towards the fleet's by as many seconds of driving as today's legs say
# (`van_pace_prior_s`), within these bounds. Before the day has shown much: vans differ in pace by
# VAN_PACE_SPREAD (weighing as VAN_PACE_PRIOR_VANS vans) and a leg strays by CV_TRAVEL.
VAN_PACE_PRIOR_BOUNDS_S = (120.0, 3600.0)
VAN_PACE_SPREAD = 0.10
VAN_PACE_PRIOR_VANS = 4
# Below this share of the leg in progress driven, its own pace says too little (GPS noise near the start).
MIN_PROGRESS_SHARE = 0.1
MIN_REMAINING_DWELL_S = 30.0
OVERRUN_SHARE = 0.5
# A stored prediction (EtaSnapshot) is renewed when it moves this much, or at least this often while it holds.
SNAPSHOT_MIN_CHANGE_S = 45
SNAPSHOT_HEARTBEAT = dt.timedelta(minutes=5)
# A handheld's clock may run this far ahead of ours before its points are no longer trusted.
PING_CLOCK_AHEAD = dt.timedelta(minutes=5)
# Processes that stamp and read ETAs on one clock may still disagree by this much (servers, a simulator's tick).
CLOCK_TOLERANCE = dt.timedelta(minutes=1)

LegSeconds = Callable[[tuple[float, float], tuple[float, float], dt.datetime], float]


@dataclass(frozen=True)
class RemainingStop:
    key: int
    lat: float
    lng: float
    window_start: dt.datetime
    service_s: float
    speed_factor: float = 1.0


@dataclass(frozen=True)
class StopEta:
    key: int
    eta: dt.datetime
    band_start: dt.datetime
    band_end: dt.datetime
    stops_away: int


@dataclass(frozen=True)
class Spread:
    """How far one leg's driving time and one stop's dwell stray from what was expected (coefficients of variation)."""

    travel: float = CV_TRAVEL
    dwell: float = CV_DWELL


def _pooled_cv(ratios: Sequence[float], prior: float) -> float:
    """The root mean square of observed/expected - 1 (so a bias counts as much as scatter), pooled with `prior`."""
    ratios = [min(max(r, 0.0), SPREAD_MAX_RATIO) for r in ratios]
    if not ratios:
        return prior
    square = sum((r - 1.0) ** 2 for r in ratios)
    return math.sqrt((square + SPREAD_PRIOR_SAMPLES * prior**2) / (len(ratios) + SPREAD_PRIOR_SAMPLES))


def observed_spread(*, travel_ratios: Sequence[float], dwell_ratios: Sequence[float]) -> Spread:
    """The error model the day has shown: each driven leg's and each dwell's observed over expected time.

    The band is only as honest as the spread it assumes. Dwells are right-skewed with a long tail (the
    parcel for a neighbour, the lift that does not come), legs stray with traffic, and both differ from one
    fleet and one day to the next: a fixed spread made bands too narrow on some days, whatever the mean.
    """
    return Spread(travel=_pooled_cv(travel_ratios, CV_TRAVEL), dwell=_pooled_cv(dwell_ratios, CV_DWELL))


@dataclass(frozen=True)
class CompletedLeg:
    actual_s: float
    predicted_s: float


def delay_factor(legs: Sequence[CompletedLeg], *, prior_s: float = DELAY_PRIOR_S, last: int | None = DELAY_LEGS) -> float:
    """Observed against predicted driving time over the last legs, shrunk towards 1 while evidence is thin.

    1 means "as predicted": pass predictions that already carry the level above
    (the fleet's pace, a zone's traffic), so thin evidence falls back to it and
    not to the bare provider.
    """
    recent = [leg for leg in legs if leg.predicted_s > 0 and leg.actual_s >= 0]
    if last is not None:
        recent = recent[-last:]
    actual = sum(leg.actual_s for leg in recent)
    predicted = sum(leg.predicted_s for leg in recent)
    factor = (actual + prior_s) / (predicted + prior_s)
    low, high = DELAY_FACTOR_BOUNDS
    return min(max(factor, low), high)


def van_pace_prior_s(vans: Sequence[Sequence[CompletedLeg]]) -> float:
    """How hard a van's own pace is pulled to the fleet's: the `prior_s` of `delay_factor`, read off today's legs.

    A van's pace read off its last legs mixes what is its own (the driver, the vehicle) with each leg's
    noise (a red light, a parking search). With a leg straying by sigma (its CV) and vans' paces by tau,
    the best linear estimate of a van's pace from legs of p_i seconds is `delay_factor` with
    prior_s = (sigma / tau)^2 * sum(p_i^2) / sum(p_i): the noisier a leg against how much vans differ,
    the more driving a van must show before its pace is believed. A fixed prior read a single slow leg as
    a slow van on a day where vans hardly differ, and a slow van too late where they differ a lot.

    1. sigma: the spread of each van's leg ratios (observed over predicted, `predicted_s` already carrying
       the traffic of the day) around that van's mean, pooled with CV_TRAVEL as SPREAD_PRIOR_SAMPLES legs.
    2. tau: the spread of the vans' mean ratios, less what their legs' noise alone would give them
       (moments), pooled with VAN_PACE_SPREAD as VAN_PACE_PRIOR_VANS vans.
    """
    within, within_df, means, noise, seconds, squares = 0.0, 0, [], [], 0.0, 0.0
    for legs in vans:
        legs = [leg for leg in legs if leg.predicted_s > 0 and leg.actual_s >= 0]
        if not legs:
            continue
        ratios = [min(leg.actual_s / leg.predicted_s, SPREAD_MAX_RATIO) for leg in legs]
        mean = sum(ratios) / len(ratios)
        within += sum((r - mean) ** 2 for r in ratios)
        within_df += len(ratios) - 1
        predicted = sum(leg.predicted_s for leg in legs)
        means.append(min(sum(leg.actual_s for leg in legs) / predicted, SPREAD_MAX_RATIO))
        noise.append(sum(leg.predicted_s**2 for leg in legs) / predicted**2)
        seconds += predicted
        squares += sum(leg.predicted_s**2 for leg in legs)
    sigma2 = (within + SPREAD_PRIOR_SAMPLES * CV_TRAVEL**2) / (within_df + SPREAD_PRIOR_SAMPLES)
    tau2_prior = VAN_PACE_SPREAD**2
    if len(means) > 1:
        centre = sum(means) / len(means)
        between = sum((m - centre) ** 2 for m in means) / (len(means) - 1)
        seen = max(between - sigma2 * sum(noise) / len(noise), 0.0)
        tau2 = ((len(means) - 1) * seen + VAN_PACE_PRIOR_VANS * tau2_prior) / (len(means) - 1 + VAN_PACE_PRIOR_VANS)
    else:
        tau2 = tau2_prior
    if seconds <= 0:
        return DELAY_PRIOR_S
    low, high = VAN_PACE_PRIOR_BOUNDS_S
    return min(max(sigma2 / max(tau2, 1e-9) * squares / seconds, low), high)


def leg_in_progress_seconds(*, expected_s: float, elapsed_s: float, covered_m: float, left_m: float) -> float:
    """The rest of the leg being driven: the forecast, corrected by the pace the van has shown on this leg.

    1. The share of the leg done is the straight-line distance covered over
       covered plus left (`covered_m` from the stop the van left, `left_m` to the
       next one).
    2. At the pace shown so far, the rest takes `elapsed_s * left_m / covered_m`.
    3. The two are blended by that share: just after leaving the forecast
       (`expected_s`, for the rest of the way) wins; near the stop, the leg's own
       pace does. A leg's traffic is its own, so the blend does not touch later legs.
    """
    total = covered_m + left_m
    if total <= 0 or covered_m <= 0 or elapsed_s <= 0:
        return expected_s
    share = covered_m / total
    if share < MIN_PROGRESS_SHARE:
        return expected_s
    shown = elapsed_s * left_m / covered_m
    return (1 - share) * expected_s + share * shown


def half_band_seconds(*, horizon_s: float, variance: float) -> float:
    sigma = math.sqrt(variance + FLOOR_S**2 + (CV_DRIFT * max(horizon_s, 0.0)) ** 2)
    return min(max(Z * sigma, MIN_HALF_BAND_S), MAX_HALF_BAND_S)


def route_etas(
    *,
    now: dt.datetime,
    position: tuple[float, float],
    remaining: Sequence[RemainingStop],
    leg_seconds: LegSeconds,
    delay: float = 1.0,
    free_at: dt.datetime | None = None,
    busy_stops: int = 0,
    first_leg_s: float | None = None,
    spread: Spread = Spread(),
) -> list[StopEta]:
    """ETAs for every remaining stop, in route order.

    1. The vehicle is free to drive at `free_at` (the end of the dwell at the stop
       it is at, or the route's start) or now, whichever is later.
    2. Each leg takes the provider's time for that departure, times the stop's
       speed factor (zone and live traffic) and the van's delay factor; the leg
       being driven may instead be given whole (`first_leg_s`, see
       `leg_in_progress_seconds`). A vehicle early for a window waits for it to open.
    3. Each stop then takes its learned dwell before the next leg.
    4. Legs and dwells before a stop add variance (as they stray by `spread`); waiting
       for a window absorbs most of what came before it.
    """
    t = max(now, free_at) if free_at is not None else now
    variance = 0.0
    if free_at is not None and free_at > now:
        variance += (spread.dwell * (free_at - now).total_seconds()) ** 2
    origin = position
    etas: list[StopEta] = []
    for index, stop in enumerate(remaining):
        destination = (stop.lat, stop.lng)
        if index == 0 and first_leg_s is not None:
            travel = max(first_leg_s, 0.0)
        else:
            travel = max(leg_seconds(origin, destination, t), 0.0) * stop.speed_factor * delay
        arrival = t + dt.timedelta(seconds=travel)
        variance += (spread.travel * travel) ** 2
        if arrival < stop.window_start:
            slack = (stop.window_start - arrival).total_seconds()
            arrival = stop.window_start
            # Waiting absorbs earlier noise: only the part bigger than the slack still matters.
            variance = max(math.sqrt(variance) - slack, 0.0) ** 2
        horizon = (arrival - now).total_seconds()
        half = dt.timedelta(seconds=half_band_seconds(horizon_s=horizon, variance=variance))
        etas.append(StopEta(
            key=stop.key, eta=arrival, band_start=arrival - half, band_end=arrival + half,
            stops_away=index + busy_stops,
        ))
        variance += (spread.dwell * stop.service_s) ** 2
        t = arrival + dt.timedelta(seconds=stop.service_s)
        origin = destination
    return etas


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def expected_dwell_left_seconds(*, mean_s: float, elapsed_s: float, cv: float = CV_DWELL) -> float:
    """E[D - elapsed | D > elapsed] for a dwell D that is log-normal with this mean and coefficient of variation.

    Dwells are right-skewed: a stop that has lasted close to its mean is more
    likely one of the long ones, so the expected rest stays well above
    `mean - elapsed` (for CV 0.4, about 40 % of the mean when the mean is
    reached, where `mean - elapsed` says nothing is left).
    """
    if mean_s <= 0:
        return 0.0
    if elapsed_s <= 0:
        return mean_s
    sigma = math.sqrt(math.log1p(cv**2))
    mu = math.log(mean_s) - sigma**2 / 2
    z = (mu - math.log(elapsed_s)) / sigma
    survival = _normal_cdf(z)
    if survival < 1e-12:
        return 0.0  # far beyond anything the model expects; the caller's overrun rule takes over
    return max(mean_s * _normal_cdf(z + sigma) / survival - elapsed_s, 0.0)


def remaining_dwell_seconds(*, service_s: float, arrived_at: dt.datetime, now: dt.datetime) -> float:
    """How much longer a vehicle that arrived at `arrived_at` will likely stay at a stop.

    1. `service_s` is the stop's expected (mean) dwell; the rest is the
       expectation of a log-normal dwell with that mean and `CV_DWELL`, given
       that it has lasted this long, not the mean minus the time spent.
    2. Real dwells have a longer tail than that (the parcel for a neighbour,
       the lift that does not come): once the stop has overrun its usual time,
       the rest also grows at least with the overrun.
    """
    elapsed = max((now - arrived_at).total_seconds(), 0.0)
    rest = expected_dwell_left_seconds(mean_s=service_s, elapsed_s=elapsed)
    if elapsed > service_s:
        rest = max(rest, MIN_REMAINING_DWELL_S + OVERRUN_SHARE * (elapsed - service_s))
    return max(rest, MIN_REMAINING_DWELL_S)



def eta_is_stale(*, computed_at: dt.datetime, last_ping_at: dt.datetime | None) -> bool:
    """Whether a stored ETA is older than the van's latest trusted ping: the van moved on, nothing renewed it.

    Every accepted ping is followed by a refresh that stores a new ETA when the
    prediction moves and renews it every `SNAPSHOT_HEARTBEAT` when it holds, and
    a ping may be stamped up to `PING_CLOCK_AHEAD` ahead of us: an ETA that far
    behind the latest ping is still the one the refresh stands by.
    """
    if last_ping_at is None:
        return False
    return computed_at < last_ping_at - SNAPSHOT_HEARTBEAT - PING_CLOCK_AHEAD
