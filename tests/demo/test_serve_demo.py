"""The demo server, started as the README's first command starts it, serves every entry point."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    env.update({"SQLITE_PATH": str(db), "DJANGO_SETTINGS_MODULE": "portal.settings"})
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    subprocess.run([*manage, "seed_demo", "--days", "1", "--scale", "0.1", "--no-plan"], cwd=ROOT, env=env,
                   check=True, timeout=180, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*manage, "serve_demo", "--port", str(port), "--no-simulate"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stdout.read().decode())
            time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=10)


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", "replace")


def test_the_home_page_links_every_surface(demo_server):
    status, html = fetch(demo_server + "/")

    assert status == 200
    for title in ("Demo checkout", "Sample tracking page", "Dispatch console", "Admin", "API docs"):
        assert title in html


def test_the_admin_login_is_served(demo_server):
    status, html = fetch(demo_server + "/admin/login/")

    assert status == 200 and "csrfmiddlewaretoken" in html


def test_the_api_docs_and_their_assets_are_served_by_us(demo_server):
    status, html = fetch(demo_server + "/api/docs/")
    asset_status, asset = fetch(demo_server + "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    assert status == 200 and "swagger-ui-bundle.js" in html
    # Every script, style and image comes from this server: no address with a host of its own. (A check for the
    # letters "cdn" failed on a page whose random CSP nonce happened to hold them.)
    sources = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    assert sources and all(not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", source, re.I) for source in sources), sources
    assert asset_status == 200 and len(asset) > 100_000


def test_health_is_ok_on_the_demo_server(demo_server):
    status, body = fetch(demo_server + "/healthz")

    assert status == 200 and '"status": "ok"' in body


def test_the_demo_stops_on_sigterm_while_its_fleet_is_driving(tmp_path):
    """A process manager stops the demo with SIGTERM; a fleet step publishing through the event loop once kept
    the process waiting for that loop forever."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    env.update({"SQLITE_PATH": str(tmp_path / "demo.sqlite3"), "DJANGO_SETTINGS_MODULE": "portal.settings",
                "PRIVATE_ROOT": str(tmp_path / "private"), "MEDIA_ROOT": str(tmp_path / "media"),
                "LOG_LEVEL": "info"})
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    subprocess.run([*manage, "seed_demo", "--days", "1", "--scale", "0.1"], cwd=ROOT, env=env, check=True,
                   timeout=300, capture_output=True)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([*manage, "serve_demo", "--port", str(free_port()), "--speed", "120"], cwd=ROOT,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while b"simulating" not in log.read_bytes() and time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()
                time.sleep(0.5)
            time.sleep(8)  # the fleet is mid-step now, publishing ETAs
            server.terminate()
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                pytest.fail("the demo server did not stop within 30 s of SIGTERM:\n" + log.read_text()[-2000:])


def test_the_periodic_tasks_wait_until_the_replayed_morning_has_caught_up(monkeypatch, settings):
    import asyncio
    import threading

    from demo.management.commands import serve_demo

    ran: list[str] = []

    class Task:
        def __init__(self, name):
            self.name = name

        def apply(self):
            ran.append(self.name)

    settings.CELERY_BEAT_SCHEDULE = {"sweep": {"task": "care.tasks.playbooks_sweep", "schedule": 60.0}}
    monkeypatch.setattr(serve_demo.celery_app, "tasks", {"care.tasks.playbooks_sweep": Task("sweep")})
    stop, caught_up = threading.Event(), threading.Event()

    async def scenario():
        beat = asyncio.create_task(serve_demo.run_beat_schedule(stop, caught_up))
        await asyncio.sleep(1.2)
        before = list(ran)  # the vans are still hours behind the clock: no playbook may judge them yet
        caught_up.set()
        await asyncio.sleep(1.2)
        stop.set()
        await asyncio.wait_for(beat, timeout=5)
        return before

    before = asyncio.run(scenario())

    assert before == [] and ran == ["sweep"]
