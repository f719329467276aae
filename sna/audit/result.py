"""What the disclosure audit found: one :class:`Finding` per leak, gathered in an
:class:`AuditResult` with the outputs it read and those the build does not have."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sna.errors import DisclosureError

__all__ = ["Finding", "AuditResult", "MAX_LISTED"]

MAX_LISTED = 10


def _short(value: Any, width: int = 80) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Finding:
    """One leak: which public output, which unit (LSOA, ward, postcode, pixel), why, and the
    value published (empty when the reason says it)."""

    output: str
    unit: str
    reason: str
    value: Any = ""

    def __str__(self) -> str:
        shown = f" (value {_short(self.value)})" if self.value not in ("", None) else ""
        return f"{self.output}: {self.unit}: {self.reason}{shown}"


@dataclass
class AuditResult:
    """What the audit checked (output -> units or values read), what it found (``ok`` when
    nothing) and which public outputs the build does not have (``absent``)."""

    build: Path
    threshold: int
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no public output breaks the rule."""
        return not self.findings

    def add(self, findings: list[Finding], output: str | None = None, n: int = 0) -> None:
        """Add the findings of one output and record that it was read (``n`` units)."""
        self.findings += findings
        if output is not None:
            self.checked[output] = self.checked.get(output, 0) + int(n)

    def message(self) -> str:
        """The findings as lines (the first few, then how many more)."""
        lines = [str(f) for f in self.findings[:MAX_LISTED]]
        if len(self.findings) > MAX_LISTED:
            lines.append(f"... and {len(self.findings) - MAX_LISTED} more")
        return "\n".join(lines)

    def headline(self, then: str = "the build is not published") -> str:
        """One line: how many leaks, and the first (its output, unit and value)."""
        return (
            f"disclosure audit failed for {self.build.name}: {len(self.findings)} public "
            f"value(s) derived from fewer than {self.threshold} partner records, first "
            f"{self.findings[0]}" + (f"; {then}." if then else ".")
        )

    def raise_if_leaking(self) -> AuditResult:
        """Raise :class:`~sna.errors.DisclosureError`: its first line names the first leak's
        output, unit and value; the lines after it list the others."""
        if self.findings:
            raise DisclosureError(f"{self.headline()}\n{self.message()}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (for the CLI and logs)."""
        return {
            "build": str(self.build),
            "threshold": self.threshold,
            "ok": self.ok,
            "checked": self.checked,
            "absent": self.absent,
            "findings": [{**vars(f), "value": str(f.value)} for f in self.findings],
        }
