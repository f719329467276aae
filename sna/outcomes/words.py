"""The outcome series in plain sentences, and what the open tables cannot say.

One wording for the public page, the report and the CLI, so the three never disagree.
"""

from __future__ import annotations

from typing import Any

from sna.disclosure.rule import DISCLOSURE_THRESHOLD

__all__ = ["CANNOT_GIVE", "ROLLING_YEARS", "sentences"]

ROLLING_YEARS = (
    "Each ONS edition covers the 12 months to the end of a quarter, so editions overlap (the "
    "year to June 2019 shares nine months with the year to March 2019). Only years ending "
    "March are drawn as points, one per year and none sharing a month; the latest 12 months "
    "are given beside them, with the months they share with the last point."
)

CANNOT_GIVE: tuple[str, ...] = (
    "Victims under 25: the police force area tables do not give victims' ages, so 'especially "
    "among victims under 25' cannot be shown for knife-enabled violence or homicide.",
    "Domestic or not: the tables do not split homicide into domestic and non-domestic, so "
    "every homicide is counted here, not the Home Office's non-domestic homicides.",
    "Knife-enabled homicide as the Home Office measures it (non-domestic, victims under 25, "
    "from the Homicide Index): the tables give only the homicides recorded by the police that "
    "involved a knife or sharp instrument, all ages and domestic or not (shown as 'of which "
    "involving a knife').",
    "Small areas: the tables are by police force area only; nothing here is for a district, "
    "ward or neighbourhood.",
)


def _n(x: float | int | None, nd: int = 0) -> str:
    if x is None:
        return "not published"
    return f"{x:,.{nd}f}"


def _series(measure: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((s for s in measure.get("series", []) if s["code"] == code), None)


def _compare(point: dict, other: dict | None, other_name: str) -> str:
    if point.get("rate_per_100k") is None:
        return ""
    text = f": {_n(point['rate_per_100k'], 1)} per 100,000 residents"
    if point.get("rate_provenance") == "estimated":
        text += " (estimated population)"
    if other and other.get("rate_per_100k") is not None:
        text += f", against {_n(other['rate_per_100k'], 1)} across {other_name}"
    return text


def _measure_words(m: dict[str, Any], subject: dict, comparator: dict | None) -> list[str]:
    mine = _series(m, subject["code"])
    if mine is None or not mine["points"]:
        return [f"{m['title']}: no values for {subject['name']} in the tables read."]
    theirs = _series(m, comparator["code"]) if comparator else None
    last = mine["points"][-1]
    match = next(
        (p for p in (theirs or {}).get("points", []) if p["period_end"] == last["period_end"]),
        None,
    )
    noun = m["noun"]
    out = [
        f"In the {last['label']}, {subject['name']} recorded {_n(last['count'])} {noun}"
        + _compare(last, match, comparator["name"] if comparator else "")
        + "."
    ]
    if last.get("involving_knife") is not None:
        out[-1] = (
            out[-1][:-1] + f"; {_n(last['involving_knife'])} involved a knife or sharp instrument."
        )
    if len(mine["points"]) > 1:
        first = mine["points"][0]
        if first["count"]:
            change = (last["count"] - first["count"]) / first["count"] * 100
            way = "more" if change >= 0 else "fewer"
            out.append(
                f"That is {abs(change):.0f}% {way} than in the {first['label']} "
                f"({_n(first['count'])})."
            )
    latest = mine.get("latest")
    if latest:
        text = f"The latest 12 months published, the {latest['label']}, recorded "
        text += f"{_n(latest['count'])}"
        if latest.get("overlaps"):
            text += (
                f" (sharing {latest['overlaps_months']} months with the {latest['overlaps']}, "
                "so it is not drawn as a separate point)"
            )
        out.append(text + ".")
    return out


def sentences(answer: dict[str, Any]) -> list[str]:
    """Plain sentences for every measure of an outcomes answer (:mod:`sna.outcomes.answer`)."""
    subject = answer["subject"]
    comparator = next((c for c in answer["comparators"] if c["kind"] == "country"), None)
    out: list[str] = []
    for m in answer["measures"]:
        if m["id"] == "hospital_sharp_object_assault":
            if m["status"] == "awaiting partner data":
                out.append(
                    f"{m['title']}: awaiting partner data (the NHS hospital extract, ICD-10 "
                    "X99, is not configured for this region)."
                )
                continue
            shown = [y for y in m["years"] if y["all_ages"] is not None]
            if shown:
                y = shown[-1]
                u25 = (
                    _n(y["under_25"])
                    if y["under_25"] is not None
                    else f"fewer than {DISCLOSURE_THRESHOLD} or held back"
                )
                text = (
                    f"In the {y['label']}, {_n(y['all_ages'])} admissions for assault with a "
                    f"sharp object ({u25} of people under 25)"
                )
                if y["months_covered"] < 12:
                    text += f", from {y['months_covered']} months of records"
                out.append(text + ".")
            held = sum(1 for y in m["years"] if y["all_ages_suppressed"])
            if held:
                out.append(f"{held} year(s) had 1 to 7 admissions and are not published.")
            if m.get("synthetic"):
                out.append("These hospital figures are synthetic (made up) for a demonstration.")
            continue
        out += _measure_words(m, subject, comparator)
    return out
