"""Small ONS police force area workbooks, in the published layout, made with openpyxl.

``write_workbook`` writes one edition with the quirks of the real ones (trailing spaces in
sheet names, footnote digits on area names and headers, '-' for a value not shown, numbers
stored as text) and lets a test break it (``header_offset`` moves the header rows,
``drop`` removes a table, ``rename`` renames sheets, ``extra`` adds an unknown table,
``misalign`` shifts P4's offence names one column right). ``write_inputs`` writes three
editions and the lookups and population a region needs; ``fixture_config`` points a config
at them. The values are simple functions of the force and edition, so tests can recompute
them: see :func:`knife_total` and :func:`homicides`.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

AREAS = [  # code, name as published (footnote digits included), kind
    ("K04000001", "ENGLAND AND WALES1,2", "country"),
    ("E92000001", "ENGLAND", "country"),
    ("E12000005", "West Midlands ", "region"),
    ("E23000014", "West Midlands3", "force"),
    ("E23000017", "Warwickshire", "force"),
    ("W92000004", "WALES", "country"),
    ("W15000003", "South Wales", "force"),
]
FORCES = {"E23000014": 2000, "E23000017": 200, "W15000003": 500}  # base knife totals
POPULATION = {"E23000014": 2_900_000, "E23000017": 570_000, "W15000003": 1_300_000}
EDITIONS = [("March", 2018), ("March", 2019), ("December", 2019)]
P4_GROUPS = [
    "Total of selected\n serious offences",
    "Attempted murder",
    "Threats to kill",
    "Assault with injury and \nassault with intent to cause serious harm",
    "Robbery",
    "Rape and sexual assault4",
    "Homicide5,6",
]


def _step(month: str, year: int) -> int:
    return (year - 2018) * 4 + {"March": 0, "June": 1, "September": 2, "December": 3}[month]


def knife_total(code: str, month: str, year: int) -> int:
    """The fixture's P4 total for a force, or the sum for a region or country."""
    if code in FORCES:
        return FORCES[code] + 100 * _step(month, year)
    members = {
        "K04000001": list(FORCES),
        "E92000001": ["E23000014", "E23000017"],
        "E12000005": ["E23000014", "E23000017"],
        "W92000004": ["W15000003"],
    }[code]
    return sum(knife_total(c, month, year) for c in members)


def homicides(code: str, month: str, year: int) -> int:
    """The fixture's P1 homicide count."""
    return max(knife_total(code, month, year) // 60, 1)


def _title(n: int, text: str, month: str, year: int) -> str:
    return f"Table P{n}:  {text}, year ending {month} {year}1,2,3"


def _sheet(wb, name: str, title: str, offset: int):
    ws = wb.create_sheet(name)
    ws.cell(1, 1, title)
    ws.cell(3 + offset, 1, "England and Wales")
    return ws


def write_workbook(
    path: Path,
    month: str = "March",
    year: int = 2019,
    *,
    header_offset: int = 0,
    drop: str | None = None,
    rename: dict[str, str] | None = None,
    extra: bool = False,
    misalign: bool = False,
) -> Path:
    """One edition as ONS lays it out (see the module docstring for the breakages)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb["Notes"].cell(1, 1, f"Crime in England and Wales, year ending {month} {year} - PFA tables")
    h = 5 + header_offset  # the 'Area Code' row
    names = {"P1": "Table P1 ", "P4": "Table P4  ", "P9": "Table P9", **(rename or {})}
    if drop != "P1":
        ws = _sheet(
            wb,
            names["P1"],
            _title(
                1,
                "Police recorded crime by offence group and police force area, English "
                "regions and Wales, number of offences",
                month,
                year,
            ),
            header_offset,
        )
        ws.cell(h - 1, 3, "Total recorded crime (excluding fraud3)")
        for c, label in enumerate(
            [
                "Area Code",
                "Area Name",
                None,
                None,
                "Violence against the person",
                "Homicide",
                "Robbery",
            ],
            1,
        ):
            if label:
                ws.cell(h, c, label)
        for i, (code, name, _) in enumerate(AREAS):
            r = h + 2 + i
            k = knife_total(code, month, year)
            for c, v in enumerate(
                [code, name, k * 30, None, k * 10, homicides(code, month, year), str(k // 3)], 1
            ):
                ws.cell(r, c, v)
        ws.cell(h + 2 + len(AREAS), 2, "British Transport Police")
        ws.cell(h + 2 + len(AREAS), 3, 999)
        ws.cell(h + 3 + len(AREAS), 1, "Source: Home Office - Police recorded crime")
    if drop != "P4":
        ws = _sheet(
            wb,
            names["P4"],
            _title(
                4,
                "Knife and sharp instrument offences recorded by the police for selected "
                "offences, by police force area, English regions and Wales",
                month,
                year,
            ),
            header_offset,
        )
        ws.cell(h, 1, "Area Code")
        ws.cell(h, 2, "Area Name")
        for j, group in enumerate(P4_GROUPS):
            c = 3 + 2 * j
            ws.cell(h - 1, c + (1 if misalign else 0), group)
            ws.cell(h, c, "Number of\n offences\n involving a\n knife7")
            ws.cell(h, c + 1, "% involving a knife")
        for i, (code, name, _) in enumerate(AREAS):
            r = h + 2 + i
            ws.cell(r, 1, code)
            ws.cell(r, 2, name)
            total = knife_total(code, month, year)
            knife_homicide = max(homicides(code, month, year) // 2, 0)
            parts = [total - knife_homicide - 30, 10, 10, 5, 3, 2, knife_homicide]
            parts[1:6] = [round(x) for x in parts[1:6]]
            parts[0] = total
            for j, v in enumerate(parts):
                ws.cell(r, 3 + 2 * j, v)
                ws.cell(r, 4 + 2 * j, "-" if v < 50 else round(100 * v / (v * 15), 3))
        ws.cell(h + 2 + len(AREAS), 1, "Source: Police recorded crime, Home Office")
    if drop != "P9" and (month, year) == ("March", 2018):
        ws = _sheet(
            wb,
            names["P9"],
            "Table P9:  Mid-year population estimates for police force areas, English regions "
            "and Wales, 2015 to 20161",
            header_offset,
        )
        ws.cell(h - 1, 3, "Mid-year")
        ws.cell(h, 1, "Area Code")
        ws.cell(h, 2, "Area Name")
        ws.cell(h, 3, 2015)
        ws.cell(h, 4, 2016)
        people = {**POPULATION, "E12000005": 3_470_000, "K04000001": 4_770_000}
        for i, (code, n) in enumerate(people.items()):
            ws.cell(h + 1 + i, 1, code)
            ws.cell(h + 1 + i, 2, code)
            ws.cell(h + 1 + i, 3, n - 20_000)
            ws.cell(h + 1 + i, 4, n - 10_000)
    if extra:
        ws = _sheet(wb, "Table P7", "Table P7: Something new by police force area", 0)
        ws.cell(5, 1, "Area Code")
        ws.cell(6, 1, "E23000014")
        ws.cell(6, 3, "not a number")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_inputs(folder: Path) -> Path:
    """Three editions, the lookups and Census population for the fixture's districts."""
    tables = folder / "ons_pfa_tables"
    for month, year in EDITIONS:
        write_workbook(tables / f"pfa_{year}_{month.lower()}.xlsx", month, year)
    districts = {
        "E08000025": "E23000014",
        "E08000026": "E23000014",
        "E07000222": "E23000017",
        "W06000015": "W15000003",
    }
    names = {"E23000014": "West Midlands", "E23000017": "Warwickshire", "W15000003": "South Wales"}
    wm = {f"E080000{n}": "E23000014" for n in range(27, 32)}  # no residents here
    (folder / "pfa.csv").write_text(
        "ltla24_code,ltla24_name,csp24_code,csp24_name,pfa24_code,pfa24_name\n"
        + "".join(f"{d},{d},C,C,{p},{names[p]}\n" for d, p in {**districts, **wm}.items())
    )
    (folder / "lsoa.csv").write_text(
        "lsoa21_code,ltla24_code\n" + "".join(f"L{i},{d}\n" for i, d in enumerate(districts))
    )
    pop = {
        "E08000025": 2_000_000,
        "E08000026": 1_000_000,
        "E07000222": 600_000,
        "W06000015": 1_350_000,
    }
    (folder / "population.csv").write_text(
        "lsoa21_code,lsoa21_name,age_group,usual_residents\n"
        + "".join(f"L{i},x,all,{pop[d]}\n" for i, d in enumerate(districts))
    )
    return folder


def fixture_config(config, folder: Path):
    """``config`` reading the fixture's workbooks, lookups and population from ``folder``."""
    outcomes = config.outcomes.model_copy(
        update={
            "tables": str(folder / "ons_pfa_tables"),
            "pfa_lookup": str(folder / "pfa.csv"),
            "lsoa_lookup": str(folder / "lsoa.csv"),
        }
    )
    pop = config.sources.population.model_copy(update={"path": str(folder / "population.csv")})
    sources = config.sources.model_copy(update={"population": pop})
    return config.model_copy(update={"outcomes": outcomes, "sources": sources})


def write_fixture_outcomes(build_folder: Path, config, inputs: Path) -> Path:
    """What ``sna build`` does for outcomes, on the fixture's inputs (written once)."""
    from sna.outcomes.answer import compute_outcomes, write_outcomes

    if not (inputs / "ons_pfa_tables").exists():
        write_inputs(inputs)
    return write_outcomes(build_folder, compute_outcomes(fixture_config(config, inputs)))
