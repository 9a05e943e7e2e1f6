"""Regions: whatever a person types (北京 / 北京市 / BJ / Beijing / 京) → one canonical code.

Code scheme
-----------
* Provincial-level divisions use ISO 3166-2:CN: "CN-BJ" 北京市, "CN-GD" 广东省,
  "CN-NM" 内蒙古自治区, "CN-HK" 香港, "CN-MO" 澳门, "CN-TW" 台湾 — all 34 (23 provinces
  incl. Taiwan, 5 autonomous regions, 4 municipalities, 2 SARs).
* Cities append 2–3 letters to their province's code: "CN-GD-SZ" 深圳, "CN-JS-SZ" 苏州,
  "CN-GD-GZ" 广州. The letters are unique within a province only, so a city code is always read
  with its province prefix. Municipalities have no city codes: 北京 is "CN-BJ".

What is accepted (case, width, spacing, punctuation and accents are ignored; traditional
characters are read as simplified, so 廣東 / 臺灣 / 蘇州 work):
* the code itself ("CN-GD-SZ", "cn-bj") and a city code without "CN-" ("GD-SZ");
* a province's two letters ("BJ", "GD") — except HN, HB, SX and GZ, which everyday usage
  makes ambiguous (湖南/河南/海南, 湖北/河北, 山西/陕西, 贵州/广州); city letters alone ("SZ")
  never, since they repeat across provinces (深圳/苏州);
* Chinese full, short and suffix forms (广东省/广东, 内蒙古自治区/内蒙古,
  香港特别行政区/香港特区/香港, 深圳市/深圳) and one-character abbreviations (京 沪 粤 浙 …);
* English and pinyin names, old romanizations and suffix forms (Guangdong Province, Beijing
  City, Shenzhen Shi, Peking, Canton, Amoy, Xi'an/Xian);
* a province followed or preceded by one of its cities, optionally with China around it:
  "广东省深圳市", "广东深圳", "Shenzhen, Guangdong, China" → the city.

Where a name means two places, the province wins over a city (吉林 → CN-JL; 吉林市 → CN-JL-JL)
and a name shared by two cities (Taizhou: 泰州 and 台州) is accepted only with its province
("Taizhou, Zhejiang"). Text below city level (districts, streets) is not accepted: this
normalizes a region field, it does not parse addresses.

The lookup table is built once at import; a lookup is a dict hit, or for combined input a
segmentation of a short string.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator

from server.domain.errors import InvalidValue
from server.domain.hanzi import is_han, to_simplified
from server.domain.region_data import (
    AMBIGUOUS_PROVINCE_LETTERS,
    CHINA_NAMES,
    CITIES,
    PROVINCES,
    CityRow,
    ProvinceRow,
)

_MAX_INPUT_KEY = 64  # a region is a few words; longer input is not a region
_MAX_PARTS = 4  # e.g. 中国 + 广东省 + 深圳市, with room for one repetition

_EN_SUFFIXES = {
    "municipality": ("", "city", "shi", "municipality"),
    "province": ("", "province", "sheng"),
    "autonomous": ("", "autonomous region", "zizhiqu", "region"),
    "sar": ("", "sar", "special administrative region"),
}
_EN_CITY_SUFFIXES = ("", "city", "shi")


def region_key(text: str) -> str:
    """The comparison form of a region name: letters and digits only, accents dropped,
    full-width folded, traditional → simplified, case-folded. "Xi'an" and "XIAN" → "xian"."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch)[0] in "LN")
    return to_simplified(unicodedata.normalize("NFC", kept)).casefold()


def _is_han(text: str) -> bool:
    return bool(text) and all(is_han(ch) for ch in text)


def _province_names(row: ProvinceRow) -> Iterator[str]:
    yield row.zh
    yield row.short
    if row.kind == "autonomous":
        yield row.short + "自治区"
        yield row.short + "省"  # a common slip (广西省) that is still unambiguous
    for name in (row.en, *row.aliases):
        if _is_han(name):
            yield name
        else:
            yield from (f"{name} {suffix}" for suffix in _EN_SUFFIXES[row.kind])


def _city_names(row: CityRow) -> Iterator[str]:
    yield row.zh
    yield row.zh.removesuffix("市")
    for name in (row.en, *row.aliases):
        yield from (f"{name} {suffix}" for suffix in _EN_CITY_SUFFIXES)


def _province_codes(row: ProvinceRow) -> Iterator[str]:
    yield row.code
    letters = row.code.removeprefix("CN-")
    if letters not in AMBIGUOUS_PROVINCE_LETTERS:
        yield letters
    yield from row.abbr  # each character is an abbreviation


def _city_codes(row: CityRow) -> Iterator[str]:
    yield row.code
    yield row.code.removeprefix("CN-")


def _build_names() -> dict[str, frozenset[str]]:
    """Name key → every region it may mean (China's own names → empty set: ignorable)."""
    names: defaultdict[str, set[str]] = defaultdict(set)
    for province in PROVINCES:
        for name in _province_names(province):
            names[region_key(name)].add(province.code)
    for city in CITIES:
        for name in _city_names(city):
            names[region_key(name)].add(city.code)
    for name in CHINA_NAMES:
        names.setdefault(region_key(name), set())  # known, but names no region
    return {key: frozenset(codes) for key, codes in names.items()}


def _build_lookup(names: dict[str, frozenset[str]]) -> dict[str, str]:
    """Key → code for every unambiguous alias: names, codes, letters, abbreviations."""
    lookup: dict[str, str] = {}
    for key, codes in names.items():
        provinces = [code for code in codes if code in _PROVINCE_BY_CODE]
        if len(codes) == 1:
            (lookup[key],) = codes
        elif len(provinces) == 1:  # 吉林: the province wins over its namesake city
            lookup[key] = provinces[0]
    exact = [(code, p.code) for p in PROVINCES for code in _province_codes(p)]
    exact += [(code, c.code) for c in CITIES for code in _city_codes(c)]
    for alias, code in exact:
        key = region_key(alias)
        if key in names or lookup.get(key, code) != code:
            raise ValueError(f"region alias {alias!r} is ambiguous")  # a data error: fix the table
        lookup[key] = code
    return lookup


_PROVINCE_BY_CODE: dict[str, ProvinceRow] = {p.code: p for p in PROVINCES}
_CITY_BY_CODE: dict[str, CityRow] = {c.code: c for c in CITIES}
_NAMES: dict[str, frozenset[str]] = _build_names()
_LOOKUP: dict[str, str] = _build_lookup(_NAMES)
_MAX_NAME_KEY = max(len(key) for key in _NAMES)
_HAN_NAMES: frozenset[str] = frozenset(k for k, codes in _NAMES.items() if codes and _is_han(k))
_MAX_HAN_NAME = max(len(key) for key in _HAN_NAMES)

# Names that mean more than one city; accepted only with their province.
AMBIGUOUS_NAMES: frozenset[str] = frozenset(
    key for key, codes in _NAMES.items() if codes and key not in _LOOKUP
)


def normalize_region(value: str) -> str:
    """Any accepted spelling → canonical code; raises InvalidValue("region.unknown")."""
    key = region_key(value)
    code = _LOOKUP.get(key) or _resolve_combined(key)
    if code is None:
        raise InvalidValue("region.unknown")
    return code


def region_name(code: str, lang: str = "zh-CN") -> str:
    """Display name: "北京市" / "Beijing". Any "zh*" language gets Chinese, others English."""
    row = _PROVINCE_BY_CODE.get(code) or _CITY_BY_CODE.get(code)
    if row is None:
        raise InvalidValue("region.unknown")
    return row.zh if lang.lower().startswith("zh") else row.en


def region_short_name(code: str) -> str:
    """The Chinese name people use: "北京", "内蒙古", "深圳" (no 市/省/自治区)."""
    if province := _PROVINCE_BY_CODE.get(code):
        return province.short
    if city := _CITY_BY_CODE.get(code):
        return city.zh.removesuffix("市")
    raise InvalidValue("region.unknown")


def region_province(code: str) -> str:
    """The province-level code of a city code; a province-level code is its own province."""
    if code in _PROVINCE_BY_CODE:
        return code
    if code in _CITY_BY_CODE:
        return code.rsplit("-", 1)[0]
    raise InvalidValue("region.unknown")


def is_city(code: str) -> bool:
    return code in _CITY_BY_CODE


def all_regions() -> list[tuple[str, str, str]]:
    """(code, 中文名, English name) for pickers: each province followed by its cities."""
    cities_of: defaultdict[str, list[CityRow]] = defaultdict(list)
    for city in CITIES:
        cities_of[region_province(city.code)].append(city)
    rows: list[tuple[str, str, str]] = []
    for province in PROVINCES:
        rows.append((province.code, province.zh, province.en))
        rows.extend((city.code, city.zh, city.en) for city in cities_of[province.code])
    return rows


def is_place_name(text: str) -> bool:
    """True for a region in any accepted spelling, or for China itself ("中国", "China")."""
    key = region_key(text)
    return key in _LOOKUP or _NAMES.get(key) == frozenset() or _resolve_combined(key) is not None


def split_region_prefix(text: str) -> tuple[str, str]:
    """Split leading Chinese region names off `text`: "广东省深圳市某某科技" → ("广东省深圳市",
    "某某科技"). Only whole names count — never one-character abbreviations, so "京东" stays
    whole. Returns ("", text) when `text` does not start with a region."""
    end = 0
    while length := _leading_region_length(text, end):
        end += length
    return text[:end], text[end:]


def _leading_region_length(text: str, start: int) -> int:
    longest = min(_MAX_HAN_NAME, len(text) - start)
    for length in range(longest, 1, -1):
        if to_simplified(text[start : start + length]) in _HAN_NAMES:
            return length
    return 0


def _resolve_combined(key: str) -> str | None:
    """A key made of several names ("广东省深圳市", "shenzhenguangdongchina") → the one place
    they agree on, preferring the most specific; None if nothing or more than one place fits."""
    if not key or len(key) > _MAX_INPUT_KEY:
        return None
    answers = {
        answer
        for parts in _segmentations(key)
        for combo in itertools.product(*(codes for codes in parts if codes))
        if combo and (answer := _agreeing_place(combo))
    }
    cities = {code for code in answers if code in _CITY_BY_CODE}
    candidates = cities or answers
    return next(iter(candidates)) if len(candidates) == 1 else None


def _segmentations(key: str) -> list[list[frozenset[str]]]:
    """Every way to cut `key` into consecutive region (or China) names, at most _MAX_PARTS."""
    found: list[list[frozenset[str]]] = []

    def walk(start: int, parts: list[frozenset[str]]) -> None:
        if start == len(key):
            found.append(parts)
            return
        if len(parts) == _MAX_PARTS:
            return
        for end in range(min(len(key), start + _MAX_NAME_KEY), start + 1, -1):
            codes = _NAMES.get(key[start:end])
            if codes is not None:
                walk(end, [*parts, codes])

    walk(0, [])
    return found


def _agreeing_place(codes: Iterable[str]) -> str | None:
    """The place named by a province and/or one city within it; None if they disagree."""
    unique = set(codes)
    provinces = {region_province(code) for code in unique}
    cities = [code for code in unique if code in _CITY_BY_CODE]
    if len(provinces) != 1 or len(cities) > 1:
        return None
    return cities[0] if cities else provinces.pop()
