"""Realistic demo data in Chinese and English: 3 teams, 10 reps, ~2k customers with
contacts, visits, deals across stages, follow-ups, contracts and tickets.

Every demo user's password is DEMO_PASSWORD. Deterministic (seeded), so screenshots and
walkthroughs look the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from decimal import Decimal
from typing import Any

from server.db.tables import (
    Activity,
    Contact,
    Contract,
    Customer,
    Deal,
    DealStageChange,
    FollowUp,
    OwnerChange,
    Ticket,
    User,
)
from server.domain.customers import CustomerRules, validate_customer
from server.domain.pipeline import DEFAULT_STAGES, OPEN_STAGE_KEYS
from server.services import accounts
from server.services.sequence import next_server_seqs

DEMO_PASSWORD = "demo1234"
TEAMS = (("华东团队 East", "CN-SH"), ("华南团队 South", "CN-GD"), ("华北团队 North", "CN-BJ"))
REPS = (
    ("li.wei", "李伟"), ("wang.fang", "王芳"), ("zhang.min", "张敏"), ("liu.yang", "刘洋"),
    ("chen.jing", "陈静"), ("emma.wilson", "Emma Wilson"), ("zhao.lei", "赵磊"),
    ("sun.li", "孙丽"), ("james.chen", "James Chen"), ("zhou.tao", "周涛"),
)  # fmt: skip
CITIES = (
    ("上海", 0), ("杭州", 0), ("苏州", 0), ("南京", 0), ("宁波", 0),
    ("深圳", 1), ("广州", 1), ("东莞", 1), ("佛山", 1), ("厦门", 1),
    ("北京", 2), ("天津", 2), ("济南", 2), ("青岛", 2), ("石家庄", 2),
)  # fmt: skip
ZH_WORDS = (
    "华信", "恒通", "鼎盛", "远航", "星辰", "宏达", "瑞丰", "天成", "博远",
    "嘉禾", "中科", "金石", "万象", "新锐", "云帆", "永泰", "海纳", "凯旋",
)  # fmt: skip
ZH_TRADES = (
    "科技", "电子", "贸易", "机械", "食品", "物流",
    "医疗器械", "建材", "软件", "新能源", "纺织", "化工",
)  # fmt: skip
ZH_SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
EN_WORDS = (
    "Apex", "Blue", "River", "Summit", "Pacific", "Golden", "Bridge", "Nova", "Harbor",
    "Orion", "Evergreen", "Vertex",
)  # fmt: skip
EN_TRADES = (
    "Robotics", "Trading", "Logistics", "Foods", "Medical", "Software", "Energy", "Textiles",
)  # fmt: skip
EN_SUFFIXES = ("Co., Ltd.", "Inc.", "LLC", "Ltd.")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
    "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华", "志强", "海燕",
)  # fmt: skip
MOBILE_PREFIXES = ("133", "135", "136", "138", "139", "150", "152", "158", "186", "189")
LIFECYCLES = ("lead", "prospect", "active", "loyal", "churned")
INDUSTRIES = (
    "manufacturing", "it_software", "retail", "wholesale", "healthcare", "logistics",
    "energy", "food_beverage", "construction", "automotive",
)  # fmt: skip
SUMMARIES = (
    ("拜访客户，介绍新产品线，对方采购经理有兴趣。", "发送报价单"),
    ("电话沟通预算，预计下季度立项。", "约技术交流会"),
    ("现场演示方案，客户提出定制需求。", "整理需求文档"),
    ("Called the buyer; they want a volume discount.", "Send revised quote"),
    ("Site visit with the plant manager, toured the line.", "Schedule pilot"),
    ("商务谈判，价格基本谈妥，等待法务审核合同。", "跟进合同审批"),
)


def _company_name(rng: random.Random, city: str) -> str:
    if rng.random() < 0.2:
        return f"{rng.choice(EN_WORDS)} {rng.choice(EN_TRADES)} {rng.choice(EN_SUFFIXES)}"
    prefix = city if rng.random() < 0.5 else ""
    return f"{prefix}{rng.choice(ZH_WORDS)}{rng.choice(ZH_TRADES)}{rng.choice(ZH_SUFFIXES)}"


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


async def _insert(table: Any, rows: list[Any]) -> None:
    for start in range(0, len(rows), 500):
        await table.insert(*rows[start : start + 500])


async def _create_people(rng: random.Random) -> tuple[int, list[int], list[list[int]]]:
    password_hash = accounts.hash_password(DEMO_PASSWORD)
    admin = await accounts.create_user(
        "admin", None, "admin", "系统管理员 Admin", password_hash=password_hash
    )
    team_ids, reps_by_team = [], []
    for index, (team_name, region) in enumerate(TEAMS):
        team_id = await accounts.create_team(team_name, region)
        team_ids.append(team_id)
        await accounts.create_user(
            f"manager{index + 1}",
            None,
            "manager",
            f"经理{index + 1} Manager {index + 1}",
            team_id=team_id,
            password_hash=password_hash,
        )
        reps_by_team.append([])
    for index, (username, display) in enumerate(REPS):
        team_index = index % len(TEAMS)
        user_id = await accounts.create_user(
            username,
            None,
            "rep",
            display,
            team_id=team_ids[team_index],
            senior=index < 3,
            locale="en" if display.isascii() else "zh-CN",
            password_hash=password_hash,
        )
        reps_by_team[team_index].append(user_id)
    return admin, team_ids, reps_by_team


async def seed_demo(
    customers: int = 2000, seed: int = 7, now: dt.datetime | None = None
) -> dict[str, int]:
    """Fill an empty database with demo data; returns counts per entity."""
    if await User.exists().where(User.username == "admin"):
        return {"skipped": 1}
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    _, team_ids, reps_by_team = await _create_people(rng)
    rules = CustomerRules()
    rows: dict[str, list[Any]] = {name: [] for name in (
        "customers", "owners", "contacts", "activities", "deals", "stages", "followups",
        "contracts", "tickets")}  # fmt: skip
    phones: set[str] = set()
    for _ in range(customers):
        city, team_index = rng.choice(CITIES)
        owner = rng.choice(reps_by_team[team_index])
        _add_customer(rng, now, rules, rows, phones, city, owner, team_ids[team_index])
    tables = (
        (Customer, "customers"), (OwnerChange, "owners"), (Contact, "contacts"),
        (Activity, "activities"), (Deal, "deals"), (DealStageChange, "stages"),
        (FollowUp, "followups"), (Contract, "contracts"), (Ticket, "tickets"),
    )  # fmt: skip
    await _number_for_sync([row for _, key in tables for row in rows[key]])
    for table, key in tables:
        await _insert(table, rows[key])
    return {key: len(rows[key]) for _, key in tables}


async def _number_for_sync(rows: list[Any]) -> None:
    """Give every synced row a server sequence number, so a device's first pull gets it."""
    synced = [row for row in rows if hasattr(row, "server_seq")]
    for row, seq in zip(synced, await next_server_seqs(len(synced)), strict=True):
        row.server_seq = seq


def _add_customer(
    rng: random.Random,
    now: dt.datetime,
    rules: CustomerRules,
    rows: dict[str, list[Any]],
    phones: set[str],
    city: str,
    owner: int,
    team: int,
) -> None:
    created = now - dt.timedelta(days=rng.randint(5, 400))
    grade = rng.choices("ABC", weights=(2, 5, 8))[0]
    data = {
        "name": _company_name(rng, city), "phone": _mobile(rng, phones), "region": city,
        "industry": rng.choice(INDUSTRIES), "grade": grade,
        "lifecycle": rng.choices(LIFECYCLES, (4, 4, 3, 1, 1))[0],
        "source": rng.choice(("展会", "官网", "转介绍", "cold call", "partner")),
        "tags": rng.sample(["重点", "VIP", "展会", "复购", "key account"], rng.randint(0, 2)),
    }  # fmt: skip
    columns = validate_customer(data, rules)
    customer_id = uuid.uuid4()
    last_contact = created + dt.timedelta(days=rng.randint(0, max(1, (now - created).days)))
    rows["customers"].append(Customer(
        **{**columns, "tags": json.dumps(columns["tags"], ensure_ascii=False)},
        id=customer_id, owner=owner, team=team, created_by=owner, created_at=created,
        updated_at=last_contact, last_contact_at=last_contact,
    ))  # fmt: skip
    rows["owners"].append(
        OwnerChange(
            customer=customer_id, to_owner=owner, actor=owner, changed_at=created, reason="demo"
        )
    )
    for position in range(rng.randint(1, 2)):
        rows["contacts"].append(Contact(
            id=uuid.uuid4(), customer=customer_id, name=_person_name(rng),
            title=rng.choice(("采购经理", "总经理", "技术总监", "Purchasing Manager")),
            phone=f"+86{_mobile(rng, phones)}", is_primary=position == 0,
            birthday=dt.date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28)),
        ))  # fmt: skip
    for _ in range(rng.randint(1, 5)):
        summary, next_step = rng.choice(SUMMARIES)
        rows["activities"].append(Activity(
            id=uuid.uuid4(), customer=customer_id, author=owner,
            kind=rng.choice(("visit", "call", "meeting", "email")),
            occurred_at=created + (last_contact - created) * rng.random(),
            summary=summary, next_step=next_step, location=city,
        ))  # fmt: skip
    if rng.random() < 0.3:
        _add_deal(rng, now, rows, customer_id, owner, created)
    if rng.random() < 0.4:
        rows["followups"].append(FollowUp(
            id=uuid.uuid4(), customer=customer_id, owner=owner, title="回访客户 Follow up",
            due_at=now + dt.timedelta(days=rng.randint(-5, 14), hours=rng.randint(0, 8)),
        ))  # fmt: skip
    if rng.random() < 0.05:
        rows["tickets"].append(Ticket(
            id=uuid.uuid4(), customer=customer_id, status=rng.choice(("open", "resolved")),
            title=rng.choice(("设备故障报修", "Invoice question")),
            opened_at=now - dt.timedelta(days=rng.randint(1, 60)),
        ))  # fmt: skip


def _add_deal(
    rng: random.Random,
    now: dt.datetime,
    rows: dict[str, list[Any]],
    customer_id: uuid.UUID,
    owner: int,
    created: dt.datetime,
) -> None:
    final = rng.choices(["lead", *OPEN_STAGE_KEYS[1:], "won", "lost"], (3, 3, 3, 2, 2, 3, 2))[0]
    path = [s.key for s in DEFAULT_STAGES if s.key not in ("won", "lost")]
    path = path[: path.index(final) + 1] if final in path else [*path[: rng.randint(1, 5)], final]
    deal_id = uuid.uuid4()
    moment = created + dt.timedelta(days=rng.randint(0, 20))
    previous = None
    for stage in path:
        rows["stages"].append(
            DealStageChange(
                deal=deal_id, from_stage=previous, to_stage=stage, changed_at=moment, actor=owner
            )
        )
        previous, entered = stage, moment
        moment = min(now, moment + dt.timedelta(days=rng.randint(2, 25)))
    amount = Decimal(rng.randrange(20, 2000) * 1000)
    rows["deals"].append(Deal(
        id=deal_id, customer=customer_id, owner=owner, amount=amount, stage=final,
        title=rng.choice(("年度采购", "设备升级项目", "Pilot program", "二期扩容")),
        stage_entered_at=entered, created_at=created,
        expected_close=(now + dt.timedelta(days=rng.randint(10, 120))).date(),
        lost_reason="价格偏高 price too high" if final == "lost" else None,
        closed_at=entered if final in ("won", "lost") else None,
    ))  # fmt: skip
    if final == "won":
        start = entered.date()
        rows["contracts"].append(Contract(
            id=uuid.uuid4(), customer=customer_id, number=f"HT-{rng.randrange(10**6):06d}",
            amount=amount, start_date=start, end_date=start + dt.timedelta(days=365),
            signed_at=entered,
        ))  # fmt: skip
