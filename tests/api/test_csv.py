"""CSV import with a dry-run report, and the audited, role-restricted streaming export."""

from __future__ import annotations

import csv
import io

from server.db.tables import AuditLog, Customer

CSV_ZH = (
    "客户名称,电话,邮箱,地区,等级,标签\n"
    "广州明珠贸易有限公司,020-8888 6666,,广州,A,展会;重点\n"
    ",13811112222,,北京,B,\n"  # no name → rejected
    "Nova Foods Ltd.,12345,,上海,C,\n"  # bad phone → rejected
    "深圳南山科技,13811113333,,深圳,B,\n"
    "深圳南山科技有限公司,138 1111 3333,,深圳,B,\n"  # same phone as the row above
)


async def _upload(user, content: str | bytes, dry_run: bool):
    data = content.encode() if isinstance(content, str) else content
    return await user.post(
        "/api/customers/import",
        params={"dry_run": str(dry_run).lower()},
        files={"data": ("customers.csv", data, "text/csv")},
    )


async def test_dry_run_reports_and_writes_nothing(make_user):
    rep = await make_user("rep")
    response = await _upload(rep, CSV_ZH, dry_run=True)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["total_rows"] == 5
    assert report["accepted"] == 2
    rejected = {r["row"]: {e["field"] for e in r["errors"]} for r in report["rejected"]}
    assert rejected == {3: {"name"}, 4: {"phone"}}
    assert [(d["row"], d["by"], d["existing_row"]) for d in report["duplicates"]] == [
        (6, "phone", 5)
    ]
    assert await Customer.count() == 0


async def test_import_writes_accepted_rows_and_flags_existing_duplicates(make_user):
    rep = await make_user("rep")
    report = (await _upload(rep, CSV_ZH, dry_run=False)).json()
    assert report["imported"] == 2
    assert await Customer.count() == 2
    again = (await _upload(rep, CSV_ZH, dry_run=True)).json()
    assert again["accepted"] == 0
    assert {d["by"] for d in again["duplicates"]} == {"phone"}
    assert all(d["existing_id"] for d in again["duplicates"] if d["row"] in (2, 5))


async def test_unreadable_or_headerless_files_are_rejected(make_user):
    rep = await make_user("rep")
    response = await _upload(rep, "phone,email\n123,\n", dry_run=True)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    gbk = "客户名称,电话\n测试公司,13800001111\n".encode("gb18030")
    assert (await _upload(rep, gbk, dry_run=True)).json()["accepted"] == 1


async def test_export_is_for_managers_streams_csv_and_is_audited(make_user, team):
    rep = await make_user("rep", team)
    other_team_rep = await make_user("rep")
    manager = await make_user("manager", team)
    await _upload(rep, CSV_ZH, dry_run=False)
    await other_team_rep.post(
        "/api/customers", json={"name": '=HYPERLINK("x")', "phone": "13999990000"}
    )
    assert (await rep.get("/api/customers/export.csv")).status_code == 403
    response = await manager.get("/api/customers/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][1] == "name/名称"
    assert sorted(r[1] for r in rows[1:]) == ["广州明珠贸易有限公司", "深圳南山科技"]  # team only
    exports = await AuditLog.select().where(AuditLog.action == "export")
    assert [e["actor"] for e in exports] == [manager.id]


async def test_export_neutralizes_formulas_and_round_trips(make_user):
    admin = await make_user("admin")
    await admin.post("/api/customers", json={"name": "=1+2 Corp", "phone": "13999990001"})
    exported = (await admin.get("/api/customers/export.csv")).text
    assert "'=1+2 Corp" in exported
    await admin.delete(
        f"/api/customers/{(await admin.get('/api/customers')).json()['items'][0]['id']}"
    )
    report = (await _upload(admin, exported.encode("utf-8"), dry_run=True)).json()
    assert report["accepted"] == 1, report
