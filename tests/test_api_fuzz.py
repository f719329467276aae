"""Schema fuzzing with schemathesis, every check (``--checks all``): no input gives a 500,
every answer matches the schema its route declares (status, content type, headers, body),
schema-valid input is accepted and schema-invalid input refused.

Each operation is its own test id, once with schema-valid (positive) and once with
schema-invalid (negative) data; each run counts its own cases and fails below its floor.
"""

from __future__ import annotations

import pytest
import schemathesis  # noqa: E402
from build_fixture import REGION, make_fixture_build
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS  # noqa: E402

from api.app import create_app  # noqa: E402
from api.models import MAX_BULK_ENTRIES  # noqa: E402
from api.settings import ApiSettings  # noqa: E402

MAX_EXAMPLES = 75  # per operation and mode: over 1,000 cases in all
MIN_CASES = 1000


def _app():
    import tempfile
    from pathlib import Path

    data_dir = Path(tempfile.mkdtemp(prefix="sna-fuzz-"))
    make_fixture_build(data_dir)
    return create_app(
        ApiSettings(region=REGION, data_dir=data_dir, api_key="fuzz-key", reload_interval=60)
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
_positive_data_acceptance = next(
    c for c in CHECKS.get_all() if c.__name__ == "positive_data_acceptance"
)


def _point_and_query(query: dict) -> tuple[bool, bool]:
    """Whether ``query`` gives a whole point (``lon``/``longitude`` and ``lat``/``latitude``)
    and whether it gives one coordinate in both spellings with different values."""
    lon = [query[k] for k in ("lon", "longitude") if k in query]
    lat = [query[k] for k in ("lat", "latitude") if k in query]
    return bool(lon and lat), len(set(map(str, lon))) > 1 or len(set(map(str, lat))) > 1


def positive_data_acceptance(ctx, response, case):
    """schemathesis's check, knowing what OpenAPI cannot say: ``GET /api/v1/postcodes``
    needs ``q`` or a point, ``GET /api/v1/outcodes`` a point (lon and lat, or longitude and
    latitude, each spelt once or alike), and postcodes.io answers 400 otherwise (the 400 is
    documented); a bulk reverse lookup's limits add up to at most 1,000 (else the documented
    422). Every other case goes to the check unchanged."""
    query = case.query or {}
    whole, clash = _point_and_query(query)
    needs = {
        "/api/v1/postcodes": whole or ("q" in query and not clash),
        "/api/v1/outcodes": whole,
    }
    if case.method == "GET" and case.path in needs and response.status_code == 400:
        if clash or not needs[case.path]:
            return None
    if (case.method, case.path, response.status_code) == ("POST", "/api/v1/postcodes", 422):
        if _bulk_entries(case.body) > MAX_BULK_ENTRIES:  # the documented 422
            return None
    return _positive_data_acceptance(ctx, response, case)


def _bulk_entries(body) -> int:
    """How many postcodes a bulk reverse body may answer with (its limits added up; 0 for a
    body that is not one)."""
    points = body.get("geolocations") if isinstance(body, dict) else None
    if not isinstance(points, list):
        return 0
    total = 0
    for p in points:
        if not isinstance(p, dict):
            return 0
        limit = p.get("limit", 10)
        if not isinstance(limit, int | float) or isinstance(limit, bool):
            return 0
        total += min(limit, 10) if p.get("widesearch") or p.get("wideSearch") else limit
    return int(total)


# every registered check, as ``--checks all`` (loading the OpenAPI schema registers them)
ALL_CHECKS = [
    positive_data_acceptance if c is _positive_data_acceptance else c for c in CHECKS.get_all()
]

# One pytest parameter per operation, each with its own test id: schemathesis's own
# ``schema.parametrize()`` gives every operation the same node id, so pytest-xdist reports
# only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def _takes_input(op) -> bool:
    """Whether schema-invalid data exists: a query parameter or a body (any string is a
    valid path parameter)."""
    return bool(list(op.query)) or bool(list(op.body))


# negative data only where there is input to get wrong
RUNS = [
    (op, mode)
    for op in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _takes_input(op)
]


def _floor(op) -> int:
    """Cases a run must reach: every example asked for where there is a parameter or a body
    to vary (hypothesis stops early only when it has tried every distinct input), else one."""
    varies = bool(list(op.path_parameters)) or _takes_input(op)
    return MAX_EXAMPLES if varies else 1


@pytest.mark.parametrize(
    ("operation", "mode"), RUNS, ids=[f"{op.label}-{mode.value}" for op, mode in RUNS]
)
def test_operation_passes_every_check(operation, mode, capsys):
    """Every check on every generated case; the count is this test's own (no module state,
    so it holds under pytest-xdist too)."""
    cases = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(data=st.data())
    def run(data):
        nonlocal cases
        case = data.draw(operation.as_strategy(generation_mode=mode))
        case.call_and_validate(checks=ALL_CHECKS)
        cases += 1

    run()
    with capsys.disabled():
        print(f"\nschemathesis: {cases:4d} cases, 0 failures: {operation.label} ({mode.value})")
    assert cases >= _floor(operation)


def test_every_operation_is_its_own_test():
    ids = [op.label for op in OPERATIONS]
    assert len(ids) >= 15 and len(set(ids)) == len(ids)
    names = {c.__name__ for c in ALL_CHECKS}
    assert {"positive_data_acceptance", "negative_data_rejection", "use_after_free"} <= names
    assert len(ALL_CHECKS) >= 14


def test_the_runs_add_up_to_over_1000_cases():
    """The floor each run must reach (checked by the run itself) adds up to ``MIN_CASES``."""
    floor = sum(_floor(op) for op, _ in RUNS)
    assert floor >= MIN_CASES, floor
