"""postcodes.io's routes by position on the fixture build: reverse geocoding (both spellings,
``wideSearch``), nearest postcodes to a postcode, bulk reverse geocoding, random postcodes,
nearest outcodes, and the not-served routes (Scottish postcodes, places).

The fixture's postcodes sit 3 to an LSOA of 1 km squares, at (200, 300), (500, 500) and
(800, 700) m from each square's south-west corner; ``B1 1AB`` is at ORIGIN + (200, 300).
"""

from __future__ import annotations

import math

import pytest
from build_fixture import (
    LIVE_POSTCODE,
    ORIGIN,
    POSTCODES_IO_FIELDS,
    REGION_NAME,
    TERMINATED_POSTCODE,
    live_lonlat,
)
from pyproj import Transformer

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
LON, LAT = live_lonlat()
ENTRY_FIELDS = POSTCODES_IO_FIELDS | {"bands", "distance"}
BANDS = {"Highest", "High", "Medium", "Low", "Lowest", None}


def _ok(r) -> object:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == 200
    return body["result"]


def _error(r, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and set(body) == {"status", "error"}
    return body["error"]


def _points(client) -> dict[str, tuple[float, float]]:
    """Every live postcode's grid reference, from the single lookups."""
    out = {}
    for ch in "BDE":
        for i in range(1, 13):
            p = _ok(client.get(f"/api/v1/postcodes/B{i} 1A{ch}"))
            out[p["postcode"]] = (p["eastings"], p["northings"])
    return out


def test_reverse_lookup_takes_both_spellings_and_answers_compact_entries(client):
    by_lon = _ok(client.get("/api/v1/postcodes", params={"lon": LON, "lat": LAT, "limit": 5}))
    params = {"longitude": LON, "latitude": LAT, "limit": 5}
    by_longitude = _ok(client.get("/api/v1/postcodes", params=params))
    mixed = _ok(client.get("/api/v1/postcodes", params={"lon": LON, "latitude": LAT, "limit": 5}))
    assert by_lon == by_longitude == mixed
    assert [e["postcode"] for e in by_lon] == [LIVE_POSTCODE]  # only it within 100 m
    e = by_lon[0]
    assert set(e) == ENTRY_FIELDS and e["distance"] < 1
    # the compact entry agrees with the full answer, one request away
    full = _ok(client.get(f"/api/v1/postcodes/{e['postcode']}"))
    for k in ENTRY_FIELDS - {"distance", "bands"}:
        assert e[k] == full[k], k
    assert e["bands"] == {
        "violence_risk": full["violence_risk"]["band"],
        "need": full["indices"]["need"]["band"],
    }
    assert len(client.get("/api/v1/postcodes", params=params).content) < 1000


def test_reverse_lookup_is_nearest_first_within_the_radius(client):
    points = _points(client)
    e0, n0 = ORIGIN[0] + 200, ORIGIN[1] + 300
    want = sorted((math.dist((e0, n0), xy), pc) for pc, xy in points.items())
    got = _ok(client.get("/api/v1/postcodes", params={"lon": LON, "lat": LAT, "radius": 1950,
                                                      "limit": 100}))  # fmt: skip
    within = [(d, pc) for d, pc in want if d < 1950]  # none within 1 m of 1950
    assert [g["postcode"] for g in got] == [pc for _, pc in within]
    assert [g["distance"] for g in got] == pytest.approx([d for d, _ in within], abs=0.06)
    assert TERMINATED_POSTCODE not in {g["postcode"] for g in got}


def test_wide_search_reaches_20_km_for_at_most_10(client):
    # 5 km east of the grid: nothing within 2 km, the nearest 10 within 20 km
    lon, lat = TO_WGS84.transform(ORIGIN[0] + 9000, ORIGIN[1] + 1500)
    assert _ok(client.get("/api/v1/postcodes", params={"lon": lon, "lat": lat,
                                                       "radius": 2000})) == []  # fmt: skip
    for name in ("wideSearch", "widesearch"):
        got = _ok(
            client.get(
                "/api/v1/postcodes", params={"lon": lon, "lat": lat, "limit": 50, name: "true"}
            )
        )
        assert len(got) == 10
        assert all(4000 < g["distance"] < 20000 for g in got)
        assert [g["distance"] for g in got] == sorted(g["distance"] for g in got)


def test_a_point_spelt_twice_differently_is_a_400(client):
    r = client.get("/api/v1/postcodes", params={"lon": LON, "longitude": LON + 1, "lat": LAT})
    assert "lon or longitude" in _error(r, 400)
    r = client.get("/api/v1/postcodes", params={"lon": LON, "longitude": LON, "lat": LAT})
    assert _ok(r)[0]["postcode"] == LIVE_POSTCODE  # the same value twice is one point
    assert "longitude and latitude" in _error(client.get("/api/v1/postcodes"), 400)


def test_nearest_postcodes_to_a_postcode(client):
    got = _ok(client.get("/api/v1/postcodes/b11ab/nearest", params={"radius": 400}))
    assert [g["postcode"] for g in got] == ["B1 1AB", "B1 1AD"]
    assert got[0]["distance"] == 0 and got[1]["distance"] == pytest.approx(360.6, abs=0.1)
    assert len(_ok(client.get("/api/v1/postcodes/B1 1AB/nearest?radius=2000&limit=4"))) == 4
    wide = _ok(client.get("/api/v1/postcodes/B1 1AB/nearest?wideSearch=true&limit=99"))
    assert len(wide) == 10
    r = client.get("/api/v1/postcodes/B1 9ZZ/nearest")  # terminated, no grid reference
    assert "no grid reference" in _error(r, 404)
    assert "not a postcode of" in _error(client.get("/api/v1/postcodes/B99 9ZZ/nearest"), 404)
    _error(client.get("/api/v1/postcodes/B1 1AB/nearest?radius=2001"), 422)
    _error(client.get("/api/v1/postcodes/B1 1AB/nearest?limit=101"), 422)


def test_bulk_reverse_geocoding(client):
    far_lon, far_lat = TO_WGS84.transform(ORIGIN[0] + 9000, ORIGIN[1] + 1500)
    body = {
        "geolocations": [
            {"longitude": LON, "latitude": LAT},
            {"longitude": LON, "latitude": LAT, "radius": 1000, "limit": 3},
            {"longitude": far_lon, "latitude": far_lat},
            {"longitude": far_lon, "latitude": far_lat, "widesearch": True, "limit": 40},
        ]
    }
    got = _ok(client.post("/api/v1/postcodes", json=body))
    assert [item["query"] for item in got] == [
        {"longitude": LON, "latitude": LAT, "radius": 100.0, "limit": 10},
        {"longitude": LON, "latitude": LAT, "radius": 1000.0, "limit": 3},
        {"longitude": far_lon, "latitude": far_lat, "radius": 100.0, "limit": 10},
        {"longitude": far_lon, "latitude": far_lat, "radius": 20000.0, "limit": 10,
         "wideSearch": True},
    ]  # fmt: skip
    results = [item["result"] for item in got]
    assert [e["postcode"] for e in results[0]] == [LIVE_POSTCODE]
    assert [e["postcode"] for e in results[1]] == ["B1 1AB", "B1 1AD", "B1 1AE"]
    assert results[2] == [] and len(results[3]) == 10
    single = _ok(client.get("/api/v1/postcodes", params={"lon": LON, "lat": LAT,
                                                         "radius": 1000, "limit": 3}))  # fmt: skip
    assert results[1] == single
    # the postcodes body still works, and the two bodies are not mixed
    assert _ok(client.post("/api/v1/postcodes", json={"postcodes": ["b11ab"]}))[0]["status"] == 200
    mixed = {"postcodes": ["B1 1AB"], "geolocations": [{"longitude": LON, "latitude": LAT}]}
    assert "Extra inputs" in _error(client.post("/api/v1/postcodes", json=mixed), 422)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"geolocations": []}, "at least 1 item"),
        ({"geolocations": [{"longitude": LON, "latitude": LAT}] * 101}, "at most 100 items"),
        ({"geolocations": [{"longitude": LON, "latitude": 91}]}, "latitude"),
        ({"geolocations": [{"longitude": LON, "latitude": LAT, "radius": 2001}]}, "radius"),
        ({"geolocations": [{"longitude": LON, "latitude": LAT, "limit": 0}]}, "limit"),
        ({"geolocations": [{"longitude": LON}]}, "latitude: Field required"),
        (
            {"geolocations": [{"longitude": LON, "latitude": LAT, "limit": 100}] * 11},
            "add up to 1100",
        ),
    ],
    ids=["empty", "101", "latitude", "radius", "limit", "missing", "over-1000"],
)
def test_bulk_reverse_geocoding_refuses(client, body, words):
    assert words in _error(client.post("/api/v1/postcodes", json=body), 422)


def test_a_bulk_reverse_lookup_of_1000_entries_is_allowed(client):
    body = {"geolocations": [{"longitude": LON, "latitude": LAT, "limit": 100}] * 10}
    got = _ok(client.post("/api/v1/postcodes", json=body))
    assert len(got) == 10 and all(item["result"] == [] or item["result"] for item in got)


def test_random_postcodes(client):
    live = set(_ok(client.get("/api/v1/postcodes", params={"q": "B", "limit": 100})))
    seen = set()
    for _ in range(60):
        r = client.get("/api/v1/random/postcodes")
        assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers
        p = _ok(r)
        assert p["status"] == "live" and {"violence_risk", "indices", "assets"} <= set(p)
        seen.add(p["postcode"])
    assert seen <= live and len(seen) > 10  # not always the same one
    for _ in range(10):
        assert _ok(client.get("/api/v1/random/postcodes?outcode=b2"))["outcode"] == "B2"
    r = client.get("/api/v1/random/postcodes?outcode=ZZ9")
    assert _error(r, 404) == f"No live postcode of {REGION_NAME} in outcode ZZ9"
    assert "not an outward code" in _error(client.get("/api/v1/random/postcodes?outcode=99"), 404)


def test_nearest_outcodes(client):
    got = _ok(client.get("/api/v1/outcodes/b1/nearest", params={"radius": 1200}))
    # B1's postcodes' mean is at (500, 500) of its square: B2 east, B5 north at 1 km
    assert [o["outcode"] for o in got] == ["B1", "B2", "B5"]
    assert [o["distance"] for o in got] == [0, 1000, 1000]
    assert all(o == {**_ok(client.get(f"/api/v1/outcodes/{o['outcode']}")), "distance":
                     o["distance"]} for o in got)  # fmt: skip
    assert len(_ok(client.get("/api/v1/outcodes/B1/nearest?limit=3&radius=25000"))) == 3
    assert _error(client.get("/api/v1/outcodes/ZZ1/nearest"), 404) == "Outcode not found"
    _error(client.get("/api/v1/outcodes/B1/nearest?radius=25001"), 422)
    at = _ok(client.get("/api/v1/outcodes", params={"longitude": LON, "latitude": LAT}))
    assert at[0]["outcode"] == "B1" and at[0]["distance"] == pytest.approx(360.6, abs=0.1)
    assert at == _ok(client.get("/api/v1/outcodes", params={"lon": LON, "lat": LAT}))
    assert "Give lon and lat" in _error(client.get("/api/v1/outcodes", params={"lon": LON}), 400)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/api/v1/scotland/postcodes/EH1 1YZ", "Scottish postcodes"),
        ("/api/v1/places?q=Birmingham", "Places (OS Open Names) are not served"),
        ("/api/v1/places/osgb4000000074564391", "Places (OS Open Names) are not served"),
        ("/api/v1/random/places", "Places (OS Open Names) are not served"),
    ],
)
def test_data_we_do_not_hold_is_a_404_that_says_so(client, path, words):
    assert words in _error(client.get(path), 404)


def test_the_openapi_describes_the_new_routes(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in (
        "/api/v1/postcodes/{postcode}/nearest",
        "/api/v1/random/postcodes",
        "/api/v1/outcodes",
        "/api/v1/outcodes/{outcode}/nearest",
        "/api/v1/scotland/postcodes/{postcode}",
        "/api/v1/places",
        "/api/v1/places/{code}",
        "/api/v1/random/places",
    ):
        assert "get" in paths[p], p

    # one operation per need (issue 25): q on /postcodes, the point on /reverse/postcodes,
    # each required; postcodes.io's other spellings are taken but not listed
    def params(path: str) -> dict[str, bool]:
        return {p["name"]: p["required"] for p in paths[path]["get"]["parameters"]}

    assert params("/api/v1/postcodes") == {"q": True, "limit": False}
    reverse = params("/api/v1/reverse/postcodes")
    assert reverse == {"lon": True, "lat": True, "radius": False, "limit": False,
                       "wideSearch": False, "widesearch": False}  # fmt: skip
    assert {k: v for k, v in params("/api/v1/outcodes").items() if v} == {"lon": True, "lat": True}
    assert set(paths["/api/v1/places"]["get"]["responses"]) == {"404"}
    body = paths["/api/v1/postcodes"]["post"]["requestBody"]["content"]["application/json"]
    refs = {s["$ref"].rsplit("/", 1)[1] for s in body["schema"]["oneOf"]}
    assert refs == {"BulkQuery", "BulkReverseQuery"}


def test_answers_match_the_models_the_openapi_is_made_from(client):
    """The schema fuzz test rarely hits a fixture postcode: here real, non-empty answers
    are checked against the response models (strictly: no field left out)."""
    from api.models import BulkReverseItem, Envelope, NearbyOutcode, NearbyPostcode

    def check(model, r):
        got = model.model_validate(r.json())
        assert got.result, r.url
        for item in got.result if isinstance(got.result, list) else [got.result]:
            fields = set(type(item).model_fields)
            extra = set(item.model_extra or {})
            assert not extra, (type(item).__name__, extra)  # every field documented
            assert fields <= set(item.model_dump()), fields

    near = client.get("/api/v1/postcodes/B1 1AB/nearest?radius=2000&limit=100")
    check(Envelope[list[NearbyPostcode]], near)
    check(Envelope[list[NearbyPostcode]], client.get(f"/api/v1/postcodes?lon={LON}&lat={LAT}"))
    body = {"geolocations": [{"longitude": LON, "latitude": LAT, "widesearch": True}]}
    check(Envelope[list[BulkReverseItem]], client.post("/api/v1/postcodes", json=body))
    check(Envelope[list[NearbyOutcode]], client.get("/api/v1/outcodes/B1/nearest"))
    check(Envelope[list[NearbyOutcode]], client.get(f"/api/v1/outcodes?lon={LON}&lat={LAT}"))


@pytest.mark.parametrize(
    "extra", [{}, {"radius": 2000, "limit": 3}, {"wideSearch": "true"}, {"widesearch": "true"}]
)
def test_the_reverse_route_answers_as_postcodes_ios_form(client, extra):
    """``/api/v1/reverse/postcodes`` (the documented reverse lookup) gives what
    ``/api/v1/postcodes?lon=&lat=`` (postcodes.io's form, still answered) gives."""
    point = {"lon": LON, "lat": LAT, **extra}
    got = _ok(client.get("/api/v1/reverse/postcodes", params=point))
    assert got == _ok(client.get("/api/v1/postcodes", params=point))
    assert got and all("distance" in e for e in got)


def test_the_reverse_route_needs_lon_and_lat(client):
    assert client.get("/api/v1/reverse/postcodes", params={"lon": LON}).status_code == 422
    assert client.get("/api/v1/reverse/postcodes", params={"lat": LAT}).status_code == 422
    r = client.get("/api/v1/reverse/postcodes", params={"longitude": LON, "latitude": LAT})
    assert r.status_code == 422  # only postcodes.io's own path takes its other spelling
