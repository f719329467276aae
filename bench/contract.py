"""The API contract, checked from outside: schemathesis against a running ``sna serve``.

Every check (``--checks all``), positive and negative data (``--mode all``), every phase
(examples, coverage, fuzzing, stateful), against the West Midlands build, with the analyst
key configured and sent. Nothing is excepted: no check is excluded and no status is
allowed beyond schemathesis's defaults. Passes when at least ``--min-cases`` cases ran
and none failed. Results (cases, failures, the command, the machine): ``bench/results/
contract.json``; the JUnit report beside it is not kept.

The build is the one the tests use (``tests/conftest.py`` builds it under ``data/_test``
when a slow test first needs it; ``sna build --region west-midlands --data-dir
data/_test`` makes it by hand).

Usage::

    .venv/bin/python -m bench.contract [--region west-midlands] [--data-dir data/_test]
        [--max-examples 100] [--min-cases 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.bench_api import ROOT, free_port, machine, stop
from bench.bench_serving import sna_serve

RESULTS = ROOT / "bench" / "results" / "contract.json"
KEY = "contract-check-key"


def junit_counts(path: Path) -> dict[str, int]:
    """Test cases (operations x phases), failures and errors of a schemathesis JUnit file."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    out = {"testcases": 0, "failures": 0, "errors": 0}
    for s in suites:
        out["testcases"] += int(s.get("tests", 0))
        out["failures"] += int(s.get("failures", 0))
        out["errors"] += int(s.get("errors", 0))
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--region", default="west-midlands")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "_test")
    p.add_argument("--max-examples", type=int, default=100)
    p.add_argument("--min-cases", type=int, default=3000)
    p.add_argument("--seed", type=int, default=20261207)
    args = p.parse_args(argv)
    port = free_port()
    os.environ["SNA_API_KEY"] = KEY  # the server's analyst key (sna serve reads it)
    server = sna_serve(args.region, args.data_dir, port)
    base = f"http://127.0.0.1:{port}"
    st = Path(sys.executable).with_name("schemathesis")
    cmd = [
        str(st), "run", f"{base}/openapi.json",
        "--checks", "all", "--mode", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(args.max_examples), "--seed", str(args.seed),
        "--header", f"X-API-Key: {KEY}",
        "--continue-on-failure", "--workers", "1",
    ]  # fmt: skip
    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            junit = Path(tmp) / "junit.xml"
            out = subprocess.run(
                [*cmd, "--report", "junit", "--report-junit-path", str(junit)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            counts = junit_counts(junit) if junit.exists() else {}
    finally:
        stop(server)
    text = out.stdout + out.stderr
    cases = _number(r"Test cases:\s*\n?\s*(\d+) generated", text)
    start = text.find("FAILURES")
    summary = text[start if start >= 0 else text.rfind("SUMMARY") :]
    results = {
        "benchmark": "contract",
        "machine": machine(),
        "region": args.region,
        "command": " ".join(cmd)
        .replace(base, "http://127.0.0.1:PORT")
        .replace(str(ROOT) + "/", ""),
        "exit_code": out.returncode,
        "cases": cases,
        "junit": counts,
        "seconds": round(time.perf_counter() - t0, 1),
        "summary": summary.strip().splitlines()[-80:],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    results["passed"] = out.returncode == 0 and (cases or 0) >= args.min_cases
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    print(json.dumps({k: results[k] for k in ("cases", "exit_code", "passed", "seconds")}))
    return results


def _number(pattern: str, text: str) -> int | None:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


if __name__ == "__main__":
    sys.exit(0 if main()["passed"] else 1)
