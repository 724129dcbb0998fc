"""The tracking page opens on a phone over a weak signal: its own scripts and styles stay small."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import local
from tests.tracking.factories import build_route
from tracking.services import scan_record

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 100 * 1024
EXTERNAL = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="stylesheet"[^>]*\shref)="([^"]+)"')
INLINE = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1>", re.S)


def static_file(url: str) -> Path:
    assert url.startswith(settings.STATIC_URL), f"{url} is not one of our static files"
    found = finders.find(url[len(settings.STATIC_URL):].split("?", 1)[0])
    assert found, f"{url} is referenced by the page but not found"
    return Path(found)


def test_the_out_for_delivery_page_with_its_map_loads_under_100_kb_of_script_and_style(client, monkeypatch):
    world = build_route()
    moment = local(world.day, 8, 30)
    monkeypatch.setattr("core.clock.now", lambda: moment)
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 8, 0),
                now=moment)

    html = client.get(reverse("tracking:page", args=[world.deliveries[2].tracking_token])).content.decode()

    assert 'id="trk-map"' in html and 'id="trk-eta"' in html
    files = [static_file(url) for url in EXTERNAL.findall(html)]
    assert {f.name for f in files} >= {"site.css", "tracking.css", "tracking.js"}
    assert not any("leaflet" in str(f).lower() for f in files)
    total = sum(f.stat().st_size for f in files) + sum(len(body.encode()) for _tag, body in INLINE.findall(html))
    assert total < BUDGET_BYTES, f"{total} bytes of script and style: {[f.name for f in files]}"
