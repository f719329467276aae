"""What a resident can do: who to call or tell, configurable per region (``[contacts]``).

The national defaults (999, 101, Crimestoppers, Fearless) hold everywhere in England; a region
adds its VRU's own services (a web address, a phone) and may reword or replace any line. The
build words them once (:func:`what_to_do`) and every answer carries the result, so the map
page shows them as given.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sna.config.base import StrictModel

__all__ = ["Contact", "ContactsSpec", "DEFAULT_CONTACTS", "what_to_do"]


class Contact(StrictModel):
    """One line of "what to do": when, who, and how to reach them."""

    when: str = Field(description="When to use it, in a word or two: 'Emergency'.")
    name: str
    phone: str = ""
    website: str = Field("", pattern=r"^(https://\S+)?$")


DEFAULT_CONTACTS: tuple[Contact, ...] = (
    Contact(when="Emergency", name="Police", phone="999"),
    Contact(when="Not an emergency", name="Police", phone="101"),
    Contact(
        when="Anonymously",
        name="Crimestoppers",
        phone="0800 555 111",
        website="https://crimestoppers-uk.org",
    ),
    Contact(
        when="Young people",
        name="Fearless",
        website="https://www.fearless.org",
    ),
)


class ContactsSpec(StrictModel):
    """``[contacts]`` in the region TOML: the VRU's services and, optionally, other lines."""

    vru_website: str = Field("", pattern=r"^(https://\S+)?$", description="The VRU's site.")
    vru_phone: str = ""
    vru_services: str = Field("Local support", description="What the VRU offers, briefly.")
    lines: list[Contact] = Field(
        default_factory=lambda: list(DEFAULT_CONTACTS),
        description="The national lines (999, 101, Crimestoppers, Fearless) unless replaced.",
    )


def what_to_do(spec: dict[str, Any] | None, region: dict[str, Any]) -> dict[str, Any]:
    """The contacts of a build (from its manifest's config) and one line in words:
    "Emergency: Police 999 · Not an emergency: Police 101 · ..."."""
    contacts = ContactsSpec.model_validate(spec or {})
    items = [c.model_dump() for c in contacts.lines]
    vru = str(region.get("vru") or "")
    if vru:
        items.append(
            {
                "when": contacts.vru_services,
                "name": vru,
                "phone": contacts.vru_phone,
                "website": contacts.vru_website,
            }
        )
    parts = []
    for c in items:
        site = c["website"].removeprefix("https://").removeprefix("www.").rstrip("/")
        how = c["phone"] or site
        parts.append(f"{c['when']}: {c['name']}" + (f" {how}" if how else ""))
    return {"in_words": " · ".join(parts), "contacts": items}
