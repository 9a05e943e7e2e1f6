"""Backup → change → restore gives back exactly the backed-up data; demo data is realistic."""

from __future__ import annotations

import asyncio

from server.backup import backup, restore
from server.db.tables import Activity, Customer, Deal, User
from server.demo import seed_demo


async def test_backup_restore_round_trip(app, client, make_user, tmp_path):
    settings = app.state.context.settings
    rep = await make_user("rep")
    kept = (
        await rep.post("/api/customers", json={"name": "保留公司", "phone": "13500000001"})
    ).json()
    target = tmp_path / "fieldcrm.backup"
    await asyncio.to_thread(backup, settings, target)

    await rep.patch(f"/api/customers/{kept['id']}", json={"name": "改名了"})
    await rep.post("/api/customers", json={"name": "备份之后", "phone": "13500000002"})

    engine = app.state.context.engine
    if not settings.uses_postgres:
        await asyncio.to_thread(restore, settings, target)
    else:
        await engine.close_connection_pool()  # pg_restore --clean needs the tables unlocked
        await asyncio.to_thread(restore, settings, target)
        await engine.start_connection_pool(min_size=2, max_size=10)
    names = [r["name"] for r in await Customer.select(Customer.name)]
    assert names == ["保留公司"]


async def test_demo_data_is_bilingual_and_spread_over_stages(client):
    counts = await seed_demo(customers=300)
    assert counts["customers"] == 300
    assert await User.count().where(User.role == "rep") == 10
    names = [r["name"] for r in await Customer.select(Customer.name)]
    assert any(name.isascii() for name in names) and any(not name.isascii() for name in names)
    stages = {r["stage"] for r in await Deal.select(Deal.stage)}
    assert {"lead", "proposal", "won", "lost"} <= stages
    assert await Activity.count() >= 300
    assert (await seed_demo(customers=10)) == {"skipped": 1}  # idempotent
    # every synced row is numbered, so a device's first pull (cursor 0) receives it
    assert await Customer.count().where(Customer.server_seq == 0) == 0
    assert await Activity.count().where(Activity.server_seq == 0) == 0
