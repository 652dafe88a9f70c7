"""England's local authorities, shipped as data (``data/local_authorities.csv``).

Each register names an authority its own way (GIAS "Bristol, City of", others "Bristol City
of", "Durham" for County Durham); what ties them together is the DfE three-digit LA code
(with the ONS GSS code alongside). Areas hold codes, and an import row is matched to an
area by its code: GIAS rows carry one; Ofsted's childcare register carries only a name, so
it is looked up here, in this closed list, never compared as free text with an area's name.
Pure: no Django.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "local_authorities.csv"


@dataclass(frozen=True)
class LocalAuthority:
    code: str  # DfE LA code, e.g. "202"
    gss: str  # ONS GSS code, e.g. "E09000007"
    name: str
    gias_name: str
    ofsted_name: str


@cache
def all_authorities() -> dict[str, LocalAuthority]:
    """Every English local authority by its LA code."""
    with DATA.open(newline="", encoding="utf-8") as f:
        return {
            row["la_code"]: LocalAuthority(
                row["la_code"], row["gss_code"], row["name"], row["gias_name"], row["ofsted_name"]
            )
            for row in csv.DictReader(f)
        }


def normalise_name(name: str) -> str:
    """A register's spelling reduced to compare: case, punctuation, "&", "City of", "County"
    ("Bristol, City of" = "Bristol City Of" = "Bristol"; "County Durham" = "Durham")."""
    text = name.casefold().replace("&", " and ").replace(".", "")
    words = re.findall(r"[a-z0-9]+", text)
    text = " ".join(words)
    text = re.sub(r"\b(city of|county of)$", "", text).strip()
    return re.sub(r"^(city of|county) (?!of london)", "", text).strip()


@cache
def _by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    for la in all_authorities().values():
        for spelling in (la.name, la.gias_name, la.ofsted_name):
            names.setdefault(normalise_name(spelling), la.code)
    return names


@lru_cache(maxsize=1024)  # a national file names the same 153 authorities 70,000 times
def code_for_name(name: str) -> str | None:
    """The LA code of a register's name for an authority, or None when it names none."""
    return _by_name().get(normalise_name(name)) if name.strip() else None


def get(code: str) -> LocalAuthority | None:
    return all_authorities().get(code)
