"""The micro-ETA engine's estimators, on hand-made numbers."""

import datetime as dt
import math
import random
import statistics

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
