"""Signals tracking sends to the apps above it.

`milestone_recorded` is sent with `event=<tracking.models.Event>` after the
transaction that recorded a new canonical milestone has committed (never for a
replayed, idempotent duplicate).

`problem_found` is sent with `delivery`, `code`, `message` and `at` when the journey meets
something a person must look at (a failed attempt, a carrier code nobody mapped). It is
sent inside the transaction that recorded the problem, so what a receiver writes commits
or rolls back with it; care opens an exception on its queue.

`etas_updated` is sent with `snapshot_ids=[...]` (the `EtaSnapshot` rows one route's refresh
stored, each a delivery's new ETA) and `now=` (the clock the refresh ran on) after the
transaction that stored them has committed. Notifications warns customers from it.
"""

from django.dispatch import Signal

milestone_recorded = Signal()
problem_found = Signal()
etas_updated = Signal()
