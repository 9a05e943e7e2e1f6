"""CSV import (dry run first) and streaming, audited CSV export of customers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Stream

from server.api.auth import current_actor, managers_only
from server.api.state import Ctx, request_language
from server.i18n import translate
from server.services import audit, csv_io
from server.services.customers import CustomerFilter, load_checks


def _report_out(report: csv_io.ImportReport, lang: str) -> dict[str, Any]:
    body = dataclasses.asdict(report)
    for problem in body["rejected"]:
        for error in problem["errors"]:
            error["message"] = translate(error["code"], lang, error["params"])
            del error["params"]
    return body


class CsvController(Controller):
    path = "/api/customers"
    tags = ["import/export"]

    @post("/import")
    async def import_csv(
        self,
        request: Request,
        ctx: Ctx,
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: FromQuery[bool] = True,
    ) -> dict[str, Any]:
        """Upload a CSV (field `data`). With dry_run (the default) nothing is written."""
        content = await data.read()
        checks = await load_checks(ctx.settings.default_phone_region)
        report = await csv_io.import_customers(
            ctx.engine, current_actor(request), content, checks, dry_run
        )
        return _report_out(report, request_language(request))

    @get("/export.csv", guards=[managers_only])
    async def export_csv(
        self,
        request: Request,
        ctx: Ctx,
        q: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
        grade: FromQuery[str | None] = None,
        stage: FromQuery[str | None] = None,
        owner_id: FromQuery[int | None] = None,
        tag: FromQuery[str | None] = None,
    ) -> Stream:
        actor = current_actor(request)
        flt = CustomerFilter(
            q=q, region=region, grade=grade, lifecycle=stage, owner_id=owner_id, tag=tag
        )
        filters = {k: v for k, v in dataclasses.asdict(flt).items() if v is not None}
        await audit.record(
            actor, "export", "customer", detail=json.dumps(filters, ensure_ascii=False)
        )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        return Stream(
            csv_io.export_customers(actor, flt, ctx.settings.default_phone_region),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="customers-{stamp}.csv"'},
        )
