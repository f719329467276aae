"""The lookup's hot path (api.hot_path): the same answer as the full app, byte for byte and
header for header, and a 503 with Retry-After, not a queue, past the requests in flight."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import httpx
import pytest
from build_fixture import BUILD_ID, LIVE_POSTCODE, REGION
from fastapi.testclient import TestClient

from api.app import create_app
from api.hot_path import HotPath
from api.settings import ApiSettings

LOOKUP = "/api/v1/postcodes/" + quote(LIVE_POSTCODE)


class CountingApp:
    """The full app, counting the requests it is given (the hot path's are not)."""

    def __init__(self, app) -> None:
        self.app, self.calls = app, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


def _ready(c: TestClient) -> None:
    """Wait for the build to be loaded (the watcher loads it in the background)."""
    for _ in range(200):
        if c.get("/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError("the fixture build did not load")


def _both(settings: ApiSettings, path: str, headers: dict[str, str]):
    """The answer through the hot path, the full app's answer, and whether the full app
    was asked for the first."""
    app = create_app(settings)
    with TestClient(app) as c:
        _ready(c)
        hot = app.hot
        assert isinstance(hot, HotPath)
        full = hot.app = CountingApp(hot.app)
        via_hot = c.get(path, headers=headers)
        used_full = full.calls > 0
        again = c.get(path, headers=headers)  # from the answer cache, when kept
        assert (again.status_code, again.content) == (via_hot.status_code, via_hot.content)
        assert again.headers == via_hot.headers
        app.hot = None  # FastAPI's entry and the middleware alone
        via_full = c.get(path, headers=headers)
    return via_hot, via_full, used_full


@pytest.mark.parametrize(
    ("path", "headers", "hot"),
    [
        (LOOKUP, {"accept-encoding": "identity"}, True),
        ("/api/v1/postcodes/b11ab", {"accept-encoding": "identity"}, True),
        (LOOKUP, {"accept-encoding": "identity", "if-none-match": f'W/"{BUILD_ID}"'}, True),
        (LOOKUP, {"accept-encoding": "identity", "if-none-match": '"other", *'}, True),
        (LOOKUP, {"accept-encoding": "identity", "if-none-match": '"other"'}, True),
        (LOOKUP, {"accept-encoding": "gzip"}, True),
        (LOOKUP, {"accept-encoding": "gzip, deflate, br"}, True),
        (LOOKUP, {"accept-encoding": "gzip", "if-none-match": f'W/"{BUILD_ID}"'}, True),
        ("/api/v1/postcodes/ZZ99%209ZZ", {"accept-encoding": "identity"}, False),
        ("/api/v1/postcodes/not-a-postcode", {"accept-encoding": "identity"}, False),
        (LOOKUP, {"accept-encoding": "identity", "host": "evil.example"}, False),
        (LOOKUP, {"accept-encoding": "identity", "host": "testserver:1@evil"}, False),
        (LOOKUP, {"accept-encoding": "identity", "origin": "https://a.example"}, False),
        (LOOKUP + "/validate", {"accept-encoding": "identity"}, False),
    ],
    ids=[
        "plain",
        "spelling",
        "304",
        "304-star",
        "etag-other",
        "gzip",
        "gzip-browser",
        "gzip-304",
        "not-found",
        "invalid",
        "bad-host",
        "userinfo-host",
        "cors",
        "other-route",
    ],  # fmt: skip
)
def test_the_hot_path_answers_as_the_full_app(fixture_build, path, headers, hot):
    settings = ApiSettings(
        region=REGION,
        data_dir=fixture_build,
        reload_interval=60,
        cors_origins=["https://a.example"],
        trusted_hosts=["testserver"],
    )
    via_hot, via_full, used_full = _both(settings, path, headers)
    assert used_full is not hot  # answered where it should be
    assert via_hot.status_code == via_full.status_code
    assert via_hot.content == via_full.content
    assert list(via_hot.headers.items()) == list(via_full.headers.items())
    if hot and via_hot.status_code == 200:
        assert via_hot.json()["result"]["postcode"] == LIVE_POSTCODE
        assert via_hot.headers["etag"] == f'W/"{BUILD_ID}"'
        assert via_hot.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_without_cors_too(fixture_build, encoding):
    settings = ApiSettings(region=REGION, data_dir=fixture_build, reload_interval=60)
    via_hot, via_full, used_full = _both(settings, LOOKUP, {"accept-encoding": encoding})
    assert not used_full and via_hot.status_code == 200
    assert via_hot.content == via_full.content
    assert list(via_hot.headers.items()) == list(via_full.headers.items())
    assert via_hot.headers.get("content-encoding") == (None if encoding == "identity" else "gzip")


def test_head_and_a_body_go_to_the_full_app(fixture_build):
    settings = ApiSettings(region=REGION, data_dir=fixture_build, reload_interval=60)
    for method, extra in (("HEAD", {}), ("GET", {"content-length": "3"})):
        app = create_app(settings)
        with TestClient(app) as c:
            _ready(c)
            full = app.hot.app = CountingApp(app.hot.app)
            r = c.request(method, LOOKUP, headers=extra, content=b"abc" if extra else None)
        assert full.calls == 1 and r.status_code == 200


class HeldApp:
    """An app whose answers wait until released: requests in flight, on demand."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope, receive, send) -> None:
        self.entered += 1
        if scope["path"] not in ("/health", "/ready"):
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class NoBuild:
    build = None


def test_past_max_in_flight_the_answer_is_503_with_retry_after():
    async def run():
        held = HeldApp()
        hot = HotPath(
            held,
            NoBuild(),
            cache_control="public, max-age=60",
            trusted_hosts=["*"],
            cors=False,
            max_in_flight=2,
            retry_after=3,
        )
        transport = httpx.ASGITransport(app=hot)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            waiting = [asyncio.create_task(c.get(f"/api/v1/areas/{i}")) for i in range(2)]
            while held.entered < 2:
                await asyncio.sleep(0.001)
            busy = await c.get("/api/v1/areas/x")
            health = await c.get("/health")  # never refused
            held.release.set()
            done = [await t for t in waiting]
            after = await c.get("/api/v1/areas/y")  # room again
        return busy, health, done, after, hot.in_flight

    busy, health, done, after, left = asyncio.run(run())
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "3"
    assert busy.json() == {
        "status": 503,
        "error": "server busy: too many requests in flight, retry shortly",
    }
    assert busy.headers["x-content-type-options"] == "nosniff"
    assert health.status_code == 200
    assert [r.status_code for r in done] == [200, 200]
    assert after.status_code == 200 and left == 0


def test_max_in_flight_is_a_setting(monkeypatch, fixture_build):
    monkeypatch.setenv("SNA_API_MAX_IN_FLIGHT", "7")
    monkeypatch.setenv("SNA_API_BUSY_RETRY_SECONDS", "4")
    settings = ApiSettings(region=REGION, data_dir=fixture_build)
    assert settings.max_in_flight == 7 and settings.busy_retry_seconds == 4
    app = create_app(settings)
    with TestClient(app) as c:
        _ready(c)
        assert app.hot.max_in_flight == 7
        assert (b"retry-after", b"4") in app.hot._busy_start["headers"]


class CountingBuild:
    """A build whose reads are counted."""

    def __init__(self, build_id: str) -> None:
        self.build_id, self.reads = build_id, 0

    def postcode_json(self, postcode: str) -> bytes:
        self.reads += 1
        return b'{"postcode":"%s","pad":"%s"}' % (postcode.encode(), b"x" * 2000)


class OneBuild:
    def __init__(self, build) -> None:
        self.build = build

    def get(self):
        return self.build


def _caching_hot_path(watcher: OneBuild, answer_cache_bytes: int) -> HotPath:
    """A hot path over ``watcher``'s build with an answer cache, in front of a counting app."""
    return HotPath(
        CountingApp(None),
        watcher,
        cache_control="public, max-age=60",
        trusted_hosts=["*"],
        cors=False,
        max_in_flight=2,
        answer_cache_bytes=answer_cache_bytes,
    )


def test_a_postcode_asked_again_is_answered_from_the_cache_of_its_build():
    async def run():
        watcher = OneBuild(CountingBuild("build-1"))
        hot = _caching_hot_path(watcher, 5_000)  # two answers of about 2 KB
        transport = httpx.ASGITransport(app=hot)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            plain = "/api/v1/postcodes/"
            first = await c.get(plain + "A1", headers={"accept-encoding": "identity"})
            again = await c.get(plain + "A1", headers={"accept-encoding": "identity"})
            reads_after_two = watcher.build.reads
            zipped = await c.get(plain + "A1", headers={"accept-encoding": "gzip"})
            zipped_again = await c.get(plain + "A1", headers={"accept-encoding": "gzip"})
            size_with_gzip = hot.answers.size
            for other in ("B2", "C3"):  # past the bound: A1, the least recently used, goes
                await c.get(plain + other, headers={"accept-encoding": "identity"})
            reads_before = watcher.build.reads
            await c.get(plain + "A1", headers={"accept-encoding": "identity"})
            reads_evicted = watcher.build.reads - reads_before
            watcher.build = CountingBuild("build-2")  # a new build: nothing kept is served
            newer = await c.get(plain + "C3", headers={"accept-encoding": "identity"})
        return (
            first,
            again,
            reads_after_two,
            zipped,
            zipped_again,
            size_with_gzip,
            (reads_evicted, watcher.build.reads, newer, hot.answers),
        )

    first, again, reads, zipped, zipped_again, size, rest = asyncio.run(run())
    reads_evicted, new_reads, newer, cache = rest
    assert first.status_code == 200 and first.content == again.content
    assert first.json()["result"]["postcode"] == "A1"
    assert reads == 1, "the second ask is not read again"
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == zipped_again.content == first.content  # httpx unzips
    assert zipped.headers["content-length"] == zipped_again.headers["content-length"]
    assert size > len(first.content) + 2, "the gzip form is counted against the bound"
    assert reads_evicted == 1, "an answer dropped past the bound is read again"
    assert new_reads == 1 and newer.headers["etag"] == 'W/"build-2"'
    assert cache.validator == "build-2" and cache.size <= cache.max_bytes


def test_the_answer_cache_is_a_setting_and_0_turns_it_off(monkeypatch, fixture_build):
    settings = ApiSettings(region=REGION, data_dir=fixture_build)
    assert settings.answer_cache_mb == 16
    assert create_app(settings).hot.answers.max_bytes == 16 * 1024 * 1024
    monkeypatch.setenv("SNA_API_ANSWER_CACHE_MB", "0")
    app = create_app(ApiSettings(region=REGION, data_dir=fixture_build))
    assert app.hot.answers is None
    with TestClient(app) as c:
        _ready(c)
        assert c.get(LOOKUP).status_code == 200


def test_an_answer_with_a_member_made_at_request_time_is_kept_by_its_state():
    """The front door adds each national answer's VRU at request time, and it changes when
    a view is published within one national build: the cache keeps answers by the validator
    the ETag names (the build and the views served), so the old answer is not served after
    the publication, and the new one is kept again."""

    class FrontDoorBuild(CountingBuild):
        served = False

        def answer_state(self) -> str:
            return "served" if self.served else "none"

        def postcode_extra(self, body: bytes, code: str) -> bytes:
            return b'"served":%s' % (b"true" if self.served else b"false")

        def postcode_json(self, postcode: str) -> bytes:
            return super().postcode_json(postcode)[:-1] + b"," + self.postcode_extra(b"", "") + b"}"

    async def run():
        watcher = OneBuild(FrontDoorBuild("national-1"))
        hot = _caching_hot_path(watcher, 100_000)
        transport = httpx.ASGITransport(app=hot)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            before = await c.get("/api/v1/postcodes/A1")
            again = await c.get("/api/v1/postcodes/A1")
            reads_before = watcher.build.reads
            watcher.build.served = True  # a view published while serving
            after = await c.get("/api/v1/postcodes/A1")
            after_again = await c.get("/api/v1/postcodes/A1")
        return (
            [r.json()["result"]["served"] for r in (before, again, after, after_again)],
            [r.headers["etag"] for r in (before, after)],
            (reads_before, watcher.build.reads),
            hot.answers,
        )

    served, etags, reads, cache = asyncio.run(run())
    assert served == [False, False, True, True]
    assert etags == ['W/"national-1.none"', 'W/"national-1.served"']
    assert reads == (1, 2), "kept within one state, read again when it changes"
    assert cache.validator == "national-1.served" and len(cache) == 1
