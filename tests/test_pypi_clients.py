"""Two postcodes.io clients from PyPI that nobody here wrote, against a real ``sna serve``.

``postcodes-io-api`` 0.0.4 (``Api(base_url=...)``) and ``ukpostcodeio`` 1.0.0
(``BASE_URL``) are test dependencies (pinned in requirements.lock). Each is pointed at
``http://127.0.0.1:PORT/api/v1`` (both build their URLs as base + ``/postcodes/...``), and
every method of theirs is called with the fixture region's postcodes: each returns
postcodes.io's shape, without an exception, except the two kinds of data this server does
not hold (places from OS Open Names, Scottish postcodes), which answer 404 saying so
(README: the differences from postcodes.io).
"""

from __future__ import annotations

import inspect

import postcodes_io_api  # noqa: E402
import pytest
import ukpostcodeio  # noqa: E402
from build_fixture import (
    LIVE_POSTCODE,
    POSTCODES_IO_FIELDS,
    REGION,
    TERMINATED_WITH_GRID,
    live_lonlat,
)
from serving import serve

LON, LAT = live_lonlat()
POSTCODE = POSTCODES_IO_FIELDS
OUTCODE = {
    "outcode",
    "longitude",
    "latitude",
    "eastings",
    "northings",
    "admin_district",
    "admin_ward",
    "country",
}
NOT_SERVED = {"scottish_postcode_lookup", "lookup_place", "query_place", "random_place"}


@pytest.fixture(scope="module")
def base(fixture_build) -> str:
    """``sna serve`` (``python -m api``) over the fixture build; the clients' base URL."""
    for root in serve(REGION, fixture_build, timeout=60):
        yield root + "/api/v1"


def _postcode(p: dict, *, nearby: bool = False) -> dict:
    assert POSTCODE <= set(p), POSTCODE - set(p)
    assert p["postcode"].startswith("B") and p["codes"]["lsoa"].startswith("E01")
    if nearby:
        assert isinstance(p["distance"], float) and p["distance"] >= 0
    return p


def _outcode(o: dict, *, nearby: bool = False) -> dict:
    assert OUTCODE <= set(o), OUTCODE - set(o)
    if nearby:
        assert o["distance"] >= 0
    return o


def _public_methods(cls) -> set[str]:
    return {n for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def _envelope(data: dict):
    """postcodes-io-api returns the whole body: postcodes.io's envelope."""
    assert data["status"] == 200, data
    return data["result"]


def test_postcodes_io_api_every_method(base):
    api = postcodes_io_api.Api(base_url=base)
    called: set[str] = set()

    def call(name: str, *args, **kwargs):
        called.add(name)
        return getattr(api, name)(*args, **kwargs)

    assert call("is_postcode_valid", "b11ab") is True
    assert api.is_postcode_valid("B99 9ZZ") is False
    assert call("is_postcode_terminated", TERMINATED_WITH_GRID) is True
    assert api.is_postcode_terminated(LIVE_POSTCODE) is False
    one = _postcode(_envelope(call("get_postcode", "B1 1AB")))
    assert one["postcode"] == LIVE_POSTCODE and "violence_risk" in one
    near = _envelope(call("get_nearest_postcodes_for_postcode", postcode="B1 1AB", limit=2,
                          radius=1000))  # fmt: skip
    assert [_postcode(p, nearby=True)["postcode"] for p in near] == ["B1 1AB", "B1 1AD"]
    at = _envelope(call("get_nearest_postcodes_for_coordinates", latitude=LAT, longitude=LON,
                        limit=3, radius=1000))  # fmt: skip
    assert [_postcode(p, nearby=True)["postcode"] for p in at] == ["B1 1AB", "B1 1AD", "B1 1AE"]
    bulk = _envelope(call("get_bulk_postcodes", ["B1 1AB", "B2 1AD", "B99 9ZZ"]))
    assert [b["query"] for b in bulk] == ["B1 1AB", "B2 1AD", "B99 9ZZ"]
    assert _postcode(bulk[1]["result"])["postcode"] == "B2 1AD" and bulk[2]["result"] is None
    # the client's own example payload shape, with the region's points
    payload = {
        "geolocations": [
            {"longitude": LON, "latitude": LAT},
            {"longitude": LON, "latitude": LAT, "radius": 900, "limit": 5},
        ]
    }
    rev = _envelope(call("get_bulk_reverse_geocode", payload))
    assert [len(r["result"]) for r in rev] == [1, 3]
    assert all(_postcode(p, nearby=True) for r in rev for p in r["result"])
    assert api.is_postcode_valid(_postcode(_envelope(call("get_random_postcode")))["postcode"])
    auto = _envelope(call("get_autocomplete_postcode", postcode="B1 1", limit=2))
    assert auto == ["B1 1AB", "B1 1AD"]
    assert _outcode(_envelope(call("get_outcode", "B1")))["outcode"] == "B1"
    noc = _envelope(call("get_nearest_outcodes_for_outcode", outcode="B1", limit=2))
    assert [_outcode(o, nearby=True)["outcode"] for o in noc][0] == "B1" and len(noc) == 2
    coc = _envelope(call("get_nearest_outcodes_for_coordinates", latitude=LAT, longitude=LON,
                         limit=2))  # fmt: skip
    assert [_outcode(o, nearby=True)["outcode"] for o in coc][0] == "B1" and len(coc) == 2
    # a stub of the client's own (``pass``): no request, None
    assert call("get_distance_between_postcodes", postcode="B1 1AB") is None
    assert called == _public_methods(postcodes_io_api.Api)


def test_ukpostcodeio_every_method(base):
    client = ukpostcodeio.UKPostCodeIO(timeout=20, max_retries=0)
    client.BASE_URL = base
    called: set[str] = set()

    def call(name: str, *args, **kwargs):
        called.add(name)
        return getattr(client, name)(*args, **kwargs)

    one = _postcode(call("lookup_postcode", "b11ab"))
    assert one["postcode"] == LIVE_POSTCODE
    bulk = call("bulk_lookup_postcodes", ["B1 1AB", "B12 1AE"])
    assert [_postcode(b["result"])["postcode"] for b in bulk] == ["B1 1AB", "B12 1AE"]
    at = call("reverse_geocode", LON, LAT, limit=2, radius=1000)
    assert [_postcode(p, nearby=True)["postcode"] for p in at] == ["B1 1AB", "B1 1AD"]
    rev = call("bulk_reverse_geocode", [{"longitude": LON, "latitude": LAT, "limit": 2}])
    assert [p["postcode"] for p in rev[0]["result"]] == ["B1 1AB"]
    assert call("query_postcode", "B1 1", limit=3) == ["B1 1AB", "B1 1AD", "B1 1AE"]
    assert call("validate_postcode", "B1 1AB") is True
    assert client.validate_postcode("B99 9ZZ") is False
    near = call("nearest_postcodes", "B1 1AB", limit=3, radius=2000)
    assert [_postcode(p, nearby=True)["distance"] for p in near] == sorted(
        p["distance"] for p in near
    )
    assert call("autocomplete_postcode", "B1 1A", limit=1) == ["B1 1AB"]
    assert _postcode(call("random_postcode"))["outcode"].startswith("B")
    assert _postcode(client.random_postcode(outcode="B7"))["outcode"] == "B7"
    assert _outcode(call("lookup_outcode", "B12"))["postcodes"] == 3
    at_oc = call("reverse_geocode_outcode", LON, LAT, limit=2)
    assert [_outcode(o, nearby=True)["outcode"] for o in at_oc][0] == "B1"
    noc = call("nearest_outcodes", "B6", limit=5)  # the client's default radius: 5 km
    assert [_outcode(o, nearby=True)["outcode"] for o in noc][0] == "B6" and len(noc) == 5
    term = call("terminated_postcode_lookup", TERMINATED_WITH_GRID)
    assert term["postcode"] == TERMINATED_WITH_GRID and term["year_terminated"] == 2019
    # not applicable: the data is not held here, and the 404 says so
    for name, args, words in [
        ("scottish_postcode_lookup", ("EH1 1YZ",), "Scottish postcodes"),
        ("lookup_place", ("osgb4000000074564391",), "Places (OS Open Names)"),
        ("query_place", ("Birmingham",), "Places (OS Open Names)"),
        ("random_place", (), "Places (OS Open Names)"),
    ]:
        with pytest.raises(ukpostcodeio.exceptions.PostcodesIOHTTPError) as err:
            call(name, *args)
        assert err.value.status_code == 404 and words in err.value.error_message
    call("close")
    with ukpostcodeio.UKPostCodeIO() as again:
        again.BASE_URL = base
        assert again.validate_postcode("B1 1AB") is True
    assert called | {"close"} == _public_methods(ukpostcodeio.UKPostCodeIO)
    assert NOT_SERVED <= called
