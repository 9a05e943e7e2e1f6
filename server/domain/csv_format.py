"""The customer CSV format: column names (English or Chinese headers) and row conversion.

Import accepts either language's headers; export writes bilingual headers "name/名称" that
import reads back, so an exported file round-trips.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from server.domain.errors import InvalidValue

# field → accepted header names (first is English, second is Chinese)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "客户名称", "公司名称", "company"),
    "kind": ("kind", "类型"),
    "phone": ("phone", "电话", "手机", "手机号", "mobile"),
    "email": ("email", "邮箱", "电子邮件"),
    "region": ("region", "地区", "区域", "城市", "省份"),
    "address": ("address", "地址"),
    "industry": ("industry", "行业"),
    "size": ("size", "规模"),
    "grade": ("grade", "等级", "客户等级"),
    "lifecycle": ("lifecycle", "阶段", "生命周期"),
    "source": ("source", "来源"),
    "tags": ("tags", "标签"),
    "notes": ("notes", "备注"),
    "owner": ("owner", "负责人"),
}
REQUIRED_COLUMNS = ("name",)
TAG_SEPARATORS = (";", "；", "|", "、")
MAX_ROWS = 50_000


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for field, names in COLUMNS.items():
        for name in names:
            lookup[name.casefold()] = field
        lookup[f"{names[0]}/{names[1]}".casefold()] = field
    return lookup


_HEADERS = _header_lookup()


def map_header(header: str) -> str | None:
    """A CSV header → field name; custom fields are `custom.<key>`; None if unknown."""
    cleaned = header.strip().lstrip("\ufeff")
    if cleaned.casefold().startswith("custom."):
        return "custom." + cleaned[len("custom.") :]
    return _HEADERS.get(cleaned.casefold())


def split_tags(value: str) -> list[str]:
    for separator in TAG_SEPARATORS[1:]:
        value = value.replace(separator, TAG_SEPARATORS[0])
    return [tag.strip() for tag in value.split(TAG_SEPARATORS[0]) if tag.strip()]


def read_rows(content: bytes) -> tuple[list[str], Iterator[dict[str, str]]]:
    """Decode (UTF-8, with or without BOM; GB18030 as Excel-in-China fallback) and parse."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidValue("csv.unreadable")
    reader = csv.DictReader(io.StringIO(text))
    headers = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED_COLUMNS if c not in {map_header(h) for h in headers}]
    if missing:
        raise InvalidValue("csv.bad_header", columns=", ".join(missing))
    return headers, reader


def row_to_fields(row: dict[str, str | None]) -> tuple[dict[str, Any], str | None]:
    """One CSV row → (customer fields, owner username or None). Empty cells are omitted."""
    fields: dict[str, Any] = {}
    custom: dict[str, str] = {}
    owner = None
    for header, raw in row.items():
        field = map_header(header or "")
        value = _unneutralize((raw or "").strip() if isinstance(raw, str) else "")
        if field is None or not value:
            continue
        if field == "owner":
            owner = value
        elif field == "tags":
            fields["tags"] = split_tags(value)
        elif field.startswith("custom."):
            custom[field.removeprefix("custom.")] = value
        else:
            fields[field] = value
    if custom:
        fields["custom"] = custom
    return fields, owner


EXPORT_FIELDS = (
    "id", "name", "kind", "phone", "email", "region", "address", "industry", "size",
    "grade", "lifecycle", "source", "tags", "notes", "owner",
)  # fmt: skip


def export_header() -> list[str]:
    return ["id" if f == "id" else f"{COLUMNS[f][0]}/{COLUMNS[f][1]}" for f in EXPORT_FIELDS]


def _unneutralize(value: str) -> str:
    """Undo neutralize_formula, so our own exports import back unchanged."""
    if value.startswith("'") and value[1:2] in ("=", "@", "+", "-", "\t", "\r"):
        return value[1:]
    return value


def neutralize_formula(value: Any) -> Any:
    """Stop spreadsheet formula injection (=HYPERLINK(…) in a company name) when an export is
    opened in Excel: prefix a quote, except for plain numbers such as "+8613800138000"."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not value[1:].replace(" ", "").isdigit()):
        return "'" + value
    return value


def to_csv_lines(rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else neutralize_formula(v) for v in row])
    return buffer.getvalue()
