"""Benchmarks of the SNA risk mapper: ``python -m bench [name ...]`` (``make bench``).

Each module ``bench/bench_<name>.py`` has ``run() -> dict`` and writes
``bench/results/<name>.json`` with the machine it ran on (:mod:`bench.machine`). Workloads run
in a child process so that wall time includes a cold interpreter and the peak resident memory
is that of the workload alone: the child is reaped with :func:`os.wait4`, whose ``ru_maxrss``
is the child's own peak (``resource.getrusage(RUSAGE_CHILDREN)`` gives the same figure for a
parent with a single child).

Shared helpers: :func:`run_child` (timed, memory-measured child), :func:`write_result`,
:func:`target`, :func:`start_server` / :func:`stop_server` (a server pinned to CPU 0) and
:func:`http_load` (``wrk`` pinned to CPU 1, bounded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .machine import machine_info

__all__ = [
    "PROJECT_ROOT",
    "RESULTS_DIR",
    "ChildRun",
    "run_child",
    "write_result",
    "target",
    "free_port",
    "start_server",
    "stop_server",
    "http_load",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
_MARK = "BENCH_RESULT "


@dataclass
class ChildRun:
    """A finished child process: wall time, peak resident memory and its reported result."""

    seconds: float
    max_rss_mib: float
    returncode: int
    result: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""

    def check(self, what: str) -> ChildRun:
        """Raise ``RuntimeError`` with the child's stderr when it failed."""
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {self.returncode}):\n{self.stderr_tail}")
        return self


def run_child(
    code: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 1800.0,
    cpus: str | None = None,
) -> ChildRun:
    """Run ``python -c code`` in a fresh interpreter; time it and measure its peak memory.

    The child reports results by printing one line ``BENCH_RESULT {json}``. ``cpus`` pins it
    with ``taskset -c``. Peak memory is ``ru_maxrss`` of the reaped child (KiB on Linux).
    """
    cmd = [sys.executable, "-c", code]
    if cpus is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpus, *cmd]  # taskset execs: same pid
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=full_env, cwd=PROJECT_ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    result: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith(_MARK):
            result = json.loads(line[len(_MARK) :])
    return ChildRun(
        seconds=seconds,
        max_rss_mib=usage.ru_maxrss / 1024.0,
        returncode=proc.returncode,
        result=result,
        stderr_tail=stderr[-4000:],
    )


def target(value: float, limit: float, unit: str) -> dict[str, Any]:
    """``{"value", "target", "unit", "ok"}`` for a measurement that must stay under a limit."""
    return {"value": round(value, 3), "target": limit, "unit": unit, "ok": bool(value <= limit)}


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` with the machine details; return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    doc = {"benchmark": name, "machine": machine_info(), **payload}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path


# --- servers and load --------------------------------------------------------------------


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    args: list[str],
    *,
    port: int,
    ready_path: str = "/",
    cpus: str = "0",
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> subprocess.Popen:
    """Start a server (``args`` after ``python``) pinned to ``cpus``; wait until it answers."""
    cmd = [sys.executable, *args]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", cpus, *cmd]
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=log,
        env={**os.environ, **(env or {})},
        cwd=PROJECT_ROOT,
        start_new_session=True,
    )
    proc._bench_log = log  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}{ready_path}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status < 500:
                    return proc
        except Exception:
            time.sleep(0.2)
    log.seek(0)
    tail = log.read()[-3000:]
    stop_server(proc)
    raise RuntimeError(f"server {' '.join(args)} did not answer {url}:\n{tail}")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`start_server` (its own process group only)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log = getattr(proc, "_bench_log", None)
    if log is not None:
        log.close()


_WRK_LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
local done = 0
local max_requests = %(max_requests)d
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  done = done + 1
  if done >= max_requests then wrk.thread:stop() end
end
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not m:
        raise ValueError(f"cannot read a wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def http_load(
    port: int,
    paths: list[str],
    *,
    seconds: float = 5.0,
    connections: int = 16,
    max_requests: int = 200_000,
    cpus: str = "1",
    allow_empty: bool = False,
) -> dict[str, Any]:
    """Load ``paths`` (cycled) on ``127.0.0.1:port`` with ``wrk`` pinned to ``cpus``.

    Bounded twice: by ``seconds`` and by ``max_requests`` (the Lua script stops the thread; a
    run that reaches the cap is flagged ``capped`` and has no rate).
    Returns requests, requests per second, latency percentiles (ms) and non-2xx/socket errors.
    Raises ``RuntimeError`` when no request completed, unless ``allow_empty`` (a warm-up of a
    slow server).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        plist = Path(tmp) / "paths.txt"
        plist.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "paths.lua"
        script.write_text(_WRK_LUA % {"paths": plist, "max_requests": max_requests})
        cmd = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, int(seconds))}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", cpus, *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    res: dict[str, Any] = {"connections": connections, "seconds_max": seconds}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if not m:
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    res["requests"] = int(m.group(1))
    if res["requests"] == 0 and not allow_empty:
        raise RuntimeError(f"wrk completed no request:\n{out}")
    res["elapsed_s"] = _ms(m.group(2) + m.group(3)) / 1000.0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["requests_per_s"] = float(rps.group(1)) if rps else float("nan")
    # wrk reports the full duration even when the Lua script stopped the thread early, so a
    # capped run's rate is meaningless: flag it (raise max_requests to measure).
    res["capped"] = res["requests"] >= max_requests
    if res["capped"]:
        res["requests_per_s"] = float("nan")
    for pct in ("50", "90", "99"):
        p = re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", out, re.M)
        res[f"latency_p{pct}_ms"] = _ms(p.group(1)) if p else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors:\s+(.*)", out)
    res["socket_errors"] = sock.group(1).strip() if sock else ""
    return res
