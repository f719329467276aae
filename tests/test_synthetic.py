"""Synthetic partner data: marking, determinism, calibration, and reading it back."""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from geodata.errors import MissingColumnsError
from geodata.gias import read_gias
from geodata.hospital import HOSPITAL_COLUMNS, is_assault_code, read_hospital_admissions
from geodata.schools import (
    PUPIL_EXCLUSION_COLUMNS,
    exclusion_rates,
    read_la_exclusions,
    read_pupil_exclusions,
)
from geodata.synthetic import write_partner_csv
from geodata.synthetic_exclusions import SCHOOL_AGE_FRACTION_OF_0_15, synth_pupil_exclusions
from geodata.synthetic_hospital import DEFAULT_VIOLENCE_RATE_COL, synth_hospital_admissions

WM_LAS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
WM_DISTRICTS = [f"E0800002{i}" for i in range(5, 10)] + ["E08000030", "E08000031"]
SEED = 20261121


@pytest.fixture(scope="module")
def lsoa(shared_data: Path) -> pd.DataFrame:
    """West Midlands LSOA21 frame: district, Census 2021 young population, IoD2025 violence."""
    lookup = pd.read_csv(
        shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz",
        usecols=["lsoa21_code", "ltla24_code"],
    )
    frame = lookup[lookup["ltla24_code"].isin(WM_DISTRICTS)].rename(
        columns={"ltla24_code": "district_code"}
    )
    pop = pd.read_csv(
        shared_data / "population" / "census21_usual_residents_by_agegroup_lsoa21.csv.gz"
    )
    pop = pop[pop["lsoa21_code"].isin(frame["lsoa21_code"])]
    wide = pop.pivot_table(index="lsoa21_code", columns="age_group", values="usual_residents")
    frame["pop_0_15"] = frame["lsoa21_code"].map(wide["Aged 15 years and under"])
    frame["pop_16_24"] = frame["lsoa21_code"].map(wide["Aged 16 to 24 years"])
    frame["pop_0_24"] = frame["pop_0_15"] + frame["pop_16_24"]
    iod = pd.read_csv(
        shared_data / "deprivation" / "iod2025" / "imd2025_england_lsoa21_indicators.csv.gz",
        usecols=["lsoa21_code", DEFAULT_VIOLENCE_RATE_COL],
    )
    frame = frame.merge(iod, on="lsoa21_code", how="left")
    assert len(frame) == 1719 and frame.notna().all().all()
    return frame


@pytest.fixture(scope="module")
def postcodes(lsoa: pd.DataFrame) -> pd.DataFrame:
    """Two made-up live postcodes per LSOA, plus a terminated and a large-user one (unused)."""
    letters = string.ascii_uppercase
    rows = []
    for i, code in enumerate(lsoa["lsoa21_code"]):
        outward, sector = f"ZZ{i % 99 + 1}", (i // 99) % 10
        kinds = (("live", 0), ("live", 0), ("terminated", 0), ("live", 1))
        for j, (status, usertype) in enumerate(kinds):
            pc = f"{outward} {sector}{letters[(i // 990) % 26]}{letters[j]}"
            rows.append((pc, code, status, usertype))
    return pd.DataFrame(rows, columns=["postcode", "lsoa21_code", "status", "usertype"])


@pytest.fixture(scope="module")
def la_rates(shared_data: Path) -> pd.DataFrame:
    folder = shared_data / "schools" / "exclusions_la"
    excl = read_la_exclusions(folder / "clean_la_data.csv.gz", la_names=WM_LAS)
    return exclusion_rates(excl.data, dict(zip(WM_LAS, WM_DISTRICTS, strict=True)))


@pytest.fixture(scope="module")
def hospital(lsoa, postcodes) -> pd.DataFrame:
    return synth_hospital_admissions(lsoa, postcodes, seed=SEED)


@pytest.fixture(scope="module")
def exclusions(lsoa, postcodes, la_rates) -> pd.DataFrame:
    return synth_pupil_exclusions(lsoa, postcodes, la_rates, seed=SEED)


@pytest.fixture(scope="module")
def hospital_read(hospital, tmp_path_factory):
    path = tmp_path_factory.mktemp("hospital") / "admissions.csv"
    csv, sidecar = write_partner_csv(hospital, path)
    return read_hospital_admissions(csv), sidecar


@pytest.fixture(scope="module")
def exclusions_read(exclusions, tmp_path_factory):
    path = tmp_path_factory.mktemp("exclusions") / "exclusions.csv.gz"
    csv, sidecar = write_partner_csv(exclusions, path)
    return read_pupil_exclusions(csv), sidecar


# ------------------------------------------------------------------------------ marking


@pytest.mark.parametrize("which", ["hospital", "exclusions"])
@pytest.mark.slow
def test_frames_are_marked_synthetic(which, request):
    frame = request.getfixturevalue(which)
    schema = HOSPITAL_COLUMNS if which == "hospital" else PUPIL_EXCLUSION_COLUMNS
    assert list(frame.columns) == [*schema, "synthetic"]
    assert frame["synthetic"].all()
    assert frame.attrs["synthetic"] is True
    assert frame.attrs["seed"] == SEED
    assert frame["record_id"].str.startswith("SYN-").all()
    assert frame["record_id"].is_unique


def test_same_seed_same_output(lsoa, postcodes, la_rates, hospital, exclusions):
    again = synth_hospital_admissions(lsoa, postcodes, seed=SEED)
    pd.testing.assert_frame_equal(again, hospital)
    assert again.attrs == hospital.attrs
    shuffled = lsoa.sample(frac=1, random_state=3)  # input order does not matter
    pd.testing.assert_frame_equal(synth_hospital_admissions(shuffled, postcodes, seed=SEED), again)
    pd.testing.assert_frame_equal(
        synth_pupil_exclusions(lsoa, postcodes, la_rates, seed=SEED), exclusions
    )
    other = synth_hospital_admissions(lsoa, postcodes, seed=SEED + 1)
    assert not other.equals(hospital)


def test_postcodes_are_live_and_inside_the_lsoa(hospital, exclusions, postcodes):
    live = postcodes[(postcodes["status"] == "live") & (postcodes["usertype"] == 0)]
    pairs = set(zip(live["postcode"], live["lsoa21_code"], strict=True))
    for pc, code in zip(hospital["postcode"], hospital["lsoa_code"], strict=True):
        assert (pc, code) in pairs
    got = exclusions[exclusions["home_postcode"] != ""]
    assert set(zip(got["home_postcode"], got["home_lsoa"], strict=True)) <= pairs


# ------------------------------------------------------------------------------ hospital


def test_hospital_round_trip_rejects_exactly_the_injected_rows(hospital, hospital_read):
    out, sidecar = hospital_read
    assert dict(out.report.rejected) == hospital.attrs["injected"]
    assert hospital.attrs["injected"] == {"cause outside X85-Y09": 6, "invalid admission date": 4}
    assert out.report.rows_kept == len(hospital) - 10
    assert out.data.attrs["synthetic"] is True and out.data["synthetic"].all()
    meta = json.loads(sidecar.read_text())
    assert meta["synthetic"] is True and meta["label"].startswith("SYNTHETIC DATA")
    assert meta["seed"] == SEED and meta["rows"] == len(hospital)
    assert meta["schema"] == "hospital_admissions"
    assert any("Fingertips" in s for s in meta["calibration"]["sources"])
    csv = sidecar.with_name(sidecar.name.removesuffix(".synthetic.json"))
    assert meta["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert csv.read_text().splitlines()[0] == ",".join([*HOSPITAL_COLUMNS, "synthetic"])


def test_hospital_totals_match_the_assumed_rate(hospital, lsoa, hospital_read):
    data = hospital_read[0].data
    under25 = data[data["age"] < 25]
    expected = 0.6 / 1000 * 3 * lsoa["pop_0_24"].sum()
    assert hospital.attrs["calibration"]["expected_under25_total"] == pytest.approx(expected)
    assert abs(len(under25) - expected) < 4 * np.sqrt(expected)  # Poisson total
    share_adult = (data["age"] >= 25).mean()
    assert 0.55 < share_adult < 0.65
    assert (under25["age"] >= 10).mean() > 0.95  # mostly 10-24
    years = data["admission_date"].dt.to_period("Y-MAR").astype(str)
    assert sorted(years.unique()) == ["2022", "2023", "2024"]  # three financial years


def test_hospital_concentrates_where_violence_is_high(hospital_read, lsoa):
    data = hospital_read[0].data
    per_lsoa = data[data["age"] < 25].groupby("lsoa_code").size()
    counts = per_lsoa.reindex(lsoa["lsoa21_code"]).fillna(0).to_numpy()
    rho, p = spearmanr(counts, lsoa[DEFAULT_VIOLENCE_RATE_COL])
    assert rho > 0.3 and p < 1e-10
    rate = counts / lsoa["pop_0_24"].to_numpy()
    top = lsoa[DEFAULT_VIOLENCE_RATE_COL] >= lsoa[DEFAULT_VIOLENCE_RATE_COL].quantile(0.9)
    bottom = lsoa[DEFAULT_VIOLENCE_RATE_COL] <= lsoa[DEFAULT_VIOLENCE_RATE_COL].quantile(0.1)
    assert rate[top.to_numpy()].mean() > 3 * rate[bottom.to_numpy()].mean()


def test_hospital_cause_mix(hospital_read):
    data = hospital_read[0].data
    assert data["icd10_cause"].map(is_assault_code).all()
    mix = data["icd10_category"].value_counts(normalize=True)
    assert mix.index[0] == "Y04" and 0.45 < mix["Y04"] < 0.55
    assert {"X99", "Y00", "Y09"} <= set(mix.index[:5])
    assert data["mechanism_derived"].between(0, 1).all()
    assert 0.4 < data["mechanism_derived"].mean() < 0.6  # half left blank on purpose


# ------------------------------------------------------------------------------ exclusions


def test_exclusions_calibrated_to_la_rates(exclusions_read, lsoa, la_rates):
    data = exclusions_read[0].data
    district = data["home_lsoa"].map(lsoa.set_index("lsoa21_code")["district_code"])
    got = data.groupby([district, data["category"]]).size()
    school_age = lsoa.groupby("district_code")["pop_0_15"].sum() * SCHOOL_AGE_FRACTION_OF_0_15
    rates = la_rates.set_index("district_code")
    for d in WM_DISTRICTS:
        for category, col in (("permanent", "perm_rate"), ("suspension", "fixed_rate")):
            target = rates.loc[d, col] * school_age[d]
            assert abs(got[(d, category)] - target) <= max(0.03 * target, 1.0), (d, category)
    brum = got[("E08000025", "suspension")]
    assert 7000 < brum < 8000  # 4.29 % of about 175,500 resident 5-15 year olds


def test_exclusions_round_trip(exclusions, exclusions_read):
    out, sidecar = exclusions_read
    assert dict(out.report.rejected) == exclusions.attrs["injected"]
    assert sum(exclusions.attrs["injected"].values()) == 6
    assert out.data.attrs["synthetic"] is True
    assert json.loads(sidecar.read_text())["schema"] == "pupil_exclusions"
    assert set(out.data["category"]) == {"permanent", "suspension"}
    assert out.data["reason_recognised"].all()
    assert out.data["age"].between(5, 15).all()
    assert (out.data["date"].dt.day_of_week < 5).all()
    assert out.data["date"].min() >= pd.Timestamp("2016-09-01")
    assert out.data["date"].max() <= pd.Timestamp("2017-07-20")
    # other accepted spellings are used on purpose, so the reader's normalisation is exercised
    raw = exclusions["category"]
    assert raw.isin(["Fixed period", "Permanent exclusion"]).any()
    assert exclusions["reason"].isin(["PP", "PA"]).any()


def test_exclusions_school_urns(lsoa, postcodes, la_rates, shared_data):
    lookup = lsoa[["lsoa21_code", "district_code"]]
    gias = read_gias(
        shared_data / "schools" / "gias_open_state_and_independent_20250524_england.csv.gz",
        districts=WM_DISTRICTS,
        lsoa_lookup=lookup,
    ).data
    frame = synth_pupil_exclusions(lsoa, postcodes, la_rates, seed=1, schools=gias)
    frame = frame[frame["home_lsoa"] != ""]
    school = gias.set_index(gias["urn"].astype(str))
    chosen = school.loc[frame["school_urn"]]
    assert (
        chosen["district_code"].to_numpy()
        == frame["home_lsoa"].map(lookup.set_index("lsoa21_code")["district_code"]).to_numpy()
    ).all()
    primary_age = frame["age"].to_numpy() < 11
    assert chosen["education_phase"].str.contains("Primary").to_numpy()[primary_age].all()


# ------------------------------------------------------------------------------ errors


def test_bad_inputs(lsoa, postcodes, la_rates, tmp_path):
    with pytest.raises(MissingColumnsError, match=r"lsoa frame: missing column\(s\)"):
        synth_hospital_admissions(lsoa.drop(columns="district_code"), postcodes, seed=1)
    with pytest.raises(ValueError, match="no rates for district"):
        synth_pupil_exclusions(lsoa, postcodes, la_rates.iloc[1:], seed=1)
    with pytest.raises(TypeError, match="seed must be an int"):
        synth_hospital_admissions(lsoa, postcodes, seed="x")
    with pytest.raises(ValueError, match="neither partner schema"):
        write_partner_csv(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")
    real = pd.DataFrame(
        [["R1", "B1 1AA", "", "2022-01-01", 20, "M", "Y04", ""]], columns=list(HOSPITAL_COLUMNS)
    )
    csv, sidecar = write_partner_csv(real, tmp_path / "real.csv")
    assert sidecar is None and not Path(f"{csv}.synthetic.json").exists()
    assert read_hospital_admissions(csv).data.attrs["synthetic"] is False
