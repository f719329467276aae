"""/api/v1/postcodes: one, bulk and autocomplete, including bad input."""

from __future__ import annotations

import pytest
from build_fixture import LIVE_POSTCODE, TERMINATED_POSTCODE


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


def test_bulk_of_100_is_accepted(client):
    r = client.post("/api/v1/postcodes", json={"postcodes": ["B1 1AB"] * 100})
    assert r.status_code == 200 and len(r.json()["result"]) == 100


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
