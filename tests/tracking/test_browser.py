"""The tracking page in Chromium, live over a real websocket (daphne on a file-based SQLite database)."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser import BROWSER_MARKS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = BROWSER_MARKS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Migrate a fresh SQLite file, build the scenario in it, and serve it with daphne."""
    database = tmp_path_factory.mktemp("browser") / "tracking.sqlite3"
    env = {**os.environ, "SQLITE_PATH": str(database), "DJANGO_SETTINGS_MODULE": "portal.settings",
           "DJANGO_ENV": "development", "LOG_LEVEL": "warning"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    built = subprocess.run([sys.executable, "-m", "tests.tracking.browser_scenario"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True)
    scenario = json.loads(built.stdout.strip().splitlines()[-1])
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("daphne did not start: " + process.stderr.read().decode()[-2000:])
    yield base, scenario
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def browser(chromium):
    return chromium


def _post_ping(base: str, scenario: dict, client_id: str, lat: float, lng: float) -> None:
    response = requests.post(
        f"{base}/api/v1/pings/", timeout=10,
        headers={"Authorization": f"Bearer {scenario['device_key']}"},
        json={"points": [{"client_id": client_id, "vehicle": scenario["vehicle"], "lat": lat, "lng": lng,
                          "speed": 8, "accuracy": 6, "recorded_at": dt.datetime.now(dt.UTC).isoformat()}]},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_ping_moves_the_eta_on_the_open_page_within_a_second(server, browser, viewport, screenshots):
    from playwright.sync_api import expect

    base, worlds = server
    name = "desktop" if viewport["width"] > 600 else "phone"
    scenario = worlds["worlds"][0 if name == "desktop" else 1]
    page = browser.new_page(viewport=viewport)
    page.goto(f"{base}/t/{scenario['tokens'][1]}/?lang=en")
    expect(page.locator('[data-field="live"]')).to_have_text("Live", timeout=5000)
    eta = page.locator('[data-field="eta_label"]')
    expect(eta).not_to_have_text("")
    before = eta.inner_text()
    page.screenshot(path=str(screenshots / f"tracking-{name}-before.png"), full_page=True)

    # The van reports from far away: its next customers' ETAs slip, and the page shows it without a reload.
    lat, lng = scenario["stops"][0]
    _post_ping(base, scenario, f"far-{name}", lat - 0.05, lng - 0.07)

    expect(eta).not_to_have_text(before, timeout=1000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.screenshot(path=str(screenshots / f"tracking-{name}-after.png"), full_page=True)

    # The first customer is next: the van shows on a map, and the socket keeps the page live.
    first = browser.new_page(viewport=viewport)
    first.goto(f"{base}/t/{scenario['tokens'][0]}/?lang=fr")
    _post_ping(base, scenario, f"near-{name}", lat + 0.002, lng + 0.002)
    expect(first.locator("#trk-map")).to_be_visible(timeout=3000)
    expect(first.locator('[data-field="stops_away_label"]')).to_have_text("Vous êtes le prochain arrêt")
    first.screenshot(path=str(screenshots / f"tracking-{name}-next-fr.png"), full_page=True)


def test_an_unknown_link_shows_the_not_found_page(server, browser, screenshots):
    base, _scenario = server
    page = browser.new_page(viewport={"width": 390, "height": 844})

    response = page.goto(f"{base}/t/{'x' * 43}/")

    assert response.status == 404
    page.screenshot(path=str(screenshots / "tracking-not-found.png"), full_page=True)
