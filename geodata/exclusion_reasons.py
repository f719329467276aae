"""DfE exclusion reasons: labels, school census codes and the violent ones.

One vocabulary for both exclusions sources: the LA-level reasons file
(:mod:`geodata.exclusions_la`) and the pupil-level partner extract
(:mod:`geodata.exclusions_pupil`).
"""

from __future__ import annotations

__all__ = ["EXCLUSION_REASONS", "EXCLUSION_REASON_CODES", "VIOLENT_EXCLUSION_REASONS"]

EXCLUSION_REASONS: dict[str, str] = {
    "physical_pupils": "Physical assault against a pupil",
    "physical_adult": "Physical assault against an adult",
    "verbal_pupil": "Verbal abuse/threatening behaviour against a pupil",
    "verbal_adult": "Verbal abuse/threatening behaviour against an adult",
    "bullying": "Bullying",
    "racist_abuse": "Racist abuse",
    "sexual_misconduct": "Sexual misconduct",
    "drug_alcohol": "Drug and alcohol related",
    "damage": "Damage",
    "theft": "Theft",
    "persistent_disruptive": "Persistent disruptive behaviour",
    "other": "Other",
}
"""DfE exclusion reasons, keyed by the suffix used in the reasons file's columns."""

EXCLUSION_REASON_CODES: dict[str, str] = {
    "PP": "Physical assault against a pupil",
    "PA": "Physical assault against an adult",
    "VP": "Verbal abuse/threatening behaviour against a pupil",
    "VA": "Verbal abuse/threatening behaviour against an adult",
    "BU": "Bullying",
    "RA": "Racist abuse",
    "SM": "Sexual misconduct",
    "DA": "Drug and alcohol related",
    "DM": "Damage",
    "TH": "Theft",
    "PD": "Persistent disruptive behaviour",
    "OT": "Other",
}
"""The school census reason codes used up to 2019/20, and their labels."""

NEWER_REASONS = (
    "Use or threat of use of an offensive weapon or prohibited item",
    "Abuse against sexual orientation and gender identity",
    "Abuse relating to disability",
    "Inappropriate use of social media or online technology",
    "Wilful and repeated transgression of protective measures in place to protect public health",
)

VIOLENT_EXCLUSION_REASONS: tuple[str, ...] = (
    "Physical assault against a pupil",
    "Physical assault against an adult",
    "Use or threat of use of an offensive weapon or prohibited item",
)
"""Reasons that are violence in themselves (the youth-violence layer may select them)."""
