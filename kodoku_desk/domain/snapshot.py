"""What a hand-off disclosed, as data (docs/DOMAIN.md §5–§6): the snapshot's canonical form and
digest, and what of it a receiving agency may pass on. Pure: services.sharing builds the
content from the sheet and stores it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

FORMAT = 1
# Keys of the content that belong to one section: dropped when that section is not shared.
SECTION_PARTS = {
    "worries": ("worries", "most_pressing"),
    "household": ("household",),
    "consent": ("consent",),
}
# The person's identity travels with every hand-off (the receiver must know whom it is about);
# the address and phones only with the ご本人について section.
IDENTITY = ("name", "kana", "sex", "birth_date")
CONTACT = ("address", "phone")


def canonical(content: dict[str, Any]) -> bytes:
    """One byte string for one content: sorted keys, no whitespace, UTF-8 (the digest's input)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def restrict(content: dict[str, Any], sections: Iterable[str],
             section_of: dict[str, str]) -> dict[str, Any]:
    """The part of a snapshot's content a receiving agency may pass on: only `sections`
    (section_of maps each answer key to its section, from the sheet's template)."""
    keep = [s for s in content.get("sections", []) if s in set(sections)]
    out = dict(content)
    out["sections"] = keep
    out["answers"] = {k: v for k, v in content.get("answers", {}).items()
                      if section_of.get(k) in keep}
    for section, parts in SECTION_PARTS.items():
        if section not in keep:
            for part in parts:
                out[part] = [] if part != "most_pressing" else ""
    person = dict(content.get("person", {}))
    if "basic" not in keep:
        for key in CONTACT:
            person.pop(key, None)
    out["person"] = person
    if "reception" not in keep:
        out.pop("reception", None)
    if "urgency" not in keep:
        out.pop("urgency", None)
    return out
