"""Celery's Redis transport, made to survive the broker going away while a task runs.

When the connection drops, kombu closes the channel and first tries to put the
channel's unacknowledged messages (tasks still running, acknowledged late) back on
their queues, through a client of that same connection, whose parameters are gone:
`AttributeError: 'NoneType' object has no attribute 'hostname'`, which Celery treats as
unrecoverable, and the worker exited. Nothing needs restoring then: the messages stay
in Redis' unacknowledged set, and the transport delivers them again once the visibility
timeout has passed (a re-plan also has its request row, which the sweep hands over).

The same holds for a task that ends after the connection it came on was lost (it ran
on, or hit its time limit): acknowledging or rejecting it through the dead channel
raised the same AttributeError and the worker exited. The message is already back in
Redis' hands, so the acknowledgement is dropped and the task comes back after the
visibility timeout (our tasks are safe to run twice).
"""

import logging

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def _connection_lost(self) -> bool:
        connection = self.channel.connection
        return connection is None or connection.client is None

    def restore_unacked(self, client=None):
        if client is None and self._connection_lost():
            logger.warning("broker connection lost: %d unacknowledged task(s) come back after the visibility "
                           "timeout", len(self._delivered))
            self._delivered.clear()
            return
        super().restore_unacked(client)

    def ack(self, delivery_tag):
        if self._connection_lost():
            logger.warning("task finished after its broker connection was lost: it comes back after the "
                           "visibility timeout")
            self._delivered.pop(delivery_tag, None)
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if self._connection_lost():
            logger.warning("task rejected after its broker connection was lost: it comes back after the "
                           "visibility timeout")
            self._delivered.pop(delivery_tag, None)
            return
        super().reject(delivery_tag, requeue=requeue)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
