import datetime as dt

import pytest
from rest_framework.test import APIClient

from dispatch.capacity import capacity_cache_clear
from merchants.models import ApiKey
from merchants.services import api_key_create
from tests.factories import MerchantFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a database file, as the embedded default runs, not in Django's shared in-memory one.

    Threads then race through connections of their own, under the same IMMEDIATE transactions, WAL and busy
    timeout as the product, so the race tests hold SQLite to what DESIGN.md promises. The file lives in
    pytest's temporary directory (one per run and per worker), never in the source tree.

    On PostgreSQL, each worker of a run on several cores tests in a database of its own (`_gw0`, `_gw1`
    after the name), as pytest-django's own version of this fixture arranges.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _no_session_left_on_the_test_database(django_db_setup, django_db_blocker):
    """On PostgreSQL each process keeps a pool of connections, as in production. After the browser tests
    one pooled connection is still checked out by a thread of Django's threaded test server that has
    ended, so the pool cannot close it and PostgreSQL refused to drop the test database ("being
    accessed by other users"). Close the pools, then end whatever session is still open there."""
    yield
    from django.db import connections

    connections.close_all()
    for connection in connections.all(initialized_only=True):
        if connection.vendor != "postgresql":
            continue
        if connection.settings_dict.get("OPTIONS", {}).get("pool"):
            connection.close_pool()
            # Or the teardown's own close() would open a new pool, and its first connection, here.
            connection.settings_dict["OPTIONS"].pop("pool")
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", [connection.settings_dict["NAME"]])


@pytest.fixture(scope="session", autouse=True)
def _private_files_in_a_temporary_folder(tmp_path_factory):
    """Proofs of delivery (the simulator stores one per parcel) go to pytest's temporary directory, never the tree."""
    from django.test import override_settings

    with override_settings(PRIVATE_ROOT=tmp_path_factory.mktemp("private")):
        yield


@pytest.fixture(autouse=True)
def _fresh_capacity_cache():
    """The oracle caches tentative routes per process; ids are reused after each test's rollback."""
    capacity_cache_clear()
    yield
    capacity_cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test is a client of its own: the rate limits' counters (kept in the cache) start from nothing."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clock_at(monkeypatch):
    """Move the services' clock: `clock_at(local(day, 11))` returns the moment and may be called again."""

    def move(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr("core.clock.now", lambda: moment)
        return moment

    return move


@pytest.fixture
def sms_outbox(settings):
    """SMS and WhatsApp go to the in-process outbox; the list is what customers' phones received."""
    from notifications.channels import memory_sms

    settings.SMS_BACKEND = "memory"
    memory_sms.outbox.clear()
    yield memory_sms.outbox
    memory_sms.outbox.clear()


@pytest.fixture
def merchant(db):
    return MerchantFactory(slug="fresh-basket", name="Fresh Basket")


@pytest.fixture
def outsider_merchant(db):
    return MerchantFactory(slug="other-shop", name="Other Shop")


@pytest.fixture
def secret_key(merchant) -> str:
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    return raw


@pytest.fixture
def publishable_key(merchant) -> str:
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)
    return raw


@pytest.fixture
def api(secret_key) -> APIClient:
    """An API client authenticated as the merchant's server."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret_key}")
    return client


# The suites whose every log line is checked for customers' personal data (tests/log_privacy.py).
PRIVATE_LOG_SUITES = ("scheduling", "tracking", "notifications")


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(request):
    """Fail a booking, tracking or messaging test that wrote a customer's phone, email, name or street to a log."""
    if request.node.path.parent.name not in PRIVATE_LOG_SUITES:
        yield
        return
    import logging

    from django.db.models.signals import post_save

    from scheduling.models import Delivery
    from tests.log_privacy import LineCapture, delivery_personal_values, personal_data_in

    known: set[str] = set()

    def remember(sender, instance, **kwargs):
        known.update(delivery_personal_values(instance))

    capture = LineCapture()
    logging.getLogger().addHandler(capture)
    post_save.connect(remember, sender=Delivery, dispatch_uid="tests.log_privacy")
    try:
        yield
    finally:
        post_save.disconnect(sender=Delivery, dispatch_uid="tests.log_privacy")
        logging.getLogger().removeHandler(capture)
    leaks = personal_data_in(capture.lines, known)
    assert not leaks, "log lines name a customer:\n" + "\n".join(f"  {what}: {line}" for what, line in leaks)


from tests.browser import chromium, screenshots  # noqa: E402, F401  (the shared browser fixtures)


@pytest.fixture
def migrator(transactional_db):
    """A migration executor to move the test database back and forth; it ends with every migration applied."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
