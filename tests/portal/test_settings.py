"""Settings come from the environment and a bad value stops the process with a message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, env_url, redis_url_for_test_worker

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings module in a fresh interpreter with exactly these variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DEBUG", "SECRET_KEY",
                                                       "ALLOWED_HOSTS", "CELERY_TASK_ALWAYS_EAGER"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CELERY_TASK_ALWAYS_EAGER)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_a_bad_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        env_bool("DEBUG")


def test_a_bad_integer_fails_loudly(monkeypatch):
    monkeypatch.setenv("HOLD_TTL_SECONDS", "ten minutes")
    with pytest.raises(ImproperlyConfigured, match="HOLD_TTL_SECONDS must be an integer"):
        env_int("HOLD_TTL_SECONDS", 600)


def test_an_integer_below_its_minimum_fails_loudly(monkeypatch):
    monkeypatch.setenv("HOLD_TTL_SECONDS", "5")
    with pytest.raises(ImproperlyConfigured, match="at least 30"):
        env_int("HOLD_TTL_SECONDS", 600, minimum=30)


def test_a_url_with_the_wrong_scheme_fails_loudly(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must start with"):
        env_url("REDIS_URL", schemes=("redis", "rediss"))


def test_each_test_worker_takes_a_redis_database_of_its_own():
    url = "redis://127.0.0.1:6379/12"

    assert redis_url_for_test_worker(url, "") == url  # not a test worker: what was configured
    assert redis_url_for_test_worker(url, "gw0") == url
    assert redis_url_for_test_worker(url, "gw1") == "redis://127.0.0.1:6379/13"
    assert redis_url_for_test_worker("redis://:secret@cache:6380", "gw2") == "redis://:secret@cache:6380/2"
    with pytest.raises(ImproperlyConfigured, match="gw4 would need Redis database 16"):
        redis_url_for_test_worker(url, "gw4")


def test_a_test_worker_reads_its_own_redis_database_from_the_settings():
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['LOCATION'])"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DEBUG"}}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings",
                                 "REDIS_URL": "redis://127.0.0.1:6379/3", "PYTEST_XDIST_WORKER": "gw1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "redis://127.0.0.1:6379/4"


def test_with_nothing_set_the_portal_runs_on_embedded_defaults():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "True"]


def test_database_and_redis_urls_switch_to_the_real_services():
    result = load_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal", REDIS_URL="redis://127.0.0.1:6379/0")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "channels_redis.core.RedisChannelLayer", "False"]


def test_a_misspelt_setting_stops_the_process_with_its_name():
    result = load_settings(GEOFENCE_RADIUS_M="75m")

    assert result.returncode != 0
    assert "GEOFENCE_RADIUS_M must be an integer" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DJANGO_ENV="production", ALLOWED_HOSTS="portal.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY="x" * 60)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="portal.example.com", DEBUG="1")

    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_passes_the_deploy_check_with_no_warnings():
    # Browser tests in the same run allow async-unsafe ORM calls; a deployment never does.
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**clean, "DJANGO_ENV": "production", "SECRET_KEY": "k" * 20 + "Zq8#Lm2@vX9!pR4$tY7&wB1^nC5*eF3(" + "u" * 10,
             "ALLOWED_HOSTS": "portal.example.com"},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_fleet_currency_that_is_not_a_currency_code_stops_the_process():
    result = load_settings(FLEET_CURRENCY="euros")
    assert result.returncode != 0
    assert "FLEET_CURRENCY must be a three-letter ISO 4217 code" in result.stderr
