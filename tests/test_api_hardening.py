"""Hardening: body limits, safe 422s, no paths, /ready back-off, headers, hosts, analyst access."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from build_fixture import REGION, make_fixture_build
from fastapi.testclient import TestClient
from pydantic import ValidationError
from serving import free_port, wait_ready

from api.app import create_app, uvicorn_config
from api.errors import public_detail, validation_errors
from api.settings import ApiSettings
from sna.builds.watcher import BuildWatcher

MB = 1_000_000


@pytest.fixture(scope="module")
def access_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("access") / "access.log"


@pytest.fixture(scope="module")
def live_server(fixture_build, access_log):
    """The fixture app under a real uvicorn server on a free loopback port."""
    import uvicorn

    settings = ApiSettings(
        region=REGION,
        data_dir=fixture_build,
        api_key="live-key",
        reload_interval=60,
        access_log_file=access_log,
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, timeout=30)
    yield base
    server.should_exit = True
    thread.join(10)


# --- request limits -----------------------------------------------------------------------


def test_50mb_body_is_refused_fast_without_stalling_health(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    size = 50 * MB
    head = (
        f"POST /api/v1/postcodes HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    chunk = b'{"postcodes": ["' + b"A" * (MB - 16)
    stop = threading.Event()
    health_times: list[float] = []

    def poll_health():
        with httpx.Client(base_url=live_server, timeout=5) as c:
            while not stop.is_set():
                t = time.perf_counter()
                assert c.get("/health").status_code == 200
                health_times.append(time.perf_counter() - t)

    poller = threading.Thread(target=poll_health)
    poller.start()
    while not health_times:
        time.sleep(0.01)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        t0 = time.perf_counter()
        sock.sendall(head)

        def send_body():
            try:
                for _ in range(50):
                    sock.sendall(chunk)
            except OSError:
                pass  # the server has answered and closed the connection

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        answer = sock.recv(65536)
        elapsed = time.perf_counter() - t0
        n_before = len(health_times)
        time.sleep(0.3)  # /health keeps answering while the client is still sending
    stop.set()
    poller.join(10)
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, answer[:200]
    assert elapsed < 0.1, f"413 took {elapsed * 1000:.0f} ms"
    assert len(answer) < 2000  # nothing of the body is echoed
    assert len(health_times) > n_before and max(health_times) < 0.5


def test_streamed_body_over_the_limit_is_refused(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build, max_body_bytes=4096))

    def body():
        yield b'{"postcodes": ["'
        for _ in range(100):
            yield b"A" * 1000
        yield b'"]}'

    with TestClient(app) as c:
        r = c.post(
            "/api/v1/postcodes", content=body(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        assert "4096" in r.json()["error"]
        ok = c.post("/api/v1/postcodes", json={"postcodes": ["B1 1AB"]})
        assert ok.status_code == 200


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_finite_numbers_give_422(client, literal):
    r = client.post(
        "/api/v1/postcodes",
        content=f'{{"postcodes": [{literal}]}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert r.json()["status"] == 422 and "body.postcodes.0:" in error
    assert "(got 'nan')" in error or "(got 'inf')" in error or "(got '-inf')" in error
    json.loads(r.text)  # strict JSON


def test_422_echoes_only_a_short_input(client):
    long_items = ["x" * 5000 for _ in range(100)]  # 500 kB: under the body limit
    r = client.post("/api/v1/postcodes", json={"postcodes": long_items})
    assert r.status_code == 422
    assert len(r.content) < 5000
    error = r.json()["error"]
    assert "x" * 40 + "...'" in error and "x" * 41 not in error
    assert "90 more errors" in error  # capped at 10 errors


def test_validation_errors_are_json_safe():
    errors = [
        {"type": "t", "loc": ("body", "x"), "msg": "bad", "input": float("nan")},
        {"type": "t", "loc": ("body",), "msg": "bad", "input": {"a": [1] * 10**5}},
        {"type": "t", "loc": ("body",), "msg": "bad", "input": 10**400},
    ]
    out = validation_errors(errors)
    json.dumps(out, allow_nan=False)
    assert [e["input"] for e in out[:2]] == ["nan", "an object with 1 key(s)"]
    assert len(out[2]["input"]) <= 40


# --- no paths or internals ----------------------------------------------------------------


def test_public_detail_strips_paths():
    assert public_detail("no build at /srv/data/wm/builds/current; run x") == (
        "no build at current; run x"
    )
    assert public_detail("ValueError: '/tmp/a/b/lsoa.parquet' is bad") == (
        "ValueError: 'lsoa.parquet' is bad"
    )
    assert public_detail("see https://example.org/a/b") == "see https://example.org/a/b"


def _broken_build(tmp_path: Path) -> Path:
    folder = make_fixture_build(tmp_path)
    (folder / "lsoa.parquet").write_bytes(b"not a parquet file")
    return folder


def test_failed_build_leaks_no_path(tmp_path):
    _broken_build(tmp_path)
    app = create_app(
        ApiSettings(region=REGION, data_dir=tmp_path, reload_interval=0, build_retry_seconds=60)
    )
    with TestClient(app) as c:
        watcher = app.state.watcher
        watcher.wait(30)
        assert watcher.last_error  # the log keeps the reason
        answers = [
            c.get("/ready"),
            c.get("/api/v1/postcodes/B1%201AB"),
            c.get("/api/v1/layers"),
            c.get("/api/v1/builds"),
            c.get("/api/v1/areas/E01000001"),
            c.post("/api/v1/postcodes", json={"postcodes": ["B1 1AB"]}),
        ]
        for r in answers:
            assert r.status_code == 503, (r.request.url, r.status_code)
            assert str(tmp_path) not in r.text and "/tmp" not in r.text, r.text
            assert "parquet" not in r.text.lower(), r.text  # nor the internal error
        assert "retrying in" in answers[0].json()["error"]


def test_ready_backs_off_from_a_failed_build(tmp_path):
    _broken_build(tmp_path)
    calls = []

    def loader(path):
        calls.append(path)
        raise OSError(f"cannot read {path}/lsoa.parquet")

    now = [1000.0]  # the watcher's clock: moved by the test, never by a slow machine
    watcher = BuildWatcher(
        REGION, tmp_path, interval=0, loader=loader, retry_after=30, clock=lambda: now[0]
    )
    app = create_app(ApiSettings(region=REGION, data_dir=tmp_path), watcher=watcher)
    with TestClient(app) as c:
        watcher.wait(10)
        for _ in range(25):
            r = c.get("/ready")
            assert r.status_code == 503 and str(tmp_path) not in r.text
            c.get("/api/v1/layers")
            now[0] += 1.0  # 25 s of probes, inside the 30 s period
        watcher.wait(10)
        assert len(calls) == 1  # one load per back-off period, however many probes
        now[0] += 5.1
        c.get("/ready")  # the period is over: one more try
        watcher.wait(10)
        for _ in range(10):
            c.get("/ready")
        assert len(calls) == 2


def test_unhandled_error_is_a_plain_500_with_headers(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build))

    @app.get("/boom")
    async def boom():
        raise RuntimeError(f"secret detail at {fixture_build}")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"status": 500, "error": "internal server error"}
    assert r.headers["x-content-type-options"] == "nosniff"


# --- headers, hosts, proxies --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/health", "/ready", "/api/v1/layers", "/api/v1/postcodes/ZZ99", "/nope", "/docs", "/"],
)
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "server" not in r.headers


def test_no_server_banner_and_headers_from_uvicorn(live_server):
    r = httpx.get(f"{live_server}/health")
    assert "server" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    bad = httpx.post(f"{live_server}/api/v1/postcodes", content=b"x" * (2 * MB))
    assert bad.status_code == 413 and "server" not in bad.headers


def test_untrusted_host_is_refused(fixture_build):
    app = create_app(
        ApiSettings(region=REGION, data_dir=fixture_build, trusted_hosts="maps.example.org")
    )
    with TestClient(app, base_url="http://maps.example.org") as c:
        assert c.get("/health").status_code == 200
        r = c.get("/static", headers={"host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 400
        assert "evil.example" not in r.headers.get("location", "")
        assert r.headers["x-content-type-options"] == "nosniff"
        ok = c.get("/static", follow_redirects=False)
        assert ok.headers["location"] == "/static/"  # relative: never the request's host
    app = create_app(
        ApiSettings(
            region=REGION,
            data_dir=fixture_build,
            trusted_hosts="maps.example.org",
            public_origin="https://maps.example.org",
        )
    )
    with TestClient(app, base_url="http://maps.example.org") as c:
        ok = c.get("/static", follow_redirects=False)
        assert ok.headers["location"] == "https://maps.example.org/static/"


@pytest.mark.parametrize(
    ("host", "served"),
    [
        (b"127.0.0.1", True),
        (b"127.0.0.1:8111", True),
        (b"LOCALHOST:8111", True),
        (b"maps.example.org:8443", True),
        (b"a.tiles.example.net", True),
        (b"127.0.0.1:9999", False),  # another port
        (b"127.0.0.1:8111@evil.com", False),  # userinfo
        (b"127.0.0.1:8111/../../", False),  # a path
        (b"evil.com@127.0.0.1", False),
        (b"127.0.0.1:", False),
        (b"127.0.0.1:8111:8111", False),
        (b"maps.example.org:8111x", False),
        (b"tiles.example.net", False),  # the wildcard is for sub-domains
        (b"", False),
    ],
)
def test_host_is_matched_exactly(host, served):
    from api.middleware import ExactHostMiddleware

    check = ExactHostMiddleware(
        None, ["localhost", "127.0.0.1", "maps.example.org:8443", "*.tiles.example.net"]
    )
    assert check.allowed(host, 8111) is served


def test_forged_hosts_get_400_from_the_server(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    for forged in (
        f"127.0.0.1:{port + 1}",
        f"127.0.0.1:{port}@evil.com",
        f"127.0.0.1:{port}/../../",
    ):
        r = httpx.get(f"{live_server}/health", headers={"host": forged})
        assert r.status_code == 400, forged
    r = httpx.get(f"{live_server}/static", follow_redirects=False)
    assert r.status_code in (301, 307) and r.headers["location"] == "/static/"


def test_forwarded_headers_trusted_only_from_configured_proxies(fixture_app, monkeypatch):
    import logging.config

    # uvicorn.Config applies its logging config at once: keep the live server's as it is
    monkeypatch.setattr(logging.config, "dictConfig", lambda config: None)
    none = uvicorn_config(fixture_app, "127.0.0.1", 8000, ApiSettings())
    assert none.proxy_headers is False and none.server_header is False
    assert none.limit_concurrency == 1024 and none.timeout_keep_alive == 5.0
    assert none.log_config["loggers"]["sna.api.access"]["handlers"] == ["sna_access"]
    assert none.log_config["handlers"]["sna_access"]["class"] == "logging.StreamHandler"
    proxied = uvicorn_config(
        fixture_app, "127.0.0.1", 8000, ApiSettings(forwarded_allow_ips="10.0.0.7, 10.0.0.8")
    )
    assert proxied.proxy_headers is True
    assert proxied.forwarded_allow_ips == "10.0.0.7,10.0.0.8"


def test_spoofed_forwarded_for_does_not_dodge_the_key_limit(live_server):
    with httpx.Client(base_url=live_server) as c:
        codes = [
            c.get(
                "/api/v1/analyst/areas/E01000001",
                headers={"x-api-key": "guess", "x-forwarded-for": f"10.1.1.{i}"},
            ).status_code
            for i in range(7)
        ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


def test_uvicorn_writes_the_access_log(live_server, access_log):
    with httpx.Client(base_url=live_server) as c:
        c.get("/api/v1/analyst/postcodes/B1%201AB", headers={"x-api-key": "live-key"})
        c.get("/health")
    lines = [json.loads(x) for x in access_log.read_text().splitlines()]
    assert lines and all(x["event"] == "analyst_access" for x in lines)
    assert lines[-1]["route"] == "/api/v1/analyst/postcodes/{postcode}"
    assert "live-key" not in access_log.read_text() and "B1" not in access_log.read_text()


# --- analyst access -----------------------------------------------------------------------


def test_failed_key_attempts_are_rate_limited(fixture_build):
    app = create_app(
        ApiSettings(
            region=REGION,
            data_dir=fixture_build,
            api_key="right",
            key_attempts=3,
            key_attempt_window=0.5,
        )
    )
    url = "/api/v1/analyst/areas/E01000001"
    with TestClient(app) as c:
        assert c.get(url, headers={"x-api-key": "right"}).status_code in (200, 404)
        codes = [c.get(url, headers={"x-api-key": "wrong"}).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        blocked = c.get(url, headers={"x-api-key": "other"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        # the correct key is never refused for the failures of others behind the same address
        assert c.get(url, headers={"x-api-key": "right"}).status_code in (200, 404)
        # no key guesses nothing: 401 (not 429) even while this client is refused
        missing = c.get(url)
        assert missing.status_code == 401 and "retry-after" not in missing.headers
        time.sleep(0.6)
        assert c.get(url, headers={"x-api-key": "wrong"}).status_code == 401


def test_a_correct_key_is_answered_after_100_wrong_ones(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build, api_key="right"))
    url = "/api/v1/analyst/areas/E01000001"
    with TestClient(app) as c:
        codes = {c.get(url, headers={"x-api-key": f"wrong-{i}"}).status_code for i in range(100)}
        assert codes == {401, 429}
        assert c.get(url, headers={"x-api-key": "right"}).status_code in (200, 404)


def test_key_id_is_salted_and_stable(fixture_build, tmp_path):
    import hashlib

    one = ApiSettings(region=REGION, data_dir=tmp_path, api_key="s3cret-key")
    unsalted = "k-" + hashlib.sha256(b"s3cret-key").hexdigest()[:8]
    assert one.key_id() != unsalted and one.key_id().startswith("k-")
    assert ApiSettings(region=REGION, data_dir=tmp_path, api_key="s3cret-key").key_id() == (
        one.key_id()
    )  # the salt is kept with the data, so ids agree across restarts and workers
    assert (tmp_path / ".key-id-salt").stat().st_mode & 0o077 == 0
    other = ApiSettings(region=REGION, data_dir=tmp_path / "elsewhere", api_key="s3cret-key")
    assert other.key_id() != one.key_id()


def test_analyst_access_log_has_no_values(fixture_build, caplog):
    settings = ApiSettings(region=REGION, data_dir=fixture_build, api_key="s3cret-key")
    app = create_app(settings)
    with TestClient(app) as c, caplog.at_level(logging.INFO, logger="sna.api.access"):
        code = c.get("/api/v1/areas?limit=1").json()["result"]["items"][0]["code"]
        c.get(f"/api/v1/analyst/areas/{code}", headers={"x-api-key": "s3cret-key"})
        c.get(f"/api/v1/analyst/areas/{code}", headers={"x-api-key": "nope"})
        c.get("/api/v1/analyst/postcodes/B1%201AB")
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sna.api.access"]
    assert len(records) == 3  # analyst routes only
    ok, bad, anon = records
    assert ok["key_id"] == settings.key_id() and ok["key_id"].startswith("k-")
    assert ok["route"] == "/api/v1/analyst/areas/{code}" and ok["status"] == 200
    assert bad["key_id"] == "invalid" and bad["status"] == 401
    assert anon["key_id"] is None and anon["route"] == "/api/v1/analyst/postcodes/{postcode}"
    assert {"time", "method", "ms"} <= set(ok)
    text = caplog.text
    assert code not in text and "s3cret-key" not in text and "nope" not in text
    assert "B1" not in text


def test_key_from_a_file(tmp_path, fixture_build):
    key_file = tmp_path / "key"
    key_file.write_text("from-file-key\n")
    settings = ApiSettings(region=REGION, data_dir=fixture_build, api_key_file=key_file)
    assert settings.api_key.get_secret_value() == "from-file-key"
    with TestClient(create_app(settings)) as c:
        url = "/api/v1/analyst/postcodes/B1%201AB"
        assert c.get(url, headers={"x-api-key": "from-file-key"}).status_code == 200
        assert c.get(url, headers={"x-api-key": "other"}).status_code == 401
    with pytest.raises(ValidationError, match="not both"):
        ApiSettings(api_key="a", api_key_file=key_file)
    with pytest.raises(ValidationError, match="cannot read the key file"):
        ApiSettings(api_key_file=tmp_path / "missing")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValidationError, match="empty"):
        ApiSettings(api_key_file=tmp_path / "empty")


def test_key_file_from_environment(tmp_path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("env-file-key")
    monkeypatch.delenv("SNA_API_KEY", raising=False)
    monkeypatch.setenv("SNA_API_KEY_FILE", str(key_file))
    assert ApiSettings().api_key.get_secret_value() == "env-file-key"


SAMPLES = {
    "postcode": "B1 1AB",
    "outcode": "B1",
    "code": "E01000001",
    "layer": "faith_access",
    "z": "14",
    "x": "8100",
    "y": "5400",
    "build_id": "20250101T000000Z",
}


def test_no_answer_carries_a_filesystem_path(fixture_build):
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build, api_key="walk-key"))
    with TestClient(app) as c:
        paths = c.get("/openapi.json").json()["paths"]
        seen = 0
        for template, ops in paths.items():
            if "get" not in ops:
                continue
            url = template
            for name, value in SAMPLES.items():
                url = url.replace("{" + name + "}", value)
            assert "{" not in url, template
            for query in ("", "?format=csv", "?format=geojson", "?q=B1"):
                r = c.get(url + query, headers={"x-api-key": "walk-key"})
                seen += 1
                assert str(fixture_build) not in r.text, (url, query)
                assert "/tmp/" not in r.text and "/work/" not in r.text, (url, query)
        assert seen > 40
