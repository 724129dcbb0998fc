"""The ETA benchmark's floor: an oracle that knows every hidden mean and draws the rest as the simulator does."""

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from demo.simulator import SimConfig

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "eta_accuracy.py"
_SPEC = importlib.util.spec_from_file_location("eta_accuracy", _PATH)
eta_accuracy = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("eta_accuracy", eta_accuracy)
_SPEC.loader.exec_module(eta_accuracy)

T0 = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
NO_NOISE = SimConfig(leg_sigma=0.0, dwell_sigma=0.0, long_dwell_rate=0.0)


def at(minutes: float) -> float:
    return (T0 + dt.timedelta(minutes=minutes)).timestamp()


def step(*, arrival, departure, leave, earliest=-1e9, leg_min=10.0, dwell_min=5.0):
    """One stop as the oracle reads it (minutes after 08:00, seconds for the means)."""
    return (at(arrival), at(departure), at(leave), at(earliest) if earliest != -1e9 else -1e12,
            leg_min * 60, dwell_min * 60)


def error_min(steps, k, *, moment_min, config=NO_NOISE) -> float:
    rng = np.random.default_rng(1)
    return eta_accuracy._median_oracle_error(steps, k, moment=T0 + dt.timedelta(minutes=moment_min),
                                             config=config, rng=rng) / 60


def test_without_noise_the_oracle_is_exact_wherever_the_van_is():
    # Depot at 08:00; legs of 10 min and dwells of 5 min, exactly as expected.
    steps = [step(arrival=10, departure=15, leave=0), step(arrival=25, departure=30, leave=15),
             step(arrival=40, departure=45, leave=30), step(arrival=55, departure=60, leave=45)]
    for moment in (-20, 5, 12, 17, 28, 33):
        assert error_min(steps, 3, moment_min=moment) == pytest.approx(0, abs=1e-6)


def test_a_late_van_is_seen_late_once_it_is_late_and_not_before():
    # The second dwell ran 20 min over: the oracle cannot see that before it starts, and sees most of it after.
    steps = [step(arrival=10, departure=15, leave=0), step(arrival=25, departure=50, leave=15),
             step(arrival=60, departure=65, leave=50), step(arrival=75, departure=80, leave=65)]
    assert error_min(steps, 3, moment_min=20) == pytest.approx(-20)
    assert error_min(steps, 3, moment_min=52) == pytest.approx(0)
    # Mid-dwell with no noise the dwell is known to last its mean: it has already overrun, so only the overrun shows.
    assert error_min(steps, 3, moment_min=40) == pytest.approx(-10)


def test_a_wait_for_a_window_absorbs_a_delay_before_it():
    # The van may not leave for the third stop before 08:50, so a long second dwell costs the third nothing.
    steps = [step(arrival=10, departure=15, leave=0), step(arrival=25, departure=45, leave=15),
             step(arrival=60, departure=65, leave=50, earliest=50)]
    assert error_min(steps, 2, moment_min=20) == pytest.approx(0)


def test_with_a_long_tail_the_oracle_says_the_median_not_the_mean():
    # One dwell in three runs four times as long: the mean is twice the usual dwell, the median is the usual one.
    config = SimConfig(leg_sigma=0.0, dwell_sigma=0.0, long_dwell_rate=1 / 3, long_dwell_factor=4.0)
    steps = [step(arrival=10, departure=15, leave=0), step(arrival=25, departure=30, leave=15)]
    assert error_min(steps, 1, moment_min=5, config=config) == pytest.approx(0, abs=1e-6)
