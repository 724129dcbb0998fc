"""Signals dispatch sends to the apps above it.

`plan_changed` is sent with `plan=<Plan>` after the transaction that saved a new
active plan has committed, so receivers (tracking's ETA engine, notifications)
always read the committed routes and stops.
"""

from django.dispatch import Signal

plan_changed = Signal()
