"""The micro-ETA engine's estimators, on hand-made numbers."""

import datetime as dt
import math
import random
import statistics

import pytest

from tracking import eta as engine

MOMENT = dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC)


def _rest(service_s: float, elapsed_s: float) -> float:
    return engine.remaining_dwell_seconds(service_s=service_s, arrived_at=MOMENT - dt.timedelta(seconds=elapsed_s),
                                          now=MOMENT)


def test_a_stop_just_reached_is_expected_to_take_its_usual_time():
    assert _rest(240, 0) == 240


def test_a_stop_that_has_lasted_its_usual_time_is_still_expected_to_last_a_while():
    # "Mean minus elapsed" would say it is over; a right-skewed dwell that got this far is likely a long one.
    assert 60 < _rest(240, 240) < 120
    assert _rest(240, 200) > 240 - 200


def test_the_expected_rest_of_a_dwell_matches_the_log_normal_it_assumes():
    sigma = math.sqrt(math.log1p(engine.CV_DWELL**2))
    rng = random.Random(4)
    dwells = [240 * math.exp(rng.gauss(-sigma**2 / 2, sigma)) for _ in range(200_000)]
    for elapsed in (120, 240, 360):
        simulated = statistics.fmean(d - elapsed for d in dwells if d > elapsed)
        assert abs(engine.expected_dwell_left_seconds(mean_s=240, elapsed_s=elapsed) - simulated) < 4


def test_a_long_overrun_keeps_growing_the_expected_rest():
    assert _rest(240, 900) >= engine.MIN_REMAINING_DWELL_S + engine.OVERRUN_SHARE * (900 - 240)
    assert _rest(240, 1800) > _rest(240, 900)


def test_just_after_leaving_the_rest_of_the_leg_is_the_forecast():
    # 20 m covered in 30 s is mostly GPS noise and a traffic light: it says nothing about the leg yet.
    assert engine.leg_in_progress_seconds(expected_s=300, elapsed_s=30, covered_m=20, left_m=1500) == 300


def test_the_further_along_a_slow_leg_the_more_its_own_pace_counts():
    # Forecast 300 s for the rest; at the pace shown, the rest takes as long as what was driven.
    halfway = engine.leg_in_progress_seconds(expected_s=300, elapsed_s=600, covered_m=1000, left_m=1000)
    nearly_there = engine.leg_in_progress_seconds(expected_s=60, elapsed_s=900, covered_m=1800, left_m=200)

    assert halfway == pytest.approx(0.5 * 300 + 0.5 * 600)
    assert nearly_there == pytest.approx(0.1 * 60 + 0.9 * 100)


def _last_band_minutes(spread: engine.Spread) -> float:
    stops = [engine.RemainingStop(key=i, lat=48.86 + i / 100, lng=2.34, window_start=MOMENT, service_s=240)
             for i in range(6)]
    etas = engine.route_etas(now=MOMENT, position=(48.85, 2.34), remaining=stops,
                             leg_seconds=lambda a, b, t: 300.0, spread=spread)
    return (etas[-1].band_end - etas[-1].band_start).total_seconds() / 60


def test_a_day_whose_dwells_run_long_now_and_then_shows_a_wider_band():
    usual = engine.observed_spread(travel_ratios=[], dwell_ratios=[])
    # Forty stops near their usual time, and two where the driver waited a quarter of an hour for a lift.
    erratic = engine.observed_spread(travel_ratios=[1.0] * 40, dwell_ratios=[0.8, 1.2] * 20 + [4.0, 4.0])

    assert usual == engine.Spread()
    assert erratic.dwell > engine.CV_DWELL
    assert _last_band_minutes(erratic) > _last_band_minutes(usual) + 2


def test_a_day_that_runs_as_expected_narrows_the_band_towards_what_it_shows():
    steady = engine.observed_spread(travel_ratios=[0.95, 1.05] * 40, dwell_ratios=[0.9, 1.1] * 40)

    assert steady.travel < engine.CV_TRAVEL and steady.dwell < engine.CV_DWELL
    assert _last_band_minutes(steady) < _last_band_minutes(engine.Spread())


def test_a_lunch_break_counts_as_a_long_dwell_not_as_many():
    with_lunch = engine.observed_spread(travel_ratios=[], dwell_ratios=[1.0] * 40 + [15.0])
    with_long_dwell = engine.observed_spread(travel_ratios=[], dwell_ratios=[1.0] * 40 + [engine.SPREAD_MAX_RATIO])

    assert with_lunch == with_long_dwell


def _fleet(*, paces: list[float], leg_cv: float, legs_per_van: int = 12, leg_s: float = 300.0, seed: int = 3):
    """Each van drives legs of `leg_s` seconds at its own pace, each leg straying by `leg_cv`."""
    rng = random.Random(seed)
    return [[engine.CompletedLeg(actual_s=leg_s * pace * max(rng.gauss(1.0, leg_cv), 0.2), predicted_s=leg_s)
             for _ in range(legs_per_van)] for pace in paces]


def test_where_vans_really_differ_and_legs_hold_a_van_is_believed_after_a_few_legs():
    fleet = _fleet(paces=[0.8, 0.9, 1.0, 1.1, 1.2, 0.85, 1.15, 1.05], leg_cv=0.03)

    prior_s = engine.van_pace_prior_s(fleet)
    fast_van = [engine.CompletedLeg(actual_s=240.0, predicted_s=300.0)] * 2  # 20 % fast, two legs in a row

    assert prior_s < engine.DELAY_PRIOR_S / 2
    assert engine.delay_factor(fast_van, prior_s=prior_s) < 0.85 < engine.delay_factor(fast_van)


def test_where_vans_drive_alike_and_legs_scatter_one_slow_leg_is_not_a_slow_van():
    fleet = _fleet(paces=[1.0] * 10, leg_cv=0.25)
    prior_s = engine.van_pace_prior_s(fleet)
    one_slow_leg = [engine.CompletedLeg(actual_s=450.0, predicted_s=300.0)]

    assert prior_s > 3 * engine.DELAY_PRIOR_S
    # 50 % slow on its one leg: the van is still expected near the fleet's pace, closer than a fixed prior had it.
    assert engine.delay_factor(one_slow_leg, prior_s=prior_s) < 1.1 < engine.delay_factor(one_slow_leg)


def test_a_van_truly_slower_than_the_fleet_is_seen_sooner_on_a_day_that_shows_vans_differ():
    slow_van = [engine.CompletedLeg(actual_s=390.0, predicted_s=300.0)] * 4  # 30 % slow, four legs in a row
    differing = engine.van_pace_prior_s(_fleet(paces=[0.75, 0.9, 1.0, 1.1, 1.3, 0.8, 1.2], leg_cv=0.1))
    alike = engine.van_pace_prior_s(_fleet(paces=[1.0] * 7, leg_cv=0.1))

    assert differing < alike
    assert engine.delay_factor(slow_van, prior_s=differing) > engine.delay_factor(slow_van, prior_s=alike)
    assert engine.delay_factor(slow_van, prior_s=differing) > 1.2


def test_before_the_fleet_has_driven_the_van_pace_prior_is_the_fixed_one():
    assert engine.van_pace_prior_s([]) == engine.DELAY_PRIOR_S
    assert engine.van_pace_prior_s([[], []]) == engine.DELAY_PRIOR_S
