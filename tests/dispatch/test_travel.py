import pytest

from dispatch.travel import HaversineProvider, OsrmProvider, TravelTimeError, provider_from_settings
from tests.dispatch.fake_osrm import fake_osrm_server

# Two points about 1.1 km apart in central Lyon.
BELLECOUR = (45.7578, 4.8320)
TERREAUX = (45.7675, 4.8336)


def test_rush_hour_travel_is_slower_than_midday():
    provider = HaversineProvider(road_factor=1.3)

    _, rush = provider.matrices([BELLECOUR, TERREAUX], departure_s=8 * 3600)
    _, midday = provider.matrices([BELLECOUR, TERREAUX], departure_s=12 * 3600)

    assert rush[0][1] > midday[0][1] > 0
    assert rush[0][0] == midday[0][0] == 0


def test_haversine_distance_includes_the_road_factor():
    straight, _ = HaversineProvider(road_factor=1.0).matrices([BELLECOUR, TERREAUX])
    road, _ = HaversineProvider(road_factor=1.3).matrices([BELLECOUR, TERREAUX])

    assert 1000 < straight[0][1] < 1200
    assert road[0][1] == pytest.approx(straight[0][1] * 1.3, abs=1)


def test_the_same_points_are_not_recomputed_within_a_plan():
    provider = HaversineProvider()

    first = provider.matrices([BELLECOUR, TERREAUX], departure_s=12 * 3600)
    second = provider.matrices([BELLECOUR, TERREAUX], departure_s=12 * 3600)

    assert first is second


@pytest.fixture
def osrm():
    with fake_osrm_server() as server:
        yield server


def test_osrm_provider_reads_the_table_service(osrm):
    handler, url = osrm
    handler.body = {
        "code": "Ok",
        "durations": [[0, 121.4], [118.6, 0]],
        "distances": [[0, 1402.2], [1380.9, 0]],
    }

    distances, durations = OsrmProvider(url).matrices([BELLECOUR, TERREAUX])

    assert distances == ((0, 1402), (1381, 0))
    assert durations == ((0, 121), (119, 0))
    path = handler.requests_seen[0]
    assert path.startswith("/table/v1/driving/4.832000,45.757800;4.833600,45.767500?")
    assert "annotations=duration%2Cdistance" in path


def test_an_osrm_server_error_is_retryable(osrm):
    handler, url = osrm
    handler.status = 503
    handler.body = {"code": "Busy"}

    with pytest.raises(TravelTimeError) as error:
        OsrmProvider(url).matrices([BELLECOUR, TERREAUX])

    assert error.value.retryable is True


def test_an_osrm_refusal_is_not_retryable(osrm):
    handler, url = osrm
    handler.status = 400
    handler.body = {"code": "InvalidQuery", "message": "Query string malformed"}

    with pytest.raises(TravelTimeError) as error:
        OsrmProvider(url).matrices([BELLECOUR, TERREAUX])

    assert error.value.retryable is False
    assert "malformed" in str(error.value)


def test_an_unreachable_osrm_server_is_retryable():
    with pytest.raises(TravelTimeError) as error:
        OsrmProvider("http://127.0.0.1:9", timeout_s=1).matrices([BELLECOUR, TERREAUX])

    assert error.value.retryable is True


def test_settings_without_an_osrm_url_give_haversine(settings):
    settings.OSRM_URL = ""
    settings.ROAD_FACTOR = 1.5

    provider = provider_from_settings()

    assert isinstance(provider, HaversineProvider)
    assert provider.road_factor == 1.5


def test_settings_with_an_osrm_url_give_osrm(settings):
    settings.OSRM_URL = "http://osrm.example:5000/"

    provider = provider_from_settings()

    assert isinstance(provider, OsrmProvider)
    assert provider.base_url == "http://osrm.example:5000"


def test_a_table_bigger_than_the_service_allows_is_asked_in_blocks_and_assembled(osrm):
    handler, url = osrm
    # Seven points along a meridian; the fake road is 1 m per 0.00001 degree, at 10 m/s.
    points = [(45.75 + k * 0.001, 4.83) for k in range(7)]

    def table(asked):
        metres = [[abs(a[0] - b[0]) * 100_000 for b in asked] for a in asked]
        return {"code": "Ok", "distances": metres, "durations": [[m / 10 for m in row] for row in metres]}

    handler.table = staticmethod(table)

    distances, durations = OsrmProvider(url, max_table_points=4).matrices(points)

    assert distances == tuple(tuple(round(abs(i - j) * 100) for j in range(7)) for i in range(7))
    assert durations == tuple(tuple(round(abs(i - j) * 10) for j in range(7)) for i in range(7))
    asked = [path.split("?")[0].rsplit("/", 1)[-1].count(";") + 1 for path in handler.requests_seen]
    assert max(asked) <= 4 and len(asked) > 1
