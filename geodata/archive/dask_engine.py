"""The archive steps as a Dask dataframe graph: one task per force-month partition.

Each task reads one ``force=/month=`` folder (all its parts), cleans and places its rows in
pandas with the same rules as the DuckDB engine (:func:`clean_partition`), and the counts,
methods and grid are Dask ``groupby`` reductions over those frames, computed together in one
pass. The scheduler is a setting: ``synchronous``/``threads`` in process, ``local`` for a
``dask.distributed`` ``LocalCluster``, or the address of a running cluster. Workers build the
placement tables once per process from the file paths (:class:`PlacementSpec`), so the
graph carries paths, not polygons.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from os import PathLike

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..errors import MissingFileError
from .engine import ArchiveResult, Progress, RunOptions, cell_index, tidy_counts, tidy_grid
from .layout import Partition, partitions
from .placement import Placement, PlacementSpec, load_placement

__all__ = ["DaskEngine", "clean_partition"]

_COLUMNS = [
    "crime_id",
    "crime_type",
    "easting",
    "northing",
    "lsoa_code_file",
    "has_coordinates",
    "source_file",
    "line",
]
_META = pd.DataFrame(
    {
        "force": pd.Series(dtype="string"),
        "month": pd.Series(dtype="string"),
        "crime_type": pd.Series(dtype="string"),
        "lsoa21_code": pd.Series(dtype="string"),
        "lsoa21_method": pd.Series(dtype="string"),
        "status": pd.Series(dtype="string"),
        "has_coordinates": pd.Series(dtype="bool"),
        "cx": pd.Series(dtype="int64"),
        "cy": pd.Series(dtype="int64"),
    }
)


def clean_partition(frame: pd.DataFrame, placement: Placement, options: RunOptions) -> pd.DataFrame:
    """One force-month's rows, cleaned and placed: the pandas form of the engine steps.

    ``status`` is ``kept``, ``duplicate Crime ID`` or ``crime type not requested``;
    ``lsoa21_code`` is ``""`` (not placed) or the code; ``cx``/``cy`` the grid cell.
    """
    frame = frame.sort_values(["source_file", "line"], kind="stable").reset_index(drop=True)
    has_id = frame["crime_id"].notna().to_numpy()
    dup = np.zeros(len(frame), dtype=bool)
    dup[has_id] = frame.loc[has_id, "crime_id"].duplicated(keep="first").to_numpy()
    status = np.where(dup, "duplicate Crime ID", "kept").astype(object)
    if options.crime_types is not None:
        unwanted = ~frame["crime_type"].isin(options.crime_types).to_numpy(dtype=bool)
        status[~dup & unwanted] = "crime type not requested"
    e = frame["easting"].to_numpy(dtype=float)
    n = frame["northing"].to_numpy(dtype=float)
    lsoa, meth = placement.place(frame["lsoa_code_file"].to_numpy(dtype=object), e, n)
    has_xy = frame["has_coordinates"].to_numpy(dtype=bool)
    cell = options.cell
    cx, cy = cell_index(np.where(has_xy, e, 0.0), np.where(has_xy, n, 0.0), cell)
    return pd.DataFrame(
        {
            "force": pd.array(frame["force"], dtype="string"),
            "month": pd.array(frame["month"], dtype="string"),
            "crime_type": pd.array(frame["crime_type"], dtype="string"),
            "lsoa21_code": pd.array(np.where(pd.isna(lsoa), "", lsoa), dtype="string"),
            "lsoa21_method": pd.array(meth, dtype="string"),
            "status": pd.array(status, dtype="string"),
            "has_coordinates": has_xy,
            "cx": cx,
            "cy": cy,
        }
    )


def _read_partition(part: Partition, spec: PlacementSpec, options: RunOptions) -> pd.DataFrame:
    """Read one partition's parts and run :func:`clean_partition` on them (one Dask task)."""
    tables = [pq.read_table(f, columns=_COLUMNS).to_pandas() for f in part.files]
    frame = pd.concat(tables, ignore_index=True).assign(force=part.force, month=part.month)
    return clean_partition(frame, load_placement(spec.lookup, spec.polygons), options)


class DaskEngine:
    """Dask: the same steps on any Dask scheduler (default a 2-worker ``LocalCluster``)."""

    name = "dask"

    def __init__(
        self, scheduler: str = "local", workers: int = 2, memory_limit: str = "2GiB"
    ) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.memory_limit = memory_limit

    def run(
        self,
        root: str | PathLike[str],
        placement: Placement | PlacementSpec,
        options: RunOptions = RunOptions(),
        *,
        on_progress: Progress | None = None,
    ) -> ArchiveResult:
        """Build the graph over every partition under ``root`` and compute it.

        ``placement`` must be a :class:`PlacementSpec` (paths) for a distributed scheduler;
        a :class:`Placement` built by :func:`load_placement` is turned back into its spec.
        """
        t0 = time.perf_counter()
        spec = placement if isinstance(placement, PlacementSpec) else _spec_of(placement)
        parts = [
            p
            for p in partitions(root)
            if not options.months or options.months[0] <= p.month <= options.months[1]
        ]
        if not parts:
            raise MissingFileError(root, "no archive partitions (force=*/month=*) in the folder")
        rows = dd.from_map(_read_partition, parts, spec=spec, options=options, meta=_META)
        kept = rows[rows["status"] == "kept"]
        counts = kept.groupby(["force", "month", "crime_type", "lsoa21_code"]).size()
        methods = kept.groupby("lsoa21_method").size()
        status = rows.groupby("status").size()
        located = kept[kept["has_coordinates"]]
        grid = located.groupby(["force", "cx", "cy"]).size()
        with ExitStack() as stack:
            kwargs = self._scheduler(stack)
            if on_progress is not None:
                on_progress(0, len(parts), f"{len(parts)} partitions on {self.scheduler}")
            counts_s, methods_s, status_s, grid_s = dask.compute(
                counts, methods, status, grid, **kwargs
            )
            if on_progress is not None:
                on_progress(len(parts), len(parts), "done")
        count_frame = tidy_counts(counts_s.rename("count").reset_index())
        status_d = {str(k): int(v) for k, v in status_s.items()}
        read = sum(status_d.values())
        return ArchiveResult(
            engine=self.name,
            counts=count_frame,
            grid=tidy_grid(grid_s.rename("count").reset_index()),
            cell=options.cell,
            rows={
                "read": read,
                "duplicate Crime ID": status_d.get("duplicate Crime ID", 0),
                "crime type not requested": status_d.get("crime type not requested", 0),
                "kept": int(count_frame["count"].sum()),
            },
            methods={str(k): int(v) for k, v in methods_s.items()},
            months_read=sorted({p.month for p in parts}),
            seconds=time.perf_counter() - t0,
        )

    def _scheduler(self, stack: ExitStack) -> dict[str, object]:
        """``dask.compute`` keyword arguments for the configured scheduler."""
        if self.scheduler in {"synchronous", "threads", "processes"}:
            return {"scheduler": self.scheduler}
        from distributed import Client, LocalCluster

        if self.scheduler == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    memory_limit=self.memory_limit,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(self.scheduler))
        return {"scheduler": client}


def _spec_of(placement: Placement) -> PlacementSpec:
    spec = getattr(placement, "spec", None)
    if spec is None:
        raise TypeError(
            "the Dask engine needs a PlacementSpec (file paths), or a Placement made by "
            "load_placement(lookup, polygons)"
        )
    return spec
