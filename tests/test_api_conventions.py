"""postcodes.io conventions and HTTP done properly.

``PostcodesIoClient`` is written only from postcodes.io's documented shapes
(https://postcodes.io/docs): ``{"status": 200, "result": ...}``, errors ``{"status", "error"}``,
bulk ``{"postcodes": [...]}`` in and ``[{"query", "result"}]`` out. It reads our single, bulk,
reverse, outcode, validate, autocomplete and terminated answers. Then HEAD, OPTIONS (Allow),
gzip, CORS (off by default; public routes only) and ETag / Cache-Control.
"""

from __future__ import annotations

import gzip

import pytest
from build_fixture import (
    BUILD_ID,
    LIVE_POSTCODE,
    POSTCODES_IO_FIELDS,
    REGION,
    TERMINATED_POSTCODE,
    live_lonlat,
)
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings

LON, LAT = live_lonlat()


class PostcodesIoClient:
    """A client that knows only postcodes.io's documentation."""

    def __init__(self, http) -> None:
        self.http = http

    def _result(self, r):
        body = r.json()
        assert body["status"] == r.status_code
        if r.status_code != 200:
            raise LookupError(body["error"])
        return body["result"]

    def lookup(self, postcode: str) -> dict:
        return self._result(self.http.get(f"/api/v1/postcodes/{postcode}"))

    def validate(self, postcode: str) -> bool:
        return self._result(self.http.get(f"/api/v1/postcodes/{postcode}/validate"))

    def autocomplete(self, postcode: str) -> list[str]:
        return self._result(self.http.get(f"/api/v1/postcodes/{postcode}/autocomplete")) or []

    def bulk(self, postcodes: list[str]) -> dict[str, dict | None]:
        got = self._result(self.http.post("/api/v1/postcodes", json={"postcodes": postcodes}))
        return {item["query"]: item["result"] for item in got}

    def reverse(self, lon: float, lat: float, **params) -> list[dict]:
        r = self.http.get("/api/v1/postcodes", params={"lon": lon, "lat": lat, **params})
        return self._result(r) or []

    def outcode(self, outcode: str) -> dict:
        return self._result(self.http.get(f"/api/v1/outcodes/{outcode}"))

    def terminated(self, postcode: str) -> dict:
        return self._result(self.http.get(f"/api/v1/terminated_postcodes/{postcode}"))


@pytest.fixture
def pio(client):
    return PostcodesIoClient(client)


def test_single_lookup_reads_as_postcodes_io(pio):
    p = pio.lookup("b11ab")
    assert POSTCODES_IO_FIELDS <= set(p)
    assert (p["postcode"], p["outcode"], p["incode"]) == ("B1 1AB", "B1", "1AB")
    assert (p["eastings"], p["northings"]) == (405200, 285300)
    assert p["longitude"] == pytest.approx(LON, abs=1e-5)
    assert p["latitude"] == pytest.approx(LAT, abs=1e-5)
    assert p["codes"]["lsoa"].startswith("E01") and p["codes"]["admin_district"].startswith("E0")
    assert p["admin_district"] and p["admin_ward"] and p["lsoa"]
    # our own content sits inside result too
    assert {"violence_risk", "indices", "drivers", "assets", "vintages", "synthetic"} <= set(p)


def test_errors_read_as_postcodes_io(pio):
    with pytest.raises(LookupError, match="not a postcode of"):
        pio.lookup("B99 9ZZ")
    with pytest.raises(LookupError):
        pio.lookup("not a postcode")


def test_validate(pio):
    assert pio.validate("b11ab") is True
    assert pio.validate("B99 9ZZ") is False
    assert pio.validate("nonsense") is False


def test_bulk(pio):
    got = pio.bulk(["B1 1AB", "B99 9ZZ", "bad"])
    assert got["B1 1AB"]["postcode"] == "B1 1AB"
    assert got["B99 9ZZ"] is None and got["bad"] is None


def test_reverse_lookup_nearest_first(pio):
    got = pio.reverse(LON, LAT, radius=2000, limit=5)
    assert got[0]["postcode"] == LIVE_POSTCODE and got[0]["distance"] < 1
    assert [g["distance"] for g in got] == sorted(g["distance"] for g in got)
    assert len(got) == 5 and TERMINATED_POSTCODE not in {g["postcode"] for g in got}
    assert pio.reverse(LON, LAT, radius=1) == [got[0]]
    assert pio.reverse(0.0, 51.0) == []  # nothing within 100 m


def test_outcode(pio):
    o = pio.outcode("b1")
    assert o["outcode"] == "B1" and o["postcodes"] == 3
    assert o["admin_district"] and o["admin_ward"] and o["longitude"] and o["latitude"]
    with pytest.raises(LookupError, match="Outcode not found"):
        pio.outcode("ZZ1")


def test_terminated(pio):
    t = pio.terminated("b19zz")
    assert t == {
        "postcode": TERMINATED_POSTCODE,
        "year_terminated": 2019,
        "month_terminated": 5,
        "longitude": None,
        "latitude": None,
    }
    with pytest.raises(LookupError, match="Terminated postcode not found"):
        pio.terminated(LIVE_POSTCODE)


def test_autocomplete_live_only(pio):
    assert pio.autocomplete("B1 1") == ["B1 1AB", "B1 1AD", "B1 1AE"]
    assert TERMINATED_POSTCODE not in pio.autocomplete("B1")


def test_provenance_one_vintage_per_source_a_period_per_layer_a_unit_per_value(pio):
    p = pio.lookup(LIVE_POSTCODE)
    assert all(";" not in (v or "") and " / " not in (v or "") for v in p["vintages"].values())
    assert set(p["periods"]) >= {"child_poverty", "income_deprivation"}
    assert all(v["unit"] for v in p["local"].values())
    assert p["postcode_need"]["unit"] and p["indices"]["need"]["unit"]


# --------------------------------------------------------------------------- HTTP


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/postcodes/{LIVE_POSTCODE}",
        "/api/v1/postcodes?q=B1",
        "/api/v1/areas/E01000001",
        "/api/v1/layers",
        "/health",
        "/",
        "/tiles/areas/14/8100/5400.pbf",
    ],
)
def test_head_on_every_get(client, path):
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]


def test_every_get_route_answers_head(client):
    paths = client.get("/openapi.json").json()["paths"]
    gets = [p for p, ops in paths.items() if "get" in ops]
    for p in gets:
        r = client.head(p.replace("{", "").replace("}", ""))
        assert r.status_code != 405, p


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/postcodes", "GET, HEAD, POST, OPTIONS"),
        (f"/api/v1/postcodes/{LIVE_POSTCODE}", "GET, HEAD, OPTIONS"),
        ("/api/v1/areas", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_and_405_say_the_real_allow(client, path, allow):
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == allow
    r = client.delete(path)
    assert r.status_code == 405 and r.headers["allow"] == allow
    assert r.json() == {"status": 405, "error": "Method not allowed"}


def test_options_of_nothing_is_404(client):
    r = client.options("/nope")
    assert r.status_code == 404 and r.json()["status"] == 404


def test_gzip_for_json_csv_geojson(client):
    for path in (
        "/api/v1/areas?limit=100",
        "/api/v1/areas?limit=100&format=csv",
        "/api/v1/areas?limit=100&format=geojson",
        f"/api/v1/postcodes/{LIVE_POSTCODE}",
    ):
        r = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip", path
        assert "accept-encoding" in r.headers["vary"].lower()
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == r.content
    r = client.get("/api/v1/areas?limit=100&format=geojson", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) * 3 < len(r.content)
    assert gzip.compress(r.content)  # decoded body is the JSON


def test_etag_and_cache_control_on_lookups(client):
    for path in (f"/api/v1/postcodes/{LIVE_POSTCODE}", "/api/v1/areas/E01000001"):
        r = client.get(path)
        etag = r.headers["etag"]
        assert etag.startswith('W/"') and "max-age=" in r.headers["cache-control"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    assert BUILD_ID in etag  # a new build, a new validator


def test_cors_off_by_default(client):
    r = client.get("/api/v1/layers", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_star_for_public_routes_only(fixture_build):
    settings = ApiSettings(region=REGION, data_dir=fixture_build, api_key="k", cors_origins=["*"])
    with TestClient(create_app(settings)) as c:
        origin = {"Origin": "https://example.org"}
        r = c.get(f"/api/v1/postcodes/{LIVE_POSTCODE}", headers=origin)
        assert r.headers["access-control-allow-origin"] == "*"
        pre = c.options(
            "/api/v1/postcodes",
            headers={**origin, "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"
        r = c.get("/api/v1/analyst/areas/E01000001", headers={**origin, "X-API-Key": "k"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_404_tells_outside_the_region_from_not_found(fixture_build):
    from api.routers.postcodes import bulk_items
    from sna.builds.registry import open_build

    build = open_build(
        fixture_build / REGION / "builds" / "current",
        national_postcodes=["B60 3AA", "B1 1AB", "SW1A 1AA"],
    )
    with pytest.raises(Exception, match=r"^B60 3AA is outside the Fixture Region$"):
        build.postcode_json("b603aa")
    with pytest.raises(Exception, match=r"^Postcode not found$"):
        build.postcode_json("B99 9ZZ")
    got = bulk_items(build, ["SW1A 1AA", "B99 9ZZ"])
    assert b"SW1A 1AA is outside the Fixture Region" in got and b"Postcode not found" in got
