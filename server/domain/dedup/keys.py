"""What duplicate matching compares: one `MatchRecord` per customer, built from normalized
values (match key, E.164 phone, case-folded email, region code).

Stored customers already carry normalized columns, so the nightly job builds records from
them without re-normalizing (`MatchRecord.from_columns`). A form being typed or an import
row is normalized here leniently (`MatchRecord.from_input`): a value that does not parse yet
simply does not take part in matching. A company without a region, or with only a province,
takes the place its name names if that is more precise ("星辰科技（深圳）有限公司",
"湖州星辰科技"): that is where the customer is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.customers import match_key
from server.domain.errors import InvalidValue
from server.domain.hanzi import has_han
from server.domain.normalize import clean_text, normalize_email, normalize_phone
from server.domain.regions import normalize_region, split_region_prefix

# Keys shorter than this after removing a leading region are too generic to compare alone.
_MIN_CORE = 2
_BRACKETED = re.compile(r"\(([^()]{2,20})\)")  # after clean_text, （） are ()


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """The comparable form of one customer. `id` is opaque (a UUID string, an import row)."""

    id: str
    kind: str  # company | person
    key: str  # company_match_key / person_name_key of the name
    core: str  # the key without a leading Chinese region ("北京星辰科技" → "星辰科技")
    han: bool  # the key is written in Chinese characters
    words: str  # Latin names: the cleaned name's words, for token-set comparison
    phone: str | None
    email: str | None
    region: str | None
    address: str | None

    @classmethod
    def from_columns(
        cls,
        id: str,
        kind: str,
        name: str,
        name_key: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        region: str | None = None,
        address: str | None = None,
    ) -> MatchRecord:
        """From values already normalized as stored (name_key is derived if not given)."""
        key = name_key or match_key(kind, name)
        han = has_han(key)
        if kind == "company" and (region is None or _is_province(region)):
            region = _more_precise(region, _place_in_name(name))
        return cls(
            id=id,
            kind=kind,
            key=key,
            core=_core(key) if han else key,
            han=han,
            words="" if han else _words(name),
            phone=phone or None,
            email=email or None,
            region=region,
            address=clean_text(address).casefold() if address else None,
        )

    @classmethod
    def from_input(
        cls,
        id: str,
        kind: str | None,
        name: str,
        phone: str | None = None,
        email: str | None = None,
        region: str | None = None,
        address: str | None = None,
        phone_region: str = "CN",
    ) -> MatchRecord:
        """From raw user input; values that do not (yet) parse are left out."""
        return cls.from_columns(
            id,
            kind if kind in ("company", "person") else "company",
            clean_text(name or ""),
            phone=_lenient(normalize_phone, phone, phone_region),
            email=_lenient(normalize_email, email),
            region=_lenient(normalize_region, region),
            address=address,
        )


def _lenient(normalize, raw: str | None, *args: str) -> str | None:
    if not raw or not clean_text(raw):
        return None
    try:
        return normalize(raw, *args)
    except InvalidValue:
        return None


def _core(key: str) -> str:
    """A key that still starts with a place (the name had no legal form, so normalization
    kept it: "北京星辰科技") compared by what follows the place."""
    _, rest = split_region_prefix(key)
    return rest if len(rest) >= _MIN_CORE else key


def _is_province(code: str) -> bool:
    return code.count("-") == 1  # "CN-GD"; cities are "CN-GD-SZ"


def _more_precise(region: str | None, place: str | None) -> str | None:
    if place and (region is None or place.startswith(region + "-")):
        return place
    return region


def _place_in_name(name: str) -> str | None:
    text = clean_text(name)
    bracketed = _BRACKETED.search(text)
    leading, _ = split_region_prefix(text)
    for place in (leading, bracketed.group(1) if bracketed else ""):
        if code := _lenient(normalize_region, place):
            return code
    return None


def _words(name: str) -> str:
    folded = clean_text(name).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())
