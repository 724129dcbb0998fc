"""A worker whose broker connection dropped while a task ran does not die putting the task back or finishing it."""

from types import SimpleNamespace

import pytest

from portal.broker import QoS


def lost_channel():
    """What kombu leaves on the channel once Redis is gone (do_restore: the channel's own flag, left alone)."""
    return SimpleNamespace(connection=SimpleNamespace(client=None), do_restore=False)


def test_a_lost_connection_leaves_unacknowledged_tasks_to_the_visibility_timeout_instead_of_crashing():
    qos = QoS(lost_channel())
    qos._delivered["tag-1"] = object()

    qos.restore_unacked()

    assert not qos._delivered


@pytest.mark.parametrize("finish", ["ack", "reject"])
def test_a_task_that_ends_after_its_connection_was_lost_is_left_to_the_visibility_timeout(finish):
    # A re-plan ran on (or hit its time limit) while Redis was down; the worker then acknowledges it
    # through the channel it came on, which has no connection any more.
    qos = QoS(lost_channel())
    qos._delivered["tag-1"] = object()

    getattr(qos, finish)("tag-1")

    assert "tag-1" not in qos._delivered
