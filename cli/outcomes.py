"""``sna outcomes``: the Home Office success measures of a region, as CSV and PNG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import DataDirOpt, RegionOpt, library_errors, out

__all__ = ["outcomes_command"]


def outcomes_command(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for outcomes.csv and the charts (default: <build>/outcomes)."),
    ] = None,
) -> None:
    """Write the Home Office success measures (knife-enabled serious violence, homicide,
    hospital admissions for sharp-object assault) as ``outcomes.csv`` and one PNG chart per
    measure, and print them in plain words.

    Read from the current build when it has them (what the API serves); otherwise computed
    from the region's ONS tables, with the hospital measure awaiting partner data.
    """
    with library_errors():
        from maps.outcomes_charts import write_outcome_charts
        from sna.builds.registry import current_build
        from sna.config.region import load_region
        from sna.errors import BuildNotFound
        from sna.outcomes.answer import compute_outcomes, outcomes_table, read_outcomes

        config = load_region(region)
        try:
            build = current_build(config.id, data_dir)
        except BuildNotFound:  # no build yet: the open tables alone
            build = None
        answer = read_outcomes(build) if build is not None else None
        if answer is None:
            answer = compute_outcomes(config)
        folder = out_dir or ((build / "outcomes") if build is not None else Path("outcomes"))
        folder.mkdir(parents=True, exist_ok=True)
        csv = folder / "outcomes.csv"
        outcomes_table(answer).to_csv(csv, index=False)
        charts = write_outcome_charts(answer, folder)
    for sentence in answer["sentences"]:
        out.print(f"- {sentence}")
    for path in [csv, *charts]:
        out.print(str(path))
