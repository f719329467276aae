"""Builds whose answers say more than their own: a national build's postcode answers
name their VRU, a view's carry national ranks and say which VRU answers a postcode outside
it, and a view's LSOA tiles are cut from its nation's polygons (:mod:`api.front_door` sets
the hooks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sna.answers import BuildReader
from sna.answers.reader import TileProperties
from sna.errors import PostcodeNotFound

if TYPE_CHECKING:
    from sna.tiles.vector import AreaTiles

__all__ = ["AnsweringReader", "ViewTileProperties", "validator"]


class AnsweringReader(BuildReader):
    """A build whose postcode answers carry one member more, ``postcode_extra(answer,
    postcode)`` (its JSON bytes, ``"key":value``, or None), and whose "not found" may say
    where else the postcode is answered (``not_found_hint(postcode)``)."""

    postcode_extra: Callable[[bytes, str], bytes | None] | None = None
    not_found_hint: Callable[[str], str | None] | None = None
    #: what ``postcode_extra`` depends on besides the build, as a short text (the front
    #: door's served views; a view's national build): part of the answers' validator
    answer_state: Callable[[], str] | None = None

    def postcode_json(self, text: str, *, extra: bool = True) -> bytes:
        """The answer of :meth:`BuildReader.postcode_json`, with the extra member unless
        ``extra`` is false."""
        body = super().postcode_json(text)
        more = self.postcode_extra(body, text) if extra and self.postcode_extra else None
        return body[:-1] + b"," + more + b"}" if more else body

    def _not_found(self, code: str) -> PostcodeNotFound:
        hint = self.not_found_hint(code) if self.not_found_hint else None
        return PostcodeNotFound(hint) if hint else super()._not_found(code)

    #: ``(build) -> AreaTiles``: the LSOA tiles made another way (a view's, cut from its
    #: nation's polygons: :meth:`FrontDoor.view_tiles`)
    tiles_from: Callable[[BuildReader], AreaTiles] | None = None

    @property
    def area_tiles(self) -> AreaTiles:
        """The LSOA tiles (made on first use), by :attr:`tiles_from` when it is set."""
        if self.tiles_from is None:
            return super().area_tiles
        got = self.__dict__.get("_area_tiles")
        if got is None:
            with self._tiles_lock:
                got = self.__dict__.get("_area_tiles") or self.tiles_from(self)
                self.__dict__["_area_tiles"] = got
        return got


class ViewTileProperties(Sequence):
    """A view's tile attributes by its nation's LSOA positions (None for LSOAs not the
    view's), read from the view's build when a tile needs them."""

    def __init__(self, view: BuildReader, positions: dict[int, int]) -> None:
        self._own = TileProperties(view)
        self._positions = positions  # national position -> the view's
        self._n = len(positions)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, pos: int) -> dict[str, Any] | None:  # type: ignore[override]
        own = self._positions.get(int(pos))
        return None if own is None else self._own[own]


def validator(build: BuildReader) -> str:
    """The ETag value of a build's postcode answers: its build id, and the state of the member
    added at request time where there is one (a front door's answer names whether its VRU's view
    is served, which changes when a view is published within one national build; a
    revalidating browser must not be told its old answer still holds)."""
    state = getattr(build, "answer_state", None)
    return build.build_id if state is None else f"{build.build_id}.{state()}"
