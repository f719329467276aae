"""Support nearby for every West Midlands postcode: the work a build load does once.

Measured in this interpreter on a West Midlands store prepared under ``data/_bench/support``
(reused while its cache key holds), with the store's assets (OSM places of worship, libraries,
state schools: about 2,500 points) plus a directory of 300 services placed at live postcodes
(the ``service_directory`` source, as ``[services]`` would load it):

* ``points_s``: :func:`sna.answers.support.support_points` (names, entries) over the assets table;
* ``nearby_s``: :func:`sna.answers.support.nearby` for every postcode with a grid reference
  (directory services first, up to 10 entries within 1 km), the order the postcode answers
  use. Target 10 s (a build load must stay well under a minute);
* ``single_tree_s``: the reference, one KD-tree query of the 20 nearest within 1 km and a
  ball query, with no directory pass and no ordering: what the lookup did before.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import PROJECT_ROOT, target, write_result

__all__ = ["NAME", "run"]

NAME = "support"
BENCH_DATA = PROJECT_ROOT / "data" / "_bench" / "support"
N_SERVICES = 300


def run() -> dict[str, Any]:
    """Run the benchmark; write ``bench/results/support.json``; return the results."""
    from scipy.spatial import cKDTree

    from sna.answers.support import nearby, support_points
    from sna.prepare.pipeline import prepare_region
    from sna.prepare.store import Store

    prepare_region("west-midlands", data_dir=Path(BENCH_DATA))
    store = Store("west-midlands", BENCH_DATA)
    assets = pd.DataFrame(store.read("assets").drop(columns="geometry"))
    pcs = store.read("postcodes")
    pcs = pcs[pcs["easting"].notna()]
    rng = np.random.default_rng(11)
    live = pcs[pcs["status"] == "live"].iloc[rng.choice(len(pcs), N_SERVICES, replace=False)]
    directory = pd.DataFrame(
        {
            "asset_id": [f"service:{i}" for i in range(N_SERVICES)],
            "asset_type": rng.choice(["youth_club", "mentoring", "sport"], N_SERVICES),
            "name": [f"Service {i}" for i in range(N_SERVICES)],
            "source": "service_directory",
            "easting": live["easting"].to_numpy(),
            "northing": live["northing"].to_numpy(),
            "ages": "10-18",
        }
    )
    table = pd.concat([assets, directory], ignore_index=True)
    east, north = pcs["easting"].to_numpy(float), pcs["northing"].to_numpy(float)

    t0 = time.perf_counter()
    points = support_points(table)
    t1 = time.perf_counter()
    found = nearby(points, east, north, radius=1000.0, limit=10)
    t2 = time.perf_counter()
    tree = cKDTree(points.xy)
    tree.query(np.column_stack([east, north]), k=20, distance_upper_bound=1000.0)
    tree.query_ball_point(np.column_stack([east, north]), 1000.0)
    t3 = time.perf_counter()
    first_is_directory = np.mean([bool(p) and points.directory[p[0][0]] for p in found.picks if p])
    payload = {
        "description": __doc__.strip().splitlines()[0],
        "results": {
            "postcodes": int(len(east)),
            "assets": int(len(points.types)),
            "directory_services": N_SERVICES,
            "points_s": round(t1 - t0, 3),
            "nearby_s": target(t2 - t1, 10.0, "s"),
            "single_tree_s": round(t3 - t2, 3),
            "share_of_lists_led_by_a_directory_service": round(float(first_is_directory), 3),
        },
    }
    write_result(NAME, payload)
    return payload


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
