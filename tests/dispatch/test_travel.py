import numpy as np
import pytest

from dispatch.travel import (
    HaversineProvider,
    OsrmProvider,
    StreetModel,
    TravelTimeError,
    haversine_m,
    haversine_m_arrays,
    provider_from_settings,
)
from tests.dispatch.conftest import PARIS_POINTS
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


def test_the_haversine_over_arrays_is_the_haversine_point_by_point():
    lat = np.array([p[0] for p in PARIS_POINTS])
    lng = np.array([p[1] for p in PARIS_POINTS])

    metres = haversine_m_arrays(BELLECOUR[0], BELLECOUR[1], lat, lng)

    # numpy's trigonometry may differ from math's in the last bit, never by a measurable distance.
    assert metres.tolist() == pytest.approx([haversine_m(BELLECOUR, p) for p in PARIS_POINTS], abs=1e-6)
    assert haversine_m(BELLECOUR, TERREAUX) == pytest.approx(1086, abs=5)


@pytest.mark.parametrize("departure_s", [8 * 3600, 12 * 3600, 17 * 3600])
def test_the_street_model_over_arrays_gives_the_providers_matrices(departure_s):
    points = PARIS_POINTS[:8]
    distances, durations = HaversineProvider(road_factor=1.4).matrices(points, departure_s=departure_s)
    model = StreetModel(road_factor=1.4)
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])

    for row, (a_lat, a_lng) in enumerate(points):
        road = model.road_m(haversine_m_arrays(a_lat, a_lng, lat, lng))
        assert road.tolist() == list(distances[row])
        assert model.drive_s(road, departure_s).tolist() == list(durations[row])


def test_a_road_factor_below_one_is_refused():
    with pytest.raises(ValueError):
        StreetModel(road_factor=0.9)


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
