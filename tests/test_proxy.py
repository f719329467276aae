"""``deploy/nginx.conf`` in front of a real server: slow and oversized clients are cut off at
the configured bounds while everyone else is answered at once.

uvicorn has no timeout for a request head or body that never finishes, so a deployment puts
nginx in front (README, "Deployment"). This starts the shipped file, with its ports, paths and
timeouts rewritten, before ``python -m api`` on the fixture build.
"""

from __future__ import annotations

import re
import resource
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from build_fixture import REGION
from serving import PROJECT_ROOT, free_port, served

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (.ci/run installs Debian's nginx-light)"
)
TIMEOUT_S = 2  # client_header_timeout and client_body_timeout in the test's copy
STALLED = 1000


def render(app_port: int, port: int, folder: Path) -> Path:
    """The shipped config with this test's ports, timeouts and writable paths."""
    text = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    text = re.sub(r"client_(header|body)_timeout \d+s;", rf"client_\1_timeout {TIMEOUT_S}s;", text)
    temp = folder / "temp"
    temp.mkdir(mode=0o777)
    temp.chmod(0o777)  # the workers may run as nobody
    paths = "".join(
        f"    {kind}_temp_path {temp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace("http {\n", "http {\n" + paths, 1)
    text = f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n" + text
    conf = folder / "nginx.conf"
    conf.write_text(text)
    return conf


@pytest.fixture(scope="module")
def proxied(fixture_build, tmp_path_factory) -> Iterator[tuple[str, int]]:
    """(base URL through nginx, nginx's port)."""
    folder = tmp_path_factory.mktemp("nginx")
    folder.chmod(0o755)
    port = free_port()
    env = {"SNA_API_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with served(REGION, fixture_build, env_extra=env) as base:
        app_port = int(base.rsplit(":", 1)[1])
        conf = render(app_port, port, folder)
        proc = subprocess.Popen(
            [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf),
             "-g", "daemon off;"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode(errors="replace"))
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not answer in 15 s")
                time.sleep(0.1)
            yield url, port
        finally:
            proc.terminate()
            proc.wait(10)


def _open_files(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def _stall(port: int, head: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(head)
    s.setblocking(False)
    return s


def _closed(s: socket.socket) -> bool:
    """Whether the server has closed (or reset) the connection; drains any answer."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_stalled_heads_and_bodies_are_cut_off_and_others_answered(proxied):
    url, port = proxied
    _open_files(4 * STALLED + 256)
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaa"
    body = (
        b"POST /api/v1/postcodes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"postcodes": ['
    )
    started = time.monotonic()
    stalled = [_stall(port, head) for _ in range(STALLED)]
    stalled += [_stall(port, body) for _ in range(STALLED)]
    opened = time.monotonic()
    try:
        # another address on the loopback: the per-client connection limit is not ours
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        times = []
        for _ in range(5):
            t = time.monotonic()
            r = other.get(f"{url}/health")
            times.append(time.monotonic() - t)
            assert r.status_code == 200
        assert statistics.median(times) < 0.05, times
        open_now = [s for s in stalled if not _closed(s)]
        assert len(open_now) > STALLED // 2  # the stalls were really held until the timeout
        deadline = started + TIMEOUT_S + (opened - started) + 3.0
        while open_now and time.monotonic() < deadline:
            time.sleep(0.2)
            open_now = [s for s in open_now if not _closed(s)]
        assert not open_now, f"{len(open_now)} stalled connections still open"
        assert other.get(f"{url}/health").status_code == 200
    finally:
        for s in stalled:
            s.close()


def test_a_megabyte_header_line_is_refused(proxied):
    url, _ = proxied
    r = httpx.get(f"{url}/health", headers={"x-big": "a" * 1_000_000})
    assert r.status_code in (400, 431, 494)
    assert httpx.get(f"{url}/health").status_code == 200


def test_the_app_behind_it_sees_the_client_and_its_host(proxied):
    url, _ = proxied
    r = httpx.get(f"{url}/static", follow_redirects=False)
    assert r.status_code in (301, 307) and r.headers["location"] == "/static/"
    assert "server" not in r.headers or "nginx/" not in r.headers["server"]
