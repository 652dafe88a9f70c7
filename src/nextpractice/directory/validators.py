"""Validation and normalisation of URNs and UK postcodes (pure; no Django models)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

URN_RE = re.compile(r"^(?:\d{6,7}|(?:EY|RP|EH)\d{6})$")
# The UK postcode format: outward code (area, district) and inward code (sector, unit).
POSTCODE_RE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?(?:\d[A-Z]{2}|0AA)$")


def normalise_urn(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_urn(value: str) -> None:
    if not URN_RE.match(normalise_urn(value)):
        raise ValidationError(
            "Enter a URN of 6 or 7 digits, or EY, RP or EH followed by 6 digits",
            code="invalid_urn",
        )


def normalise_postcode(value: str) -> str:
    """'ls1 1ur' -> 'LS1 1UR'. Raises ValidationError when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if len(compact) < 5 or not POSTCODE_RE.match(compact):
        raise ValidationError("Enter a real UK postcode, like LS1 1UR", code="invalid_postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    normalise_postcode(value)


LA_CODE_RE = re.compile(r"^[0-9]{3}$")


def parse_la_codes(value: str) -> set[str]:
    """'380, 381' -> {'380', '381'} (GIAS LA codes are three ASCII digits)."""
    return {code.strip() for code in (value or "").split(",") if code.strip()}


def validate_la_codes(value: str) -> None:
    bad = sorted(c for c in parse_la_codes(value) if not LA_CODE_RE.match(c))
    if bad:
        raise ValidationError(
            f"LA codes are three digits, separated by commas (not {', '.join(bad)})",
            code="invalid_la_code",
        )
