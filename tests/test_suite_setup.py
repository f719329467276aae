"""The suite's own machinery works: ``--dist loadgroup`` really keeps a group on one worker.

The partner-extract group shares six West Midlands builds (``tests/test_audit.py``); spread
over two workers, each builds them (240 s more of a CI run). pytest 9.2 with pytest-xdist 3.8
broke this silently (pytest-xdist#1386), hence the pin in ``pyproject.toml`` and this test.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("partner_extract")


def test_a_grouped_test_is_scheduled_by_its_group(request):
    if getattr(request.config.option, "loadgroup", False):  # a worker of --dist loadgroup
        assert request.node.nodeid.endswith("@partner_extract"), (
            "xdist ignored this test's xdist_group: its group's fixtures are built once per "
            "worker (pytest-xdist#1386: pin pytest<9.2)"
        )
    else:
        assert request.node.nodeid == "tests/test_suite_setup.py::" + request.node.name
