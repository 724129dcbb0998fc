"""Signals scheduling sends to the apps above it (tracking, notifications).

Each is sent with `delivery=<Delivery>` after the transaction that made the
change has committed; `delivery_rescheduled` also carries `old_window=`,
`new_window=` and `by=`, the kind of actor who moved it (`core.audit.ActorKind`).
"""

from django.dispatch import Signal

delivery_booked = Signal()
delivery_rescheduled = Signal()
delivery_cancelled = Signal()
delivery_instructions_changed = Signal()
