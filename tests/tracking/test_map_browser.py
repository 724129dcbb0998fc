"""The tracking page's trip map in Chromium: tiles from the tile server when it answers, a drawn map when it does not.

The page's socket is played by the test (Playwright's websocket routing): the live server here speaks HTTP only,
and the test pushes the very frames the ETA service publishes (`selectors.public_status`).
"""

import json
import re
import socket
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from struct import pack

import pytest
from csp.constants import SELF
from django.db import connections
from django.utils import translation

from core import clock
from core.origins import map_tile_origin
from tests.browser import BROWSER_MARKS
from tests.factories import local
from tests.tracking.factories import build_route, send_out
from tracking import selectors
from tracking.services import ping_record_batch
from tracking.services.pings import PingInput

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

# A van leaving the depot in the south-west; six customers across the Marais, the last one watching.
STOPS = [(48.8530, 2.3420), (48.8585, 2.3515), (48.8640, 2.3470), (48.8690, 2.3560), (48.8672, 2.3668),
         (48.8725, 2.3741)]
VAN = (48.8512, 2.3371)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-coloured PNG, enough for a map tile the browser must decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TILE = png(256, 256, (226, 232, 240))


class TileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.requests: list[tuple[str, str]] = []

        class Tiles(BaseHTTPRequestHandler):
            def do_GET(handler):  # noqa: N805 - the server is `self` here
                self.requests.append((handler.path, handler.headers.get("Referer", "")))
                handler.send_response(200)
                handler.send_header("Content-Type", "image/png")
                handler.send_header("Content-Length", str(len(TILE)))
                handler.end_headers()
                handler.wfile.write(TILE)

            def log_message(handler, *args):  # noqa: N805
                return

        super().__init__(("127.0.0.1", 0), Tiles)


@pytest.fixture
def tile_server():
    server = TileServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once the socket closes


@pytest.fixture
def tiles_from(settings):
    """Point the portal's maps at a tile URL, allowed as images by the policy as settings would allow it."""
    def use(url: str) -> None:
        settings.MAP_TILE_URL = url
        directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
        origin = map_tile_origin(url)
        directives["img-src"] = [SELF, "data:", "blob:", *([origin] if origin else [])]
        settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}
    return use


@pytest.fixture
def trip(clock_at):
    """The van is out on a six-stop route and has just reported from near the depot."""
    world = build_route(points=STOPS)
    send_out(world, at=clock_at(local(world.day, 8, 30)), van=VAN)
    return world


@pytest.fixture
def open_page(chromium, live_server):
    contexts = []

    def open_(delivery, viewport):
        context = chromium.new_context(viewport=viewport, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        sockets = []
        page.route_web_socket("**/ws/t/**", lambda ws: sockets.append(ws))
        page.sockets = sockets
        page.goto(f"{live_server.url}/t/{delivery.tracking_token}/?lang=en")
        return page

    yield open_
    for context in contexts:
        context.close()


def off_the_browser_thread(work) -> None:
    """Run `work` where publishing may start its own event loop: Playwright's sync API holds this thread's."""
    failures = []

    def run():
        try:
            work()
        except BaseException as error:  # handed back to the test below
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if failures:
        raise failures[0]


def eta_frame(delivery) -> str:
    delivery.refresh_from_db()
    with translation.override("en"):
        return json.dumps(selectors.public_status(delivery=delivery, now=clock.now())["eta"])


def expect_a_whole_trip(page):
    from playwright.sync_api import expect

    trip_map = page.locator("#trk-map")
    expect(trip_map).to_be_visible()
    expect(trip_map).to_have_attribute("role", "img")
    points = page.locator(".trk-map-path").get_attribute("points").split()
    assert len(points) >= 3, points  # van, the stops before this one, the customer's area
    expect(page.locator(".trk-map-van .trk-map-dot")).to_be_visible()
    expect(page.locator(".trk-map-home .trk-map-pin")).to_be_visible()
    return trip_map


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_an_unreachable_tile_server_leaves_a_drawn_map_never_a_grey_box(trip, tiles_from, open_page, viewport,
                                                                       screenshots):
    from playwright.sync_api import expect

    tiles_from(f"http://127.0.0.1:{closed_port()}/{{z}}/{{x}}/{{y}}.png")
    page = open_page(trip.deliveries[5], viewport)

    trip_map = expect_a_whole_trip(page)
    expect(trip_map).to_have_class("trk-map trk-map--drawn", timeout=5000)
    expect(page.locator(".trk-map-tile")).to_have_count(0)
    expect(page.locator(".trk-map-ground")).to_be_visible()
    expect(page.locator(".trk-map-scale-label")).to_have_text(re.compile(r"^\d+ k?m$"))
    expect(page.locator(".trk-map-attribution")).to_be_hidden()
    # Five stops away: the van is placed to the district, and the label says so.
    expect(trip_map).to_have_attribute("aria-label", "Map of the van’s way to you: it has 5 stops before yours. "
                                                     "The van’s position is approximate until it is a few stops away.")
    expect(page.locator(".trk-map-halo")).not_to_have_attribute("r", "0")
    name = "desktop" if viewport["width"] > 600 else "phone"
    trip_map.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"trip-map-drawn-{name}.png"), full_page=True)


def test_each_eta_frame_moves_the_van_on_the_same_map(trip, tiles_from, open_page, clock_at, screenshots):
    from playwright.sync_api import expect

    tiles_from("")  # no tile server at all: the drawn map from the start
    delivery = trip.deliveries[3]
    page = open_page(delivery, {"width": 390, "height": 844})
    expect_a_whole_trip(page)
    expect(page.locator("#trk-map")).to_have_class("trk-map trk-map--drawn")
    page.evaluate("document.querySelector('.trk-map-drawing').dataset.first = 'yes'")
    before = page.locator(".trk-map-van").get_attribute("transform")
    path_before = page.locator(".trk-map-path").get_attribute("points")

    # The van nears its first stop: the socket pushes the new ETA.
    later = clock_at(local(trip.day, 8, 41))
    off_the_browser_thread(lambda: ping_record_batch(vehicle=trip.vehicle, now=later, points=[
        PingInput(client_id="p2", recorded_at=later, lat=48.8524, lng=2.3405, accuracy_m=5)]))
    expect(page.locator("#trk-map")).to_be_visible()
    assert page.sockets, "the page opened its socket"
    page.sockets[0].send(eta_frame(delivery))

    expect(page.locator(".trk-map-van")).not_to_have_attribute("transform", before)
    assert page.locator(".trk-map-path").get_attribute("points") != path_before
    assert page.evaluate("document.querySelector('.trk-map-drawing').dataset.first") == "yes"
    expect(page.locator("#trk-map")).to_have_attribute("aria-label",
                                                       "Map of the van’s way to you: it has 3 stops before yours.")
    page.locator("#trk-map").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "trip-map-drawn-phone-3-stops.png"))


def test_tiles_from_the_tile_server_lie_under_the_trip_with_their_attribution(trip, tiles_from, tile_server,
                                                                              open_page, screenshots):
    from playwright.sync_api import expect

    tiles_from(f"http://127.0.0.1:{tile_server.server_port}/{{z}}/{{x}}/{{y}}.png")
    page = open_page(trip.deliveries[5], {"width": 1280, "height": 800})

    trip_map = expect_a_whole_trip(page)
    tiles = page.locator(".trk-map-tile")
    expect(tiles.first).to_be_visible()
    page.wait_for_function("Array.from(document.querySelectorAll('.trk-map-tile'))"
                           ".every(function (img) { return img.complete && img.naturalWidth === 256; })")
    expect(page.locator(".trk-map-attribution")).to_have_text("© OpenStreetMap contributors")
    expect(page.locator(".trk-map-attribution")).to_be_visible()
    assert "trk-map--drawn" not in trip_map.get_attribute("class")
    # Tiles are asked for by zoom, column and row, and the tile server never learns the tracking link.
    assert len(tile_server.requests) == tiles.count()
    for path, referer in tile_server.requests:
        zoom, x, y = path.removesuffix(".png").strip("/").split("/")
        assert 3 <= int(zoom) <= 16 and int(x) >= 0 and int(y) >= 0
        assert trip.deliveries[5].tracking_token not in referer
    page.screenshot(path=str(screenshots / "trip-map-tiles-desktop.png"), full_page=True)
