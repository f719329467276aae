"""Schema fuzzing with schemathesis: no input gives a 500, answers match the schema."""

from __future__ import annotations

import pytest
from api_fixtures import REGION, make_fixture_build

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import checks as st_checks  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import ApiSettings  # noqa: E402

MAX_EXAMPLES = 30


def _app():
    import tempfile
    from pathlib import Path

    data_dir = Path(tempfile.mkdtemp(prefix="sna-fuzz-"))
    make_fixture_build(data_dir)
    return create_app(
        ApiSettings(region=REGION, data_dir=data_dir, api_key="fuzz-key", reload_interval=60)
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


# One pytest parameter per operation, each with its own test id: schemathesis's own
# ``schema.parametrize()`` gives every operation the same node id, so pytest-xdist reports
# only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@given(data=st.data())
def test_no_input_gives_a_server_error(operation, data):
    case = data.draw(operation.as_strategy())
    case.call_and_validate(checks=CHECKS)


def test_every_operation_is_its_own_test():
    ids = [op.label for op in OPERATIONS]
    assert len(ids) >= 10 and len(set(ids)) == len(ids)
