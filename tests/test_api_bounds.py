"""The largest answers any request can produce, on the real West Midlands build."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings


@pytest.mark.slow
def test_the_largest_answers_are_bounded_on_the_west_midlands(real_build_dir):
    """A bulk request of 100 copies of one postcode, and a reverse lookup at the largest radius
    and limit in Birmingham city centre (the densest postcodes), each answer under 100 KB."""
    from api.models import MAX_LIMIT, MAX_RADIUS_M

    data_dir = real_build_dir("west-midlands")
    with TestClient(create_app(ApiSettings(region="west-midlands", data_dir=data_dir))) as c:
        bulk = c.post("/api/v1/postcodes", json={"postcodes": ["B1 1BB"] * 100})
        near = c.get(
            "/api/v1/postcodes",
            params={"lon": -1.8986, "lat": 52.4796, "radius": MAX_RADIUS_M, "limit": MAX_LIMIT},
        )
    assert bulk.status_code == 200 and len(bulk.content) < 100_000
    assert near.status_code == 200 and len(near.json()["result"]) == MAX_LIMIT
    assert len(near.content) < 100_000
