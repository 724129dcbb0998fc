"""A ping batch lands whole: readers see the van moved together with the ETAs that move with it, or neither.

The page drops its estimate and map when the latest ETA is older than the van's latest ping (stale). A status read
between the van's move and the refresh's new ETAs therefore showed the customer no estimate at all, and when that
answer reached the page after the socket's fresh ETA frame, the page stayed without one until the next ping.
"""

import threading

import pytest
from django.db import OperationalError, connections

from tests.factories import local
from tests.tracking.factories import build_route, send_out
from tracking import selectors
from tracking.services import ping_record_batch
from tracking.services import pings as pings_module
from tracking.services.pings import PingInput

pytestmark = pytest.mark.django_db(transaction=True)

STOPS = [(48.8530, 2.3420), (48.8585, 2.3515), (48.8640, 2.3470), (48.8690, 2.3560)]
VAN = (48.8512, 2.3371)


def status_from_another_connection(delivery) -> dict | str:
    """What a status request served by another thread (its own connection) answers right now."""
    seen: list = []

    def read():
        try:
            delivery.refresh_from_db()
            seen.append(selectors.public_status(delivery=delivery, now=pings_module.clock.now()))
        except OperationalError as error:  # SQLite: the table is being written; the request would be retried
            seen.append(str(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return seen[0]


def test_a_status_read_while_a_ping_batch_is_refreshing_never_shows_the_van_moved_without_its_eta(clock_at,
                                                                                                    monkeypatch):
    world = build_route(points=STOPS)
    send_out(world, at=clock_at(local(world.day, 8, 30)), van=VAN)
    watched = world.deliveries[3]
    assert status_from_another_connection(watched)["eta"] is not None

    # Eleven minutes without a fix (a tunnel), then the van reports again: while its route's ETAs are being
    # worked out, a customer's page asks for the status.
    seen_during_refresh = []
    refresh = pings_module.eta_refresh_route

    def refresh_watched(**kwargs):
        seen_during_refresh.append(status_from_another_connection(watched))
        return refresh(**kwargs)

    monkeypatch.setattr(pings_module, "eta_refresh_route", refresh_watched)
    later = clock_at(local(world.day, 8, 41))
    ping_record_batch(vehicle=world.vehicle, now=later, points=[
        PingInput(client_id="p2", recorded_at=later, lat=48.8524, lng=2.3405, accuracy_m=5)])

    [during] = seen_during_refresh
    if isinstance(during, str):
        assert "locked" in during  # SQLite's shared test database refuses the read; no half-written state is seen
    else:
        assert during["eta"] is not None, "the van's new position was visible before its new ETA"
    after = status_from_another_connection(watched)
    assert after["eta"] is not None and after["eta"]["map"]
