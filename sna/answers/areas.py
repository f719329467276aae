"""Area answers: one body per LSOA, ward and district, and the rows of the priority lists.

Every value comes from the public tables (:func:`sna.disclosure.public_tables.public_lsoa_table` and
:func:`sna.answers.groups.public_aggregate`), so partner counts and exact partner rates never
appear; partner layers show quintile bands only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from sna.answers._json import num, to_int, to_str, wrap
from sna.answers.schema import AREA_LEVELS
from sna.answers.words import driver, drivers_from_json, drivers_sentence, violence_drivers
from sna.config.region import LEVELS
from sna.needs.scoring import INDICES
from sna.stats.uncertainty import INTERVAL_LEVEL
from sna.wording import (
    VIOLENCE_DECIMALS,
    index_summary,
    interval_words,
    recorded_words,
    violence_summary,
)

if TYPE_CHECKING:
    from sna.answers.context import BuildContext

__all__ = [
    "AREA_LEVELS",
    "INDEX_TITLES",
    "VIOLENCE_TITLE",
    "VIOLENCE_MEASURES",
    "VIOLENCE_UNIT",
    "INDEX_UNIT",
    "AreaAnswers",
    "area_answers",
]

INDEX_TITLES = {
    "risk": "Risk factors (residents)",
    "protective": "Protective access (residents)",
    "need": "Needs index: where residents carry the risk factors",
}
VIOLENCE_TITLE = "Violence risk"
VIOLENCE_MEASURES = (
    "Violence and sexual offences expected to be recorded here in the next 12 months "
    "(fitted to past recorded crime and the area's risk and protective factors)"
)
VIOLENCE_UNIT = "offences a year"
INDEX_UNIT = "standardised score (0 = regional average)"


@dataclass
class AreaAnswers:
    """Every area answer of a build, ready to store.

    ``bodies``: code -> (level, name, JSON bytes); ``rows``: level -> list rows as JSON bytes
    in build order, with the columns the list sorts and filters on; ``restricted``: code ->
    the analyst-only per-layer values.
    """

    bodies: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    restricted: dict[str, dict[str, Any]] = field(default_factory=dict)


def _index_block(
    row: dict[str, Any], n: int, interval: bool, what: str = "neighbourhoods"
) -> dict[str, Any]:
    out = {}
    for k in INDICES:
        item = {
            "title": INDEX_TITLES[k],
            "value": num(row.get(k)),
            "unit": INDEX_UNIT,
            "rank": to_int(row.get(f"{k}_rank")),
            "of": n,
            "decile": to_int(row.get(f"{k}_decile")),
            "band": to_str(row.get(f"{k}_band")),
            "rank_interval": None,
            "p_top_decile": None,
        }
        if interval and f"{k}_rank_lo" in row:
            item["rank_interval"] = {
                "lo": to_int(row.get(f"{k}_rank_lo")),
                "median": to_int(row.get(f"{k}_rank_median")),
                "hi": to_int(row.get(f"{k}_rank_hi")),
                "level": INTERVAL_LEVEL,
            }
            item["p_top_decile"] = num(row.get(f"{k}_p_top_decile"), 3)
        ri = item["rank_interval"]
        standing = index_summary(item["band"], item["rank"], n, kind=k, what=what)
        item["in_words"] = {
            "summary": standing,
            "standing": standing,
            "uncertainty": interval_words(ri["lo"], ri["hi"], n, what=what) if ri else None,
        }
        out[k] = item
    return out


def _violence_block(
    ctx: BuildContext, row: dict[str, Any], level: str, n: int
) -> dict[str, Any] | None:
    """Violence risk of an area: expected offences, interval, rank, drivers, sentence."""
    e = num(row.get("violence_risk"), VIOLENCE_DECIMALS)
    if e is None or level not in ctx.violence_means:
        return None
    mean_e = ctx.violence_means[level][0]
    prior = num(row.get("violence_prior"), 1)
    interval = None
    if "violence_risk_lo" in row and num(row.get("violence_risk_lo")) is not None:
        interval = {
            "lo": num(row.get("violence_risk_lo"), 1),
            "hi": num(row.get("violence_risk_hi"), 1),
            "level": INTERVAL_LEVEL,
        }
    rank_interval, p_top = None, None
    if "violence_risk_rank_lo" in row:
        rank_interval = {
            "lo": to_int(row.get("violence_risk_rank_lo")),
            "median": to_int(row.get("violence_risk_rank_median")),
            "hi": to_int(row.get("violence_risk_rank_hi")),
            "level": INTERVAL_LEVEL,
        }
        p_top = num(row.get("violence_risk_p_top_decile"), 3)
    ratio = e / mean_e if mean_e > 0 else None
    what = {"lsoa": "neighbourhoods", "ward": "wards", "district": "districts"}[level]
    rank = to_int(row.get("violence_risk_rank"))
    band = to_str(row.get("violence_risk_band"))
    summary = violence_summary(
        expected=e,
        interval=(interval["lo"], interval["hi"]) if interval else None,
        ratio=ratio,
        region=ctx.region_name,
        what=what,
    )
    explanation = to_str(row.get("violence_risk_explanation")) or summary
    in_words = {
        "summary": summary,
        "standing": index_summary(band, rank, n, kind="violence_risk", what=what),
        "uncertainty": (
            interval_words(rank_interval["lo"], rank_interval["hi"], n, what=what)
            if rank_interval
            else None
        ),
        "recorded": recorded_words(prior, ctx.violence_period, ctx.violence_estimated),
    }
    return {
        "title": VIOLENCE_TITLE,
        "measures": VIOLENCE_MEASURES,
        "unit": VIOLENCE_UNIT,
        "value": e,
        "interval": interval,
        "recorded_last_year": prior,
        "recorded_provenance": "estimated" if ctx.violence_estimated else "recorded",
        "provenance": {
            "value": "forecast",
            "recorded_last_year": "estimated" if ctx.violence_estimated else "recorded",
            "recorded_period": ctx.violence_period,
            "recorded_source": ctx.violence_source,
        },
        "regional_mean": num(mean_e, 1),
        "ratio_to_regional_mean": num(ratio, 2),
        "rank": rank,
        "of": n,
        "decile": to_int(row.get("violence_risk_decile")),
        "band": band,
        "rank_interval": rank_interval,
        "p_top_decile": p_top,
        "drivers": violence_drivers(row.get("violence_risk_drivers")),
        "explanation": explanation,
        "in_words": in_words,
    }


def place(ctx: BuildContext, r: dict[str, Any]) -> dict[str, Any]:
    """A neighbourhood's human name: the House of Commons Library name of its MSOA
    ("Central"), with ward and district; the ONS name where the Library gives none."""
    hcl = ctx.msoa_names.get(to_str(r.get("msoa21_code")) or "")
    name = hcl or to_str(r.get("msoa21_name")) or to_str(r.get("lsoa21_name"))
    ward, district = to_str(r.get("ward_name")), to_str(r.get("district_name"))
    words = ", ".join(x for x in (name, f"{ward} ward" if ward else None, district) if x)
    return {"name": name, "in_words": words}


def _top_drivers(ctx: BuildContext, row: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
    """The contributions that explain where a ward or district sits: above the regional
    average (need >= 0) the largest positive ones, below it the most negative ones."""
    contrib = {
        s.id: float(row[f"c_{s.id}"])
        for s in ctx.specs
        if f"c_{s.id}" in row and num(row[f"c_{s.id}"]) is not None
    }
    sign = 1.0 if (num(row.get("need")) or 0.0) >= 0 else -1.0
    top = sorted(contrib.items(), key=lambda kv: -sign * kv[1])[:n]
    picked = [(lid, c) for lid, c in top if sign * c > 0] or top[:1]
    return [driver(lid, c, ctx.meta_by_id, ctx.synthetic) for lid, c in picked]


def _layer_values(ctx: BuildContext, row: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for s in ctx.specs:
        lid = s.id
        out.append(
            {
                "id": lid,
                "title": s.title,
                "kind": s.kind,
                "level": s.level,
                "partner": s.partner,
                "synthetic": lid in ctx.synthetic,
                "value": None if s.partner else num(row.get(f"v_{lid}")),
                "band": to_str(row.get(f"band_{lid}")) if s.partner else None,
                "score": num(row.get(f"s_{lid}")),
                "contribution": num(row.get(f"c_{lid}")),
                "national_decile": None if s.partner else to_int(row.get(f"nd_{lid}")),
                "count": None if s.partner else num(row.get(f"n_{lid}"), 2),
                "unit": s.display_unit,
                "geography": s.geography_words or None,  # a coarse layer says where and when
                "in_index": num(row.get(f"c_{lid}")) is not None,  # moves the needs index
                "region_value": None if s.partner else num(ctx.layer_region_values.get(lid)),
            }
        )
        out[-1]["in_words"] = layer_words(out[-1], ctx.region_name)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.2f}" if abs(x) < 10 else f"{x:,.1f}"


def layer_words(item: dict[str, Any], region: str) -> dict[str, str]:
    """A layer's value with its unit and its one comparison, as the panel shows them."""
    if item["partner"]:
        value = f"{item['band']} band (partner data: bands only)" if item["band"] else "–"
    else:
        value = "–" if item["value"] is None else f"{_fmt(item['value'])} {item['unit']}"
    cmp = []
    if item.get("region_value") is not None:
        cmp.append(f"{region} average {_fmt(item['region_value'])}")
    score = item.get("score")
    if score is not None:
        side = "above" if score > 0 else "below"
        cmp.append(
            "about the regional average"
            if abs(score) < 0.25
            else f"well {side} the regional average"
            if abs(score) >= 1
            else f"{side} the regional average"
        )
    if item.get("national_decile") is not None:
        cmp.append(
            f"England decile {item['national_decile']} of 10 (1 = most deprived 10% of "
            "England's neighbourhoods)"
        )
    return {"value": value, "comparison": "; ".join(cmp) or "no comparison available"}


def difference(value: Any, mean: float) -> float | None:
    """``value - mean``, rounded; None when ``value`` is missing (0.0 is a value)."""
    return None if num(value) is None else num(float(value) - mean)


def _comparison(ctx: BuildContext, row: dict[str, Any], level: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if level != "district":
        d = ctx.district_rows.get(row.get("district_code"))
        if d is not None:
            out["district"] = {
                "code": d["code"],
                "name": to_str(d.get("district_name")),
                **{k: num(d.get(k)) for k in INDICES},
            }
    out["region"] = {
        "code": ctx.region,
        "name": ctx.region_name,
        **{k: num(v) for k, v in ctx.region_means.items()},
    }
    out["difference_from_region"] = {
        k: difference(row.get(k), ctx.region_means[k]) for k in INDICES
    }
    return out


def _raising(drivers: list[dict[str, Any]], key: str, test: Any) -> str:
    return "; ".join(d[key] for d in drivers if test(d))


def _list_row(ctx: BuildContext, r: dict, level: str, code: str, body: dict) -> dict[str, Any]:
    """One row of the area list: each index with what drives it, under its own name, so a
    list sorted by violence risk is explained by violence risk's drivers (the list answer's
    ``sorted_by`` names the columns)."""
    row: dict[str, Any] = {
        "code": code,
        "name": body["name"],
        "level": level,
        "ward_code": to_str(r.get("ward_code")) if level == "lsoa" else None,
        "ward_name": to_str(r.get("ward_name")) if level == "lsoa" else None,
        "district_code": to_str(r.get("district_code")) if level != "district" else code,
        "district_name": to_str(r.get("district_name")),
        "population": body["population"],
    }
    vr = body.get("violence_risk") or {}
    row["violence_risk"] = vr.get("value")
    row["violence_risk_rank"] = vr.get("rank")
    row["violence_risk_band"] = vr.get("band")
    row["violence_risk_drivers"] = (
        _raising(vr.get("drivers") or [], "text", lambda d: (d.get("contribution") or 0) > 0)
        if vr
        else None
    )
    row["violence_risk_explanation"] = vr.get("explanation")
    for k in ("need", *(k for k in INDICES if k != "need")):  # need first, with its words
        idx = body["indices"][k]
        row[k] = idx["value"]
        row[f"{k}_rank"] = idx["rank"]
        row[f"{k}_decile"] = idx["decile"]
        row[f"{k}_band"] = idx["band"]
        if k == "need":
            interval = idx["rank_interval"] or {}
            row["need_rank_lo"] = interval.get("lo")
            row["need_rank_hi"] = interval.get("hi")
            row["need_drivers"] = _raising(
                body["drivers"], "title", lambda d: d["effect"] == "raises need"
            )
            row["need_explanation"] = body["explanation"]
    row["synthetic"] = bool(ctx.synthetic)
    return row


def _restricted(ctx: BuildContext, row: dict[str, Any]) -> dict[str, Any]:
    return {
        s.id: {
            "partner": s.partner,
            "count": num(row.get(f"n_{s.id}"), 3),
            "raw_rate": num(row.get(f"raw_{s.id}"), 6),
            "value": num(row.get(f"v_{s.id}"), 6),
            "score": num(row.get(f"s_{s.id}"), 6),
            "contribution": num(row.get(f"c_{s.id}"), 6),
        }
        for s in ctx.specs
    }


def area_answers(ctx: BuildContext) -> AreaAnswers:
    """Every LSOA, ward and district answer of the build (see :class:`AreaAnswers`)."""
    out = AreaAnswers()
    lsoa = pd.DataFrame(ctx.lsoa_public.drop(columns="geometry"))
    wards, districts = ctx.ward_public, ctx.district_public
    ward_lsoas = lsoa.groupby("ward_code")["lsoa21_code"].apply(list).to_dict()
    district_wards = wards.groupby("district_code")["code"].apply(list).to_dict()
    district_lsoas = lsoa.groupby("district_code")["lsoa21_code"].apply(list).to_dict()
    n_l, n_w, n_d = len(lsoa), len(wards), len(districts)
    rows: dict[str, list[dict[str, Any]]] = {lv: [] for lv in AREA_LEVELS}
    for r in lsoa.to_dict("records"):
        code = r["lsoa21_code"]
        drivers = drivers_from_json(r.get("drivers"), ctx.meta_by_id, ctx.synthetic)
        body = {
            "code": code,
            "name": to_str(r.get("lsoa21_name")),
            "level": "lsoa",
            "msoa_name": to_str(r.get("msoa21_name")),
            "place": place(ctx, r),
            "ward": {"code": to_str(r.get("ward_code")), "name": to_str(r.get("ward_name"))},
            "district": {
                "code": to_str(r.get("district_code")),
                "name": to_str(r.get("district_name")),
            },
            "population": to_int(r.get("pop_total")),
            "area_km2": num(r.get("area_km2"), 3),
            "n_lsoa": 1,
            "violence_risk": _violence_block(ctx, r, "lsoa", n_l),
            "indices": _index_block(r, n_l, interval=True),
            "levels": {lv: num(r.get(f"level_{lv}")) for lv in LEVELS},
            "drivers": drivers,
            "explanation": to_str(r.get("explanation"))
            or drivers_sentence(code, to_str(r.get("need_band")), drivers),
            "hotspot": {
                "getis_ord": to_str(r.get("gi_label")),
                "local_moran": to_str(r.get("moran_label")),
            },
            "layers": _layer_values(ctx, r),
            "comparison": _comparison(ctx, r, "lsoa"),
            "lsoas": [code],
        }
        out.bodies[code] = ("lsoa", body["name"] or code, wrap(body, ctx.tail))
        rows["lsoa"].append(_list_row(ctx, r, "lsoa", code, body))
    raw_lsoa = pd.DataFrame(ctx.lsoa_raw.drop(columns="geometry"))
    for r in raw_lsoa.to_dict("records"):
        out.restricted[r["lsoa21_code"]] = _restricted(ctx, r)

    for level, frame, raw, n, members in (
        ("ward", wards, ctx.ward_raw, n_w, ward_lsoas),
        ("district", districts, ctx.district_raw, n_d, district_lsoas),
    ):
        for r in frame.to_dict("records"):
            code = r["code"]
            name = to_str(r.get("name")) or code
            drivers = _top_drivers(ctx, r)
            body = {
                "code": code,
                "name": name,
                "level": level,
                "msoa_name": None,
                "place": {
                    "name": name,
                    "in_words": f"{name} ward, {to_str(r.get('district_name'))}"
                    if level == "ward"
                    else name,
                },
                "ward": None,
                "district": (
                    {"code": to_str(r.get("district_code")), "name": to_str(r.get("district_name"))}
                    if level == "ward"
                    else None
                ),
                "population": to_int(r.get("pop_total")),
                "area_km2": None,
                "n_lsoa": to_int(r.get("n_lsoa")),
                "violence_risk": _violence_block(ctx, r, level, n),
                "indices": _index_block(r, n, interval=False, what=f"{level}s"),
                "levels": {lv: num(r.get(f"level_{lv}")) for lv in LEVELS},
                "drivers": drivers,
                "explanation": drivers_sentence(name, to_str(r.get("need_band")), drivers),
                "hotspot": None,
                "layers": _layer_values(ctx, r),
                "comparison": _comparison(ctx, r, level),
                "lsoas": sorted(members.get(code, [])),
            }
            if level == "district":
                body["wards"] = sorted(district_wards.get(code, []))
            out.bodies[code] = (level, name, wrap(body, ctx.tail))
            rows[level].append(_list_row(ctx, r, level, code, body))
        for r in raw.to_dict("records"):
            out.restricted[r["code"]] = _restricted(ctx, r)
    out.rows = rows
    return out
