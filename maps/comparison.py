"""What changed since the previous build: the top need decile and rank agreement.

With :math:`T_a` and :math:`T_b` the sets of LSOAs in the top need decile of the previous and
current builds, LSOAs *entering* are :math:`T_b \\setminus T_a` and *leaving*
:math:`T_a \\setminus T_b`; rank agreement is Spearman's :math:`\\rho` of the need index over
the LSOAs both builds share. Both builds are read through their public view
(:func:`sna.priority.places.load_public_build`), as the report reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sna import PublicBuild
from sna.builds.registry import build_folders

__all__ = ["BuildComparison", "compare_builds", "previous_build"]


@dataclass
class BuildComparison:
    """How the current build differs from an earlier one.

    Attributes
    ----------
    previous_id, current_id : str
        Build ids.
    n_common : int
        LSOAs present in both builds.
    spearman_need : float
        Spearman correlation of the need index over the common LSOAs (NaN if < 3).
    entering, leaving : pandas.DataFrame
        LSOAs entering and leaving the top need decile (code, name, district, ranks).
    layers_added, layers_removed : list of str
        Layer ids present in only one of the builds.
    config_changed : bool
        Whether the scoring configuration differs.
    """

    previous_id: str
    current_id: str
    n_common: int
    spearman_need: float
    entering: pd.DataFrame
    leaving: pd.DataFrame
    n_top_previous: int
    n_top_current: int
    layers_added: list[str] = field(default_factory=list)
    layers_removed: list[str] = field(default_factory=list)
    config_changed: bool = False

    def summary(self) -> str:
        """One sentence for the report and the notebooks."""
        rho = "n/a" if np.isnan(self.spearman_need) else f"{self.spearman_need:.3f}"
        return (
            f"Compared with build {self.previous_id}: Spearman correlation of need {rho} over "
            f"{self.n_common:,} LSOAs; {len(self.entering)} LSOAs entered and "
            f"{len(self.leaving)} left the top need decile."
        )


def previous_build(region: str | Path, data_dir: Path | None, current: Path) -> Path | None:
    """The newest build folder older than ``current``, or None for a region's first build."""
    older = [d for d in build_folders(region, data_dir) if d.name < Path(current).name]
    return older[-1] if older else None


def compare_builds(previous: PublicBuild, current: PublicBuild) -> BuildComparison:
    """Compare the need index of two builds (see the module docstring for the measures)."""
    from scipy.stats import spearmanr

    cols = ["lsoa21_code", "lsoa21_name", "district_name", "need", "need_rank", "need_decile"]
    a = pd.DataFrame(previous.lsoa[[c for c in cols if c in previous.lsoa.columns]])
    b = pd.DataFrame(current.lsoa[[c for c in cols if c in current.lsoa.columns]])
    both = a.merge(b, on="lsoa21_code", suffixes=("_prev", ""))
    if len(both) >= 3:
        rho = float(spearmanr(both["need_prev"], both["need"]).statistic)
    else:
        rho = float("nan")
    top_a = set(a.loc[a["need_decile"] == 1, "lsoa21_code"])
    top_b = set(b.loc[b["need_decile"] == 1, "lsoa21_code"])
    entering = b[b["lsoa21_code"].isin(top_b - top_a)].merge(
        a[["lsoa21_code", "need_rank"]], on="lsoa21_code", how="left", suffixes=("", "_prev")
    )
    leaving = a[a["lsoa21_code"].isin(top_a - top_b)].merge(
        b[["lsoa21_code", "need_rank"]], on="lsoa21_code", how="left", suffixes=("_prev", "")
    )
    ids_a = {s.id for s in previous.specs}
    ids_b = {s.id for s in current.specs}
    scoring_a = previous.manifest.get("config", {}).get("scoring")
    scoring_b = current.manifest.get("config", {}).get("scoring")
    return BuildComparison(
        previous_id=previous.build_id,
        current_id=current.build_id,
        n_common=int(len(both)),
        spearman_need=rho,
        entering=entering.sort_values("need_rank").reset_index(drop=True),
        leaving=leaving.sort_values("need_rank_prev").reset_index(drop=True),
        n_top_previous=len(top_a),
        n_top_current=len(top_b),
        layers_added=sorted(ids_b - ids_a),
        layers_removed=sorted(ids_a - ids_b),
        config_changed=scoring_a != scoring_b
        or [s.model_dump() for s in previous.specs] != [s.model_dump() for s in current.specs],
    )
