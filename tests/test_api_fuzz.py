"""Schema fuzzing with schemathesis, every check (``--checks all``): no input gives a 500,
every answer matches the schema its route declares (status, content type, headers, body),
schema-valid input is accepted and schema-invalid input refused. No check is relaxed and no
case excepted: what the schema says an operation takes is what it takes.

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
# every registered check, as ``--checks all`` (loading the OpenAPI schema registers them)
ALL_CHECKS = list(CHECKS.get_all())

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
