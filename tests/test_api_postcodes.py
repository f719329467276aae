"""/api/v1/postcodes: one, bulk and autocomplete, including bad input."""

from __future__ import annotations

import pytest
from build_fixture import LIVE_POSTCODE, REGION, TERMINATED_POSTCODE


def test_lookup_is_lenient(client):
    for text in ("b11ab", "B1%201AB", "b1%20%201ab"):
        r = client.get(f"/api/v1/postcodes/{text}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert "max-age" in r.headers["cache-control"]
        assert r.json()["result"]["postcode"] == LIVE_POSTCODE


def test_lookup_body(client):
    body = client.get(f"/api/v1/postcodes/{LIVE_POSTCODE}").json()["result"]
    assert {"location", "lsoa21", "ward", "district", "indices", "drivers", "assets"} <= set(body)
    assert body["indices"]["need"]["rank_interval"]["lo"] >= 1
    assert body["drivers"][0]["text"]
    assert body["assets"]["nearest"][0]["name"] == "St Mary's Church"


def test_terminated_postcode(client):
    body = client.get("/api/v1/postcodes/b19zz").json()["result"]
    assert body["postcode"] == TERMINATED_POSTCODE and body["status"] == "terminated"
    assert "last one it belonged to" in body["note"]
    assert body["lsoa21"]["code"] == "E01000000"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("b1", "expected 5 to 7 letters and digits"),
        ("1B1 1AB", "not a valid UK postcode"),
        ("%20%20%20", "expected 5 to 7"),
        ("B1%201AB%3B", "not a valid UK postcode"),
    ],
)
def test_invalid_postcode_is_404_with_reason(client, text, reason):
    r = client.get(f"/api/v1/postcodes/{text}")
    assert r.status_code == 404  # as postcodes.io: an invalid postcode is not found
    assert r.json()["status"] == 404 and reason in r.json()["error"]


def test_unknown_postcode_is_404(client):
    r = client.get("/api/v1/postcodes/B99%209ZZ")
    assert r.status_code == 404
    assert r.json() == {"status": 404, "error": "B99 9ZZ is not a postcode of Fixture Region"}


def test_bulk_lookup(client):
    r = client.post("/api/v1/postcodes", json={"postcodes": ["b11ab", "bad", "B99 9ZZ", "B1 9ZZ"]})
    assert r.status_code == 200
    items = r.json()["result"]
    assert [i["status"] for i in items] == [200, 404, 404, 200]
    assert [i["query"] for i in items] == ["b11ab", "bad", "B99 9ZZ", "B1 9ZZ"]
    assert items[3]["result"]["status"] == "terminated"
    assert items[1]["error"] and items[1]["result"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"postcodes": ["B1 1AB"] * 101},
        {"postcodes": []},
        {"postcodes": "B1 1AB"},
        {"postcodes": [1, 2]},
        {"codes": ["B1 1AB"]},
        [],
    ],
)
def test_bulk_rejects_bad_bodies(client, body):
    r = client.post("/api/v1/postcodes", json=body)
    assert r.status_code == 422
    assert r.json()["error"]


def test_bulk_of_100_is_accepted_and_answers_each_distinct_postcode_once(client):
    one = client.get("/api/v1/postcodes/B1 1AB").content
    r = client.post("/api/v1/postcodes", json={"postcodes": ["B1 1AB", "b11ab"] * 50})
    assert r.status_code == 200
    assert [i["query"] for i in r.json()["result"]] == ["B1 1AB"]
    assert len(r.content) < 2 * len(one)  # bounded by distinct postcodes, not repeats
    mixed = client.post("/api/v1/postcodes", json={"postcodes": ["bad", "B1 1AB", "BAD"] * 3})
    assert [i["query"] for i in mixed.json()["result"]] == ["bad", "B1 1AB"]


def test_bulk_rejects_non_json(client):
    r = client.post(
        "/api/v1/postcodes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_autocomplete(client):
    r = client.get("/api/v1/postcodes", params={"q": "b1 1", "limit": 2})
    assert r.status_code == 200
    assert r.json() == {"status": 200, "result": ["B1 1AB", "B1 1AD"]}
    assert client.get("/api/v1/postcodes", params={"q": "zz9"}).json()["result"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "B1 1AB 123"},
        {"q": "b1", "limit": 0},
        {"q": "b1", "limit": 101},
        {"q": "b1", "limit": "x"},
    ],
)
def test_autocomplete_bad_input_is_422(client, params):
    r = client.get("/api/v1/postcodes", params=params)
    assert r.status_code == 422
    assert r.json()["status"] == 422 and r.json()["error"].startswith("Invalid request")


@pytest.mark.parametrize("q", ["b1*", "B 1 1", "%C3%A5", "V\u00d9"])
def test_autocomplete_of_no_postcode_is_empty(client, q):
    r = client.get("/api/v1/postcodes", params={"q": q})
    assert r.status_code == 200 and r.json() == {"status": 200, "result": []}


def test_search_needs_q_or_a_point(client):
    for params in ({}, {"lon": -1.9}, {"lat": 52.5}):
        r = client.get("/api/v1/postcodes", params=params)
        assert r.status_code == 400 and r.json()["status"] == 400


def test_autocomplete_lists_live_postcodes_only(client):
    got = client.get("/api/v1/postcodes", params={"q": "B1 9"}).json()["result"]
    assert TERMINATED_POSTCODE not in got
    got = client.get("/api/v1/postcodes/B1 9/autocomplete").json()["result"]
    assert TERMINATED_POSTCODE not in got


def test_bare_lookup_endpoint_answers_as_the_documented_route(client, fixture_app):
    """The lookup is a bare ASGI endpoint (``PostcodeAnswer``) in front of the documented
    FastAPI route: the same bytes and headers as ``cached_answer``, the same errors, HEAD,
    304, and the route still in the schema."""
    from starlette.requests import Request

    from api.responses import cached_answer, envelope
    from api.routers.postcodes import PostcodeAnswer

    first = next(
        r
        for r in fixture_app.router.routes
        if getattr(r, "path", "") == "/api/v1/postcodes/{postcode}"
    )
    assert isinstance(first.app, PostcodeAnswer)  # matched first, ahead of the schema route
    build = fixture_app.state.watcher.get()
    plain = {"Accept-Encoding": "identity"}
    r = client.get(f"/api/v1/postcodes/{LIVE_POSTCODE}", headers=plain)
    assert r.content == envelope(build.postcode_json(LIVE_POSTCODE))
    scope = {"type": "http", "headers": [], "method": "GET", "path": "/"}
    want = cached_answer(Request(scope), b"{}", build.build_id, r.headers["cache-control"])
    for name, value in want.raw_headers:
        if name != b"content-length":
            assert r.headers[name.decode()] == value.decode()
    assert r.headers["x-content-type-options"] == "nosniff"  # the middleware still runs
    again = client.get(r.url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = client.head(r.url, headers=plain)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(r.content))
    assert client.get("/api/v1/postcodes/B99%209ZZ").json()["status"] == 404
    schema = client.get("/openapi.json").json()
    assert "get" in schema["paths"]["/api/v1/postcodes/{postcode}"]


def test_server_answers_lookups_without_the_data_stack(fixture_build):
    """A server that has loaded a build and answered lookups has not imported pandas,
    pyarrow, rasterio or the tile renderers: its memory is its answers (issue 14's
    serving target), and those load only when a tile or export is asked for."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from fastapi.testclient import TestClient
        from api.app import create_app
        from api.settings import ApiSettings
        app = create_app(ApiSettings(region={REGION!r}, data_dir=Path({str(fixture_build)!r})))
        with TestClient(app) as c:
            assert c.get("/api/v1/postcodes/{LIVE_POSTCODE}").status_code == 200
            assert c.get("/api/v1/areas/E01000000").status_code == 200
        heavy = ("pandas", "pyarrow", "numpy", "rasterio", "rio_tiler", "shapely", "scipy")
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
