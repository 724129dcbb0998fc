"""Celery tasks of notifications: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from notifications import reminders, services, webhooks


@shared_task
def message_send(message_id: int) -> str | None:
    return services.message_send(message_id=message_id)


@shared_task
def messages_send_due() -> int:
    """Every minute: enqueue what quiet hours or a retry held until now, and what lost its task or worker."""
    webhooks.webhooks_reclaim_stale()
    due = services.messages_due()
    for message_id in due:
        message_send.delay(message_id)
    return len(due)


@shared_task
def reminders_send_due() -> int:
    """Every minute: the day-before reminders due now, each claimed once and handed to the senders."""
    return reminders.reminders_send_due()
