"""Celery's Redis transport, made to survive the broker going away while a task runs.

When the connection drops, kombu closes the channel and first tries to put the
channel's unacknowledged messages (tasks still running, acknowledged late) back on
their queues, through a client of that same connection, whose parameters are gone:
`AttributeError: 'NoneType' object has no attribute 'hostname'`, which Celery treats as
unrecoverable, and the worker exited. Nothing needs restoring then: the messages stay
in Redis' unacknowledged set, and the transport delivers them again once the visibility
timeout has passed (a re-plan also has its request row, which the sweep hands over).
"""

import logging

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client=None):
        connection = self.channel.connection
        if client is None and (connection is None or connection.client is None):
            logger.warning("broker connection lost: %d unacknowledged task(s) come back after the visibility "
                           "timeout", len(self._delivered))
            self._delivered.clear()
            return
        super().restore_unacked(client)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
