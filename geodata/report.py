"""What a loader kept and rejected, for the provenance manifest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["LoadReport", "Loaded"]


@dataclass
class LoadReport:
    """Counts and notes from one load, written into the store's manifest.

    ``rejected`` maps a plain-words reason to the number of rows dropped for it; ``flagged``
    maps a reason to the number of rows kept but marked (e.g. rows without coordinates).
    ``warnings`` are problems an analyst should see (the CLI prints them): e.g. a police.uk
    month with no rows, or months missing inside the period read.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Record a warning (shown by the CLI and kept in the manifest)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def reject(self, reason: str, n: int) -> None:
        """Record ``n`` rows dropped for ``reason`` (no-op when ``n`` is 0)."""
        if n:
            self.rejected[reason] += int(n)

    def flag(self, reason: str, n: int) -> None:
        """Record ``n`` rows kept but marked for ``reason``."""
        if n:
            self.flagged[reason] += int(n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the manifest."""
        return {
            "source": self.source,
            "rows_read": int(self.rows_read),
            "rows_kept": int(self.rows_kept),
            "rows_rejected": int(sum(self.rejected.values())),
            "rejected": dict(self.rejected),
            "flagged": dict(self.flagged),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


@dataclass
class Loaded:
    """A loader's result: the tidy table and the report of what happened to the rows."""

    data: pd.DataFrame
    report: LoadReport
