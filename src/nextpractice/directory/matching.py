"""When a row of one register is a setting already made from the other (pure; no Django).

Ofsted's childcare register has no column linking a provider to a GIAS URN, so a school
with a nursery on Ofsted's register, or a nursery school on both, is recognised by its site
and name: the same postcode, and the same name once the words that only say what kind of
provision it is ("Nursery", "Primary School", "Pre-School", "Ltd", "The") and punctuation
are taken away. "St Mary's C of E Primary School" and "St Marys CofE Primary School Nursery"
at BD7 1AX are one setting; two differently named providers sharing a postcode (a nursery in
a school's grounds run by a company) stay two. A key that matches more than one setting is
not used (never guess): that row makes a new setting, and the coordinator can see both.
"""

from __future__ import annotations

import re

# Words that say what kind of provision, not which one.
KIND_WORDS = frozenset(
    [
        "the",
        "and",
        "ltd",
        "limited",
        "llp",
        "cic",
        "plc",
        "co",
        "uk",
        "nursery",
        "nurseries",
        "school",
        "schools",
        "class",
        "unit",
        "preschool",
        "pre",
        "playgroup",
        "group",
        "day",
        "care",
        "childcare",
        "centre",
        "center",
        "primary",
        "infant",
        "infants",
        "junior",
        "academy",
        "community",
        "kindergarten",
        "montessori",
    ]
)


def name_key(name: str) -> str:
    """A setting's name reduced for comparison ("C of E" = "CofE"; "St." = "St")."""
    text = name.casefold().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"\bc\s*of\s*e\b", "cofe", text)
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in KIND_WORDS]
    return " ".join(words)


def site_key(name: str, postcode: str) -> str | None:
    """Postcode and name key; None when either is missing (no match without both)."""
    compact = re.sub(r"\s+", "", postcode or "").upper()
    key = name_key(name or "")
    if not compact or not key:
        return None
    return f"{compact}|{key}"
