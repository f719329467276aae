"""The disclosure audit: check every public output of a build against the one rule.

**No public value is derived from fewer than the disclosure threshold (8) of partner
records** (docs/disclosure-control.md). :func:`audit_build` reads a build folder (the staging
folder, before ``current`` moves, or a published one) and the partner records in its store,
recounts every partner layer itself (:mod:`.partner`: it does not trust the build's own
counts), and reads every public output the build has:

- the LSOA and postcode exports and the partner surfaces (:mod:`.exports`);
- ``answers.sqlite``, every row: area answers (LSOA, ward, district), the postcode answers
  and their LSOA fragments, area lists, outcodes, terminated postcodes, trends, the layer
  catalogue and other ``meta`` answers, the outcomes answer, and the vector-tile attributes
  (:mod:`.answers`);
- the raster tiles' source ``tiles/<layer>.tif`` (:mod:`.tiles`);
- what other commands write beside the build: static and printed maps, priority lists, the
  report and the outcome tables (:mod:`.published`);
- ``outcomes.json`` (the hospital counts of the Home Office measures).

The result names what it read (``checked``) and what the build does not have (``absent``).
Layers on a partner table (:data:`sna.disclosure.control.PARTNER_TABLES`) are audited whatever their
``partner`` flag says, so a config that declares partner data open is caught here. The build
calls the audit just before it publishes; ``sna audit --region R`` runs it on the current
build (after ``sna maps``, ``sna priority`` or ``sna report`` have added their files).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sna.audit.answers import audit_answers
from sna.audit.exports import audit_exports
from sna.audit.partner import manifest_of, partner_layers, store_tables
from sna.audit.published import audit_published
from sna.audit.result import AuditResult, Finding
from sna.audit.tiles import audit_raster_tiles
from sna.disclosure.rule import DISCLOSURE_THRESHOLD

__all__ = ["Finding", "AuditResult", "audit_build", "audit_region"]


def _audit_outcomes(folder: Path, thr: int, result: AuditResult) -> None:
    """The outcome series' hospital (partner) counts: none of 1 to ``thr - 1``."""
    path = folder / "outcomes.json"
    if not path.exists():
        result.absent.append("outcomes.json")
        return
    from sna.outcomes.answer import audit_outcomes

    problems = audit_outcomes(json.loads(path.read_text()), thr)
    found = [Finding("outcomes.json", "hospital_sharp_object_assault", p) for p in problems]
    result.add(found, "outcomes.json", 1)


def audit_build(folder: Path, *, store=None, threshold: int | None = None) -> AuditResult:
    """Audit one build folder's public outputs; see the module docstring.

    Parameters
    ----------
    folder
        A build folder (staging or published).
    store
        The :class:`~sna.prepare.store.Store` (or its folder) holding the partner records; by
        default the one recorded in the manifest, else ``<region>/store``.
    threshold
        Override the disclosure threshold (default: the build config's, never below 8).
    """
    from sna.prepare.store import read_table

    folder = Path(folder)
    manifest = manifest_of(folder)
    scoring = manifest.get("config", {}).get("scoring", {})
    thr = max(
        DISCLOSURE_THRESHOLD,
        int(threshold or scoring.get("disclosure_threshold", DISCLOSURE_THRESHOLD)),
    )
    result = AuditResult(folder, thr)
    _audit_outcomes(folder, thr, result)
    lsoa = pd.DataFrame(read_table(folder / "lsoa.parquet").drop(columns="geometry"))
    tables = store_tables(store, folder, manifest)
    layers, missing = partner_layers(folder, manifest, tables, lsoa, thr)
    for spec in missing:
        why = f"records of layer {spec.id} cannot be read to audit"
        result.findings.append(Finding("store", spec.table, why))
    result.checked["partner_layers"] = len(layers) + len(missing)
    if layers:
        audit_exports(folder, layers, lsoa, result)
    audit_answers(folder, layers, lsoa, thr, result)
    if layers:
        audit_raster_tiles(folder, layers, thr, result)
    audit_published(folder, layers, thr, result)
    return result


def audit_region(region: str, data_dir: Path | None = None) -> AuditResult:
    """Audit the current build of a region (what ``sna audit --region R`` runs)."""
    from sna.builds.registry import current_build
    from sna.config.region import load_region
    from sna.prepare.store import Store

    config = load_region(region)
    folder = current_build(config.id, data_dir)
    return audit_build(folder, store=Store(config.id, data_dir))
