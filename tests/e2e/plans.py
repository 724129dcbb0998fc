"""Reading the plans of the running stack, as a dispatcher's console would show them."""

import time

from tests.e2e.stack import Stack


def replans_settled(stack: Stack, *, after_request: int, timeout: float = 90) -> list[tuple]:
    """Wait until every re-plan asked for after `after_request` has run; returns (id, plan id) of each."""
    deadline = time.monotonic() + timeout
    while True:
        rows = stack.sql("SELECT id, plan_id, done_at FROM dispatch_replanrequest WHERE id > %s", after_request)
        if all(done for _, _, done in rows) or time.monotonic() > deadline:
            return [(pk, plan) for pk, plan, done in rows if done] + [(pk, None) for pk, _, done in rows if not done]
        time.sleep(1)


def last_replan_request(stack: Stack, *, timeout: float = 90) -> int:
    """The newest re-plan request, once none is pending: a booking made after this asks for a request of its own.

    A booking on a depot-day whose re-plan is still pending folds into that request, as it should; a test
    that went on to look for requests newer than this one would then find none.
    """
    deadline = time.monotonic() + timeout
    while pending := stack.sql("SELECT id, depot_id, date, claimed_at FROM dispatch_replanrequest "
                               "WHERE done_at IS NULL"):
        assert time.monotonic() < deadline, f"re-plans still pending after {timeout:.0f} s: {pending}"
        time.sleep(0.5)
    return stack.sql("SELECT coalesce(max(id), 0) FROM dispatch_replanrequest")[0][0]


def deliveries_on_active_plans(stack: Stack, delivery_ids: list[str]) -> tuple[set[str], set[str]]:
    """(served, left unassigned) among these deliveries, by the active plans of their days."""
    served = {str(pk) for pk, in stack.sql(
        "SELECT d.id FROM scheduling_delivery d JOIN dispatch_stop s ON s.job_id = d.job_id "
        "JOIN dispatch_route r ON r.id = s.route_id JOIN dispatch_plan p ON p.id = r.plan_id "
        "WHERE p.status = 'active' AND d.id = ANY(%s::uuid[])", delivery_ids)}
    unassigned = {str(pk) for pk, in stack.sql(
        "SELECT d.id FROM scheduling_delivery d JOIN dispatch_plan p ON p.status = 'active' "
        "JOIN dispatch_job j ON j.id = d.job_id AND j.depot_id = p.depot_id AND j.date = p.date "
        "WHERE d.id = ANY(%s::uuid[]) AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.unassigned::jsonb) u "
        "WHERE (u->>'job')::bigint = d.job_id)", delivery_ids)}
    return served, unassigned
