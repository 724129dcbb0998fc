"""Signals tracking sends to the apps above it.

`milestone_recorded` is sent with `event=<tracking.models.Event>` after the
transaction that recorded a new canonical milestone has committed (never for a
replayed, idempotent duplicate).
"""

from django.dispatch import Signal

milestone_recorded = Signal()
