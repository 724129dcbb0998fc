"""The production topology, once per test session: daphne x2, a Celery worker and beat, PostgreSQL, Redis.

These tests run only against the real services (DATABASE_URL on PostgreSQL and
REDIS_URL set), as `.ci/run`'s second pass does; on the embedded defaults they
are skipped with that reason. They check from outside, over HTTP and websockets,
what a user would notice.
"""

import pytest

from tests.e2e.stack import Stack, services_missing

# Short limits so a killed worker's task comes back, and a lost message is handed over again,
# within a test's patience; the rules are the production ones.
STACK_SETTINGS = {
    "CELERY_TASK_TIME_LIMIT_SECONDS": "20",
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": "30",
    "REPLAN_DEBOUNCE_SECONDS": "2",
    "REPLAN_REENQUEUE_SECONDS": "15",
    "DB_POOL_MAX_SIZE": "6",
    "DB_POOL_TIMEOUT_SECONDS": "30",
    # The tests' webhook receivers listen on this machine.
    "WEBHOOK_PRIVATE_ADDRESSES_ALLOWED": "1",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group marks
def pytest_collection_modifyitems(config, items):
    reason = services_missing()
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)
            # One stack per run: with the suite on several cores (`--dist loadgroup`) these run on one worker.
            item.add_marker(pytest.mark.xdist_group("e2e"))
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def stack():
    running = Stack(settings=STACK_SETTINGS)
    try:
        running.start()
    except BaseException:
        running.keep_logs = True
        print(running.tail() if running.processes else "")
        running.stop()
        raise
    yield running
    running.stop()


@pytest.fixture
def healthy_stack(stack, request):
    """The stack, with every process checked alive after the test and their logs shown if a test failed."""
    yield stack
    dead = [name for name, process in stack.processes.items() if not process.alive]
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if dead or failed:
        stack.keep_logs = True
        print(stack.tail())
    assert not dead, f"processes died during the test: {dead}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
