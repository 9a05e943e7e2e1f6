"""CSV import (with a dry-run report) and streaming CSV export of customers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from server.db.tables import Customer, User
from server.domain.access import Actor
from server.domain.csv_format import (
    EXPORT_FIELDS,
    MAX_ROWS,
    export_header,
    read_rows,
    row_to_fields,
    to_csv_lines,
)
from server.domain.customers import CustomerRules, validate_customer
from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.normalize import format_phone
from server.services import audit
from server.services.customers import CustomerFilter, create_customer, filter_where

EXPORT_BATCH = 1000


@dataclass
class RowProblem:
    row: int  # 1-based data row number as a spreadsheet shows it (header is row 1)
    errors: list[FieldError]


@dataclass
class DuplicateHit:
    row: int
    by: str  # phone | email
    value: str
    existing_id: str | None  # None when the duplicate is an earlier row of the same file
    existing_name: str | None
    existing_row: int | None = None


@dataclass
class ImportReport:
    dry_run: bool
    total_rows: int = 0
    accepted: int = 0
    imported: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    duplicates: list[DuplicateHit] = field(default_factory=list)


@dataclass
class _ValidRow:
    row: int
    fields: dict[str, Any]
    owner_id: int | None
    columns: dict[str, Any]


async def _owner_ids(usernames: set[str]) -> dict[str, int]:
    if not usernames:
        return {}
    rows = await User.select(User.id, User.username).where(
        User.username.is_in(list(usernames)) & User.active.eq(True)
    )
    return {r["username"]: r["id"] for r in rows}


def _parse(content: bytes) -> list[tuple[dict[str, Any], str | None]]:
    try:
        _, reader = read_rows(content)
        rows = []
        for index, row in enumerate(reader):
            if index >= MAX_ROWS:
                raise InvalidValue("csv.too_large", max=MAX_ROWS)
            rows.append(row_to_fields(row))
    except InvalidValue as exc:
        raise ValidationFailed([FieldError("file", exc.code, exc.params)]) from exc
    return rows


async def _validate_rows(
    actor: Actor,
    parsed: list[tuple[dict[str, Any], str | None]],
    rules: CustomerRules,
    report: ImportReport,
) -> list[_ValidRow]:
    owners = await _owner_ids({owner for _, owner in parsed if owner})
    valid = []
    for number, (fields, owner_name) in enumerate(parsed, start=2):
        errors: list[FieldError] = []
        owner_id = owners.get(owner_name) if owner_name else None
        if owner_name and owner_id is None:
            errors.append(FieldError("owner", "user.unknown"))
        elif owner_id not in (None, actor.id) and not actor.is_manager_or_admin:
            errors.append(FieldError("owner", "auth.forbidden"))
        try:
            columns = validate_customer(fields, rules)
        except ValidationFailed as exc:
            errors = exc.errors + errors
            columns = {}
        if errors:
            report.rejected.append(RowProblem(number, errors))
        else:
            valid.append(_ValidRow(number, fields, owner_id, columns))
    return valid


async def _find_duplicates(rows: list[_ValidRow], report: ImportReport) -> set[int]:
    """Exact phone/email matches against existing customers and earlier rows of the file."""
    duplicate_rows: set[int] = set()
    for key in ("phone", "email"):
        values = {r.columns[key] for r in rows if r.columns.get(key)}
        existing: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(values), 500):
            column = getattr(Customer, key)
            for hit in await Customer.select(Customer.id, Customer.name, column).where(
                column.is_in(chunk) & Customer.deleted.eq(False)
            ):
                existing[hit[key]] = hit
        first_row_with: dict[str, int] = {}
        for row in rows:
            value = row.columns.get(key)
            if not value:
                continue
            if value in existing:
                hit = existing[value]
                report.duplicates.append(
                    DuplicateHit(row.row, key, value, str(hit["id"]), hit["name"])
                )
                duplicate_rows.add(row.row)
            elif value in first_row_with:
                report.duplicates.append(
                    DuplicateHit(
                        row.row, key, value, None, None, existing_row=first_row_with[value]
                    )
                )
                duplicate_rows.add(row.row)
            else:
                first_row_with[value] = row.row
    return duplicate_rows


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


async def import_customers(
    engine: Engine, actor: Actor, content: bytes, rules: CustomerRules, dry_run: bool
) -> ImportReport:
    """Validate every row; report rejects and likely duplicates; unless dry_run, insert the
    accepted non-duplicate rows in one transaction (all of them or none)."""
    parsed = _parse(content)
    report = ImportReport(dry_run=dry_run, total_rows=len(parsed))
    valid = await _validate_rows(actor, parsed, rules, report)
    duplicate_rows = await _find_duplicates(valid, report)
    to_import = [r for r in valid if r.row not in duplicate_rows]
    report.accepted = len(to_import)
    if dry_run or not to_import:
        return report
    async with engine.transaction():
        for row in to_import:
            await create_customer(
                engine, actor, row.fields, rules, owner_id=row.owner_id, reason="import"
            )
        await audit.record(
            actor,
            "import",
            "customer",
            detail=json.dumps({"rows": report.total_rows, "imported": len(to_import)}),
        )
    report.imported = len(to_import)
    return report


async def export_customers(
    actor: Actor, flt: CustomerFilter, phone_region: str
) -> AsyncIterator[str]:
    """CSV text in batches (keyset paging by id), so a 100k-row export never sits in memory.
    The caller audits the export before streaming starts."""
    where = filter_where(actor, flt, phone_region)
    yield "\ufeff" + to_csv_lines([export_header()])  # BOM: Excel then reads UTF-8 Chinese
    last_id: uuid.UUID | None = None
    while True:
        query = Customer.select(
            *Customer.all_columns(), Customer.owner.username.as_alias("owner_username")
        ).where(where)
        if last_id is not None:
            query = query.where(Customer.id > last_id)
        batch = await query.order_by(Customer.id).limit(EXPORT_BATCH)
        if not batch:
            return
        yield to_csv_lines(_export_row(row, phone_region) for row in batch)
        last_id = batch[-1]["id"]


def _export_row(row: dict[str, Any], phone_region: str) -> list[Any]:
    values = {
        **row,
        "region": row["region_code"],
        "phone": format_phone(row["phone"], phone_region) if row["phone"] else None,
        "tags": ";".join(json.loads(row["tags"] or "[]")),
        "owner": row["owner_username"],
    }
    return [values.get(f) for f in EXPORT_FIELDS]
