"""A stand-in OSRM `table` service on a local port, for tests that cut at the provider's HTTP boundary."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers `status` with `body`, or, when `table` is set, the table it computes for the points asked.

    `table` takes the (lat, lng) points of the request and returns its JSON body for all of them;
    as OSRM does, the answer keeps only the rows of `sources` and the columns of `destinations`
    when the request names them. Every path asked is kept in `requests_seen`.
    """

    requests_seen: list[str] = []
    status = 200
    body: dict = {}
    table: Callable[[list[tuple[float, float]]], dict] | None = None

    def do_GET(self):  # noqa: N802 (http.server's naming)
        cls = type(self)
        cls.requests_seen.append(self.path)
        body = cls.body
        if cls.table is not None:
            parts = urlsplit(self.path)
            coordinates = parts.path.rsplit("/", 1)[-1]
            points = [(float(lat), float(lng)) for lng, lat in (pair.split(",") for pair in coordinates.split(";"))]
            body = cls.table(points)
            query = parse_qs(parts.query)
            rows = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else range(len(points))
            columns = (
                [int(i) for i in query["destinations"][0].split(";")] if "destinations" in query else range(len(points))
            )
            body = {
                key: [[value[r][c] for c in columns] for r in rows] if key in ("durations", "distances") else value
                for key, value in body.items()
            }
        payload = json.dumps(body).encode()
        self.send_response(cls.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@contextmanager
def fake_osrm_server() -> Iterator[tuple[type[FakeOsrm], str]]:
    """A running fake server: yields its handler class (to set answers and read requests) and its base URL."""
    handler = type("Handler", (FakeOsrm,), {"requests_seen": [], "status": 200, "body": {}, "table": None})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
