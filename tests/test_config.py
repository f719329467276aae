from pathlib import Path

import pytest

from sna.config.region import LEVELS, available_regions, load_region
from sna.errors import ConfigError, LayerNotFound


def test_shipped_regions_load():
    assert {"west-midlands", "bedfordshire"} <= set(available_regions())
    wm = load_region("west-midlands")
    assert wm.region.districts == [f"E0800002{i}" for i in range(5, 10)] + [
        "E08000030",
        "E08000031",
    ]
    assert len(wm.region.la_names) == 7
    assert {layer.level for layer in wm.layers} == set(LEVELS)
    assert {layer.kind for layer in wm.layers} == {"risk", "protective"}
    # the IMD itself is never a layer: its crime domain would count crime twice
    assert not any(layer.column in {"imd_score", "crime_score"} for layer in wm.layers)
    beds = load_region("bedfordshire")
    assert beds.sources.police_uk is not None
    assert wm.fingerprint() != beds.fingerprint()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "area.toml"
    p.write_text(text)
    return p


def _base() -> str:
    src = Path(__file__).resolve().parents[1] / "geodata" / "regions" / "bedfordshire.toml"
    return src.read_text()


@pytest.mark.slow
def test_missing_region_names_the_file():
    with pytest.raises(ConfigError, match="nowhere.toml.*not found"):
        load_region("nowhere")


def test_invalid_toml_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="area.toml: invalid TOML"):
        load_region(_write(tmp_path, "[region\nid="))


def test_unknown_key_is_refused(tmp_path):
    text = _base().replace("[scoring]\n", "[scoring]\nnormalization = 'zscore'\n")
    with pytest.raises(ConfigError, match=r"scoring\.normalization: unknown key"):
        load_region(_write(tmp_path, text))


def test_bad_district_code_is_refused(tmp_path):
    text = _base().replace('"E06000055"', '"Bedford"')
    with pytest.raises(ConfigError, match="region.districts.*not GSS district codes"):
        load_region(_write(tmp_path, text))


def test_la_names_must_match_districts(tmp_path):
    text = _base().replace(
        'la_names = ["Bedford", "Central Bedfordshire", "Luton"]', 'la_names = ["Bedford"]'
    )
    with pytest.raises(ConfigError, match="la_names has 1 names for 3 districts"):
        load_region(_write(tmp_path, text))


def test_duplicate_layer_ids_and_bad_level_weights(tmp_path):
    text = _base().replace('id = "public_order"', 'id = "robbery_weapons"')
    with pytest.raises(ConfigError, match="layer ids repeat"):
        load_region(_write(tmp_path, text))
    text = _base().replace("community = 0.25", "neighbourhood = 0.25")
    with pytest.raises(ConfigError, match="unknown levels"):
        load_region(_write(tmp_path, text))


def test_new_area_by_configuration_alone(tmp_path):
    """A different VRU area is a TOML file: districts change, no code does."""
    text = (
        _base()
        .replace('id = "bedfordshire"', 'id = "luton-only"')
        .replace('districts = ["E06000055", "E06000056", "E06000032"]', 'districts = ["E06000032"]')
        .replace('la_names = ["Bedford", "Central Bedfordshire", "Luton"]', 'la_names = ["Luton"]')
    )
    cfg = load_region(_write(tmp_path, text))
    assert cfg.id == "luton-only" and cfg.region.districts == ["E06000032"]
    with pytest.raises(LayerNotFound, match="no layer 'nope'"):
        cfg.layer("nope")


def _beds_text() -> str:
    return (Path(__file__).resolve().parents[1] / "geodata/regions/bedfordshire.toml").read_text()


def test_measure_column_without_a_column_is_refused(tmp_path):
    text = _beds_text()
    i = text.index('measure = "column"')
    j = text.index("column = ", i)
    with pytest.raises(ConfigError) as err:
        load_region(_write(tmp_path, text[:j] + text[text.index("\n", j) + 1 :]))
    msg = str(err.value)
    assert msg.startswith(str(tmp_path / "area.toml"))
    assert "layers[" in msg and "measure 'column' needs a column name" in msg
    blank = text[:j] + 'column = "  "\n' + text[text.index("\n", j) + 1 :]
    with pytest.raises(ConfigError, match="needs a column name"):
        load_region(_write(tmp_path, blank))


def test_config_error_is_one_line_with_the_layer_id(tmp_path):
    text = _beds_text().replace('kind = "risk"', 'kind = "danger"', 1) + "\n[builds]\nkeep = 0\n"
    with pytest.raises(ConfigError) as err:
        load_region(_write(tmp_path, text))
    msg = str(err.value)
    assert "\n" not in msg
    assert "layers[0] (id 'hospital_assault_u25').kind:" in msg
    assert "builds.keep:" in msg


def test_builds_keep_defaults_and_is_not_in_the_fingerprint(tmp_path):
    beds = load_region("bedfordshire")
    assert beds.builds.keep == 5
    kept = load_region(_write(tmp_path, _beds_text() + "\n[builds]\nkeep = 2\n"))
    assert kept.builds.keep == 2 and kept.fingerprint() == beds.fingerprint()
