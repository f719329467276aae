"""The hot path's answers, kept by size: a postcode asked again is answered without a read.

A lookup's answer is about 10 KB of JSON assembled from two indexed reads (the postcode's
head and its LSOA's part) and the support nearby; in a server that costs about 35
microseconds, as much as everything else the request does (``bench/README.md``). Gzip, which
every browser asks for, costs several times more. :class:`AnswerCache` keeps the finished
bodies, plain and gzipped, of the postcodes asked most recently, up to a fixed number of
bytes, for the current answers only. They are kept by the answers' validator
(:func:`api.answering.validator`, the ETag's value): the build id, and on a front door the
views it serves. A new build, or a view published on a front door, empties it, so an answer
is never older than what serves it.

What it holds is bounded and counted: ``SNA_API_ANSWER_CACHE_MB`` (default 16, ``0`` turns it
off), the bytes of the bodies and their keys; hits and misses are counted. The serving bench
measures both paths: its 1,000 postcodes asked over and over (hits once warm), and the same
with the cache off (``--answer-cache-mb 0``: every request a read).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["AnswerCache", "CachedAnswer"]


class CachedAnswer:
    """One postcode's finished body, and its gzip form once a client has asked for it."""

    __slots__ = ("key", "body", "gzipped")

    def __init__(self, key: str, body: bytes) -> None:
        self.key = key
        self.body = body
        self.gzipped: bytes | None = None


class AnswerCache:
    """Finished answers of one validator (a build, and its request-time state), least
    recently used dropped first past ``max_bytes``.

    Keys are the postcode as the path gave it (``"B1 1BB"`` and ``"b11bb"`` are two entries
    of one answer): normalising costs more than the lookup it would save. Not thread-safe,
    and need not be: only the event loop's hot path uses it.

    >>> cache = AnswerCache(max_bytes=10)  # counted: each key and body
    >>> _ = cache.put("build-1", "A", b"123456")
    >>> cache.get("build-1", "A").body
    b'123456'
    >>> _ = cache.put("build-1", "B", b"789")  # 7 + 4 > 10: A, the oldest, goes
    >>> cache.get("build-1", "A") is None, cache.size
    (True, 4)
    >>> cache.get("build-2", "B") is None, len(cache)  # a new validator empties it
    (True, 0)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(int(max_bytes), 0)
        self.validator: str | None = None
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, validator: str, key: str) -> CachedAnswer | None:
        """The answer kept for ``key`` under ``validator`` (None: not kept, or kept under
        another, which empties the cache)."""
        if validator != self.validator:
            self._reset(validator)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry

    def put(self, validator: str, key: str, body: bytes) -> CachedAnswer:
        """Keep ``body`` for ``key`` (dropping the least recently used past the bound)."""
        entry = CachedAnswer(key, body)
        if validator != self.validator:
            self._reset(validator)
        if len(body) > self.max_bytes:
            return entry  # larger than the whole cache: answered, not kept
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= self._bytes(old)
        self._entries[key] = entry
        self.size += len(key) + len(body)
        self._shrink()
        return entry

    def add_gzip(self, entry: CachedAnswer, gzipped: bytes) -> None:
        """Keep the gzip form of a kept answer (counted against the bound too)."""
        if entry.gzipped is not None:
            return
        entry.gzipped = gzipped
        if self._entries.get(entry.key) is entry:  # still kept (not dropped, same build)
            self.size += len(gzipped)
            self._shrink()

    def _shrink(self) -> None:
        while self.size > self.max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self.size -= self._bytes(dropped)

    @staticmethod
    def _bytes(entry: CachedAnswer) -> int:
        zipped = 0 if entry.gzipped is None else len(entry.gzipped)
        return len(entry.key) + len(entry.body) + zipped

    def _reset(self, validator: str) -> None:
        self._entries.clear()
        self.size = 0
        self.validator = validator
