"""A small nation with three VRU views, for the front-door tests (tests/test_front_door.py).

The nation is tests/test_views.py's (the West Midlands and Bedfordshire districts); its
views: the West Midlands (``wm-view``, built), Bedford with Central Bedfordshire
(``beds-view``, built) and Luton (``luton-view``, configured but not built, so a Luton
postcode answers with the nation's answer and a note). Builds are cached in the test data
directory like every other.
"""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_DATA_DIR, file_lock
from test_views import _configs

__all__ = ["VIEW_POSTCODES", "NATION", "front_door_nation", "view_configs"]

NATION = "test-nation"
#: A postcode in each view: (view id, postcode, district code)
VIEW_POSTCODES = {
    "wm-view": ("B1 1BB", "E08000025"),
    "beds-view": ("MK40 1TP", "E06000055"),
    "luton-view": ("LU1 1AA", "E06000032"),
}


def view_configs() -> dict[str, Path]:
    """The three view configs (written under the test data directory), by id."""
    national, wm = _configs()
    folder = national.parent
    out = {"wm-view": wm}
    for vid, name, vru, districts in (
        (
            "beds-view",
            "Bedford and Central Bedfordshire",
            "Bedfordshire Violence and Exploitation Reduction Unit",
            ["E06000055", "E06000056"],
        ),
        ("luton-view", "Luton", "", ["E06000032"]),
    ):
        path = folder / f"{vid}.toml"
        text = (
            f'[region]\nid = "{vid}"\nname = "{name}"\nvru = "{vru}"\n'
            f'view_of = "{national}"\ndistricts = {districts!r}\n'.replace("'", '"')
        )
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        out[vid] = path
    return out


def front_door_nation() -> tuple[Path, dict[str, Path]]:
    """The data directory holding the nation and its two built views (built when they have
    no published build; a served build need not be of this very code), and the configs."""
    from sna.build.pipeline import build_region
    from sna.builds.registry import current_target
    from sna.config.region import load_region

    national, _ = _configs()
    views = view_configs()
    with file_lock("build-wm-view"):
        for path in (national, views["wm-view"], views["beds-view"]):
            config = load_region(path)
            if current_target(config.id, TEST_DATA_DIR) is None:
                build_region(config, data_dir=TEST_DATA_DIR)
    return TEST_DATA_DIR, views
