"""CSV import (with a dry-run report) and streaming CSV export of customers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from server.db.engine import write_transaction
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
from server.domain.dedup import DuplicateCheck
from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.normalize import format_phone
from server.services import assignment, audit, dedup
from server.services.customers import CustomerFilter, create_customer, filter_where
from server.services.entities import Checks

EXPORT_BATCH = 1000


@dataclass
class RowProblem:
    row: int  # 1-based data row number as a spreadsheet shows it (header is row 1)
    errors: list[FieldError]


@dataclass
class DuplicateHit:
    row: int
    by: str  # the strongest agreeing field: phone | email | name | address
    value: str
    existing_id: str | None  # None for an earlier row of the file, or a record you can't see
    existing_name: str | None
    existing_row: int | None = None
    score: float | None = None  # 0-100, see server/domain/dedup/scoring.py
    owner_name: str | None = None  # who owns the existing customer (撞单)


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


async def _find_duplicates(actor: Actor, rows: list[_ValidRow], report: ImportReport) -> set[int]:
    """Likely duplicates (fuzzy, server/services/dedup.py) among existing customers and
    earlier rows of the file; a customer the importer may not see shows name and owner only."""
    hits = await dedup.import_duplicates(actor, [(r.row, r.columns) for r in rows])
    for hit in hits:
        found = hit.existing
        report.duplicates.append(
            DuplicateHit(
                hit.row,
                hit.by,
                hit.value,
                found.id if found and found.visible else None,
                found.name if found else None,
                existing_row=hit.earlier_row,
                score=hit.score,
                owner_name=found.owner_name if found else None,
            )
        )
    return {hit.row for hit in hits}


async def import_customers(
    engine: Engine, actor: Actor, content: bytes, checks: Checks, dry_run: bool
) -> ImportReport:
    """Validate every row; report rejects and likely duplicates; unless dry_run, insert the
    accepted non-duplicate rows in one transaction (all of them or none)."""
    parsed = _parse(content)
    report = ImportReport(dry_run=dry_run, total_rows=len(parsed))
    valid = await _validate_rows(actor, parsed, checks.customer_rules, report)
    duplicate_rows = await _find_duplicates(actor, valid, report)
    to_import = [r for r in valid if r.row not in duplicate_rows]
    report.accepted = len(to_import)
    if dry_run or not to_import:
        return report
    async with write_transaction(engine):
        new_leads = []
        for row in to_import:
            created = await create_customer(
                engine,
                actor,
                row.fields,
                checks,
                owner_id=row.owner_id,
                reason="import",
                assign_by_rules=False,
                duplicates=DuplicateCheck(skip=True),  # reported above; duplicate rows skipped
            )
            if assignment.goes_through_rules(actor, row.owner_id):
                new_leads.append(created["id"])
        await assignment.assign_new_leads(engine, actor, new_leads)  # one batch, not per row
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
