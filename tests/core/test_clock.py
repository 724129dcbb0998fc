import datetime as dt

import pytest

from core import clock

MORNING = dt.datetime(2026, 6, 2, 9, 30, tzinfo=dt.UTC)


def test_a_frozen_block_moves_the_clock_and_restores_it():
    real = clock.now()
    with clock.frozen_at(MORNING):
        assert clock.now() == MORNING
    assert abs((clock.now() - real).total_seconds()) < 5


def test_following_a_source_moves_every_reader_until_released():
    clock.follow(lambda: MORNING)
    try:
        assert clock.now() == MORNING
    finally:
        clock.follow(None)
    assert clock.now() != MORNING


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        with clock.frozen_at(dt.datetime(2026, 6, 2, 9, 30)):
            pass
