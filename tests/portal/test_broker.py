"""A worker whose broker connection dropped while a task ran does not die putting the task back."""

from types import SimpleNamespace

from portal.broker import QoS


def test_a_lost_connection_leaves_unacknowledged_tasks_to_the_visibility_timeout_instead_of_crashing():
    # What kombu leaves on the channel once Redis is gone (do_restore: the channel's own flag, left alone).
    lost = SimpleNamespace(connection=SimpleNamespace(client=None), do_restore=False)
    qos = QoS(lost)
    qos._delivered["tag-1"] = object()

    qos.restore_unacked()

    assert not qos._delivered
