"""A labelled benchmark: synthetic customers with known duplicates, and how to score a result.

`generate(count)` makes customers of distinct real-world entities — Chinese and English
companies and people spread over ~150 cities — and adds about `duplicate_share` extra
records that describe an entity already present, entered again with the noise that real
duplicates carry:

* the company name written another way: legal-form variants (有限公司 / 股份有限公司 /
  Co., Ltd. / Inc.), the city in front, in brackets or left out, case, spacing, full-width;
* traditional characters (張偉 / 张伟), an English name in the other order (Wei Zhang);
* now and then a typo (one wrong character or letter);
* the phone in another format (+86 138…, 138-…, 0086…), missing, or a different number;
* the email in other case or missing; the region spelled another way (深圳 / 深圳市 /
  Shenzhen), given only as the province, or missing; the address missing.

Hard negatives are built in: namesake companies in other cities and people sharing common
names. Deterministic for a seed. The entity number is the label: records with the same
`entity` are duplicates of each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from server.domain.dedup.keys import MatchRecord
from server.domain.hanzi import TRADITIONAL_TO_SIMPLIFIED
from server.domain.region_data import CITIES, PROVINCES
from server.domain.regions import is_place_name, normalize_region, region_province

ZIHAO_CHARS = (
    "华信恒通鼎盛远航星辰宏达瑞丰天成博嘉禾金石万象新锐云帆永泰海纳凯旋明德立诚仁和"
    "兴隆昌顺安康富源长江东方亚泰中联汇智创维佳美润泽晨光启航联创同舟致远正道金桥"
    "银河宝利鑫源祥瑞光大精工卓越腾飞朗润锦程百川环宇九州华夏蓝海青松翠柏飞鸿翔宇"
    "志高伟业英才德馨福星泰和广源聚贤弘毅品臻优尚澜庭美嘉恒升日新月异建业振邦"
)
INDUSTRY_WORDS = (
    "科技", "电子", "贸易", "机械", "食品", "物流", "医疗器械", "建材", "软件", "新能源",
    "纺织", "化工", "信息技术", "网络", "生物", "环保", "文化传媒", "建筑工程", "汽车配件",
    "家具", "服饰", "餐饮管理", "农业", "电气", "仪器", "包装", "印刷", "光电", "材料",
    "咨询", "物业", "旅游", "教育", "医药", "五金", "塑胶", "照明", "通信", "能源", "自动化",
)  # fmt: skip
CN_LEGAL_FORMS = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "公司")
EN_WORDS = (
    "Apex", "Blue", "River", "Summit", "Pacific", "Golden", "Bridge", "Nova", "Harbor",
    "Orion", "Evergreen", "Vertex", "Silver", "Maple", "Crystal", "Eagle", "Falcon",
    "Horizon", "Liberty", "Meridian", "Northern", "Oak", "Pioneer", "Quantum", "Red",
    "Sterling", "Titan", "Unity", "Valley", "Western", "Zenith", "Atlas", "Beacon",
    "Cedar", "Delta", "Echo", "Frontier", "Granite", "Highland", "Iron", "Jade", "Keystone",
    "Lotus", "Mosaic", "Noble", "Omega", "Prime", "Royal", "Sapphire", "Trinity",
)  # fmt: skip
EN_TRADES = (
    "Robotics", "Trading", "Logistics", "Foods", "Medical", "Software", "Energy",
    "Textiles", "Systems", "Solutions", "Industries", "Electronics", "Consulting",
    "Materials", "Labs", "Networks", "Pharma", "Motors", "Design", "Analytics",
)  # fmt: skip
EN_LEGAL_FORMS = ("Co., Ltd.", "Inc.", "LLC", "Ltd.", "Limited", "Corp.", "Co. Ltd")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀英华慧建国平刚桂兰玲辉鹏红霞飞波宁凯俊峰浩宇轩博文思佳怡晨阳欣然子涵雨婷梓萱志强海燕春梅金凤丹东晓琳雪梅立新嘉诚"  # noqa: E501
EN_FIRST = (
    "James", "Mary", "John", "Linda", "Robert", "Emma", "Michael", "Olivia", "David",
    "Sophia", "William", "Ava", "Richard", "Mia", "Thomas", "Grace", "Daniel", "Chloe",
    "Kevin", "Amy", "Jason", "Helen", "Eric", "Lucy", "Peter", "Anna", "Tony", "Vivian",
)  # fmt: skip
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Chen", "Wang", "Li", "Zhang", "Liu", "Wong",
    "Lee", "Lin", "Ho", "Ng",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "157", "158", "159", "176", "177", "180", "181", "182", "186", "187", "189",
)  # fmt: skip
AREA_CODES = {"CN-BJ": "010", "CN-SH": "021", "CN-TJ": "022", "CN-CQ": "023"}
STREETS = (
    "人民路", "中山路", "解放路", "建设路", "和平路", "科技园路", "文化路", "工业大道",
    "滨海大道", "长江路", "黄河路", "新华街", "光明路", "创业路", "迎宾大道",
)  # fmt: skip
MAIL_DOMAINS = ("163.com", "qq.com", "126.com", "gmail.com", "outlook.com", "sina.com")

COMPANY_SHARE, CHINESE_SHARE = 0.75, 0.8
NAMESAKE_SHARE = 0.05  # companies reusing another city's company name (hard negatives)
TRIPLE_SHARE = 0.2  # duplicated entities entered three times rather than twice


@dataclass(frozen=True, slots=True)
class SyntheticCustomer:
    id: str
    entity: int  # the label: equal entity = duplicates
    kind: str
    name: str
    phone: str | None
    email: str | None
    region: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class _Entity:
    number: int
    kind: str
    chinese: bool
    parts: tuple[str, ...]  # name parts: (字号, industry) / (word…, trade) / (surname, given)
    legal_form: str
    place: tuple[str, str, str]  # (code, 中文, English)
    mobile: str
    landline: str | None
    email: str | None
    address: str | None


@dataclass(frozen=True)
class Quality:
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


# ---- generation ------------------------------------------------------------------------------


def generate(count: int, duplicate_share: float = 0.1, seed: int = 0) -> list[SyntheticCustomer]:
    """`count` customers, about `duplicate_share` of them duplicates, in shuffled order."""
    rng = random.Random(seed)
    duplicates = round(count * duplicate_share)
    entities = _entities(rng, count - duplicates)
    customers = [_clean_record(entity) for entity in entities]
    for entity in _duplicated(rng, entities, duplicates):
        customers.append(_noisy_record(rng, entity))
    rng.shuffle(customers)
    return [
        SyntheticCustomer(f"r{index:07d}", *customer) for index, customer in enumerate(customers)
    ]


def _duplicated(rng: random.Random, entities: list[_Entity], count: int) -> list[_Entity]:
    """Which entities get extra records: most once, some twice."""
    picked: list[_Entity] = []
    while len(picked) < count:
        entity = rng.choice(entities)
        picked.append(entity)
        if rng.random() < TRIPLE_SHARE and len(picked) < count:
            picked.append(entity)
    return picked


def _entities(rng: random.Random, count: int) -> list[_Entity]:
    taken: set[tuple[str, ...]] = set()
    entities: list[_Entity] = []
    while len(entities) < count:
        entity = _entity(rng, len(entities), entities)
        identity = (*entity.parts, entity.place[0]) if entity.kind == "company" else ()
        if identity and identity in taken:
            continue  # one company name per city, as registration requires
        taken.add(identity)
        entities.append(entity)
    return entities


def _entity(rng: random.Random, number: int, earlier: list[_Entity]) -> _Entity:
    kind = "company" if rng.random() < COMPANY_SHARE else "person"
    chinese = rng.random() < CHINESE_SHARE
    place = rng.choice(_places())
    namesake = earlier and kind == "company" and rng.random() < NAMESAKE_SHARE
    if namesake:
        model = rng.choice(earlier)
        kind, chinese, parts = model.kind, model.chinese, model.parts
    else:
        parts = _name_parts(rng, kind, chinese)
    legal = rng.choice(CN_LEGAL_FORMS if chinese else EN_LEGAL_FORMS)
    mobile = f"{rng.choice(MOBILE_PREFIXES)}{number % 10**8:08d}"
    area = AREA_CODES.get(place[0])
    landline = f"{area}-{rng.randrange(5, 9)}{number % 10**7:07d}" if area else None
    email = f"{_mail_user(rng, parts)}{number}@{rng.choice(MAIL_DOMAINS)}"
    address = f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号" if rng.random() < 0.5 else None
    return _Entity(
        number,
        kind,
        chinese,
        parts,
        legal,
        place,
        mobile,
        landline if kind == "company" and rng.random() < 0.5 else None,
        email if rng.random() < 0.6 else None,
        address,
    )


def _name_parts(rng: random.Random, kind: str, chinese: bool) -> tuple[str, ...]:
    if kind == "person":
        if chinese:
            given = "".join(rng.choices(GIVEN_CHARS, k=rng.choice((1, 2, 2))))
            return rng.choice(SURNAMES), given
        return rng.choice(EN_FIRST), rng.choice(EN_LAST)
    if chinese:
        while True:
            zihao = "".join(rng.choices(ZIHAO_CHARS, k=rng.choice((2, 2, 2, 3))))
            if not is_place_name(zihao):
                return zihao, rng.choice(INDUSTRY_WORDS)
    words = rng.sample(EN_WORDS, rng.choice((1, 2)))
    return (*words, rng.choice(EN_TRADES))


def _mail_user(rng: random.Random, parts: tuple[str, ...]) -> str:
    latin = [p.lower() for p in parts if p.isascii()]
    return ".".join(latin) if latin else rng.choice(("info", "sales", "contact", "office"))


@cache
def _places() -> tuple[tuple[str, str, str], ...]:
    """Municipalities and the cities whose Chinese, short and English names all resolve."""
    places = [(p.code, p.short, p.en) for p in PROVINCES if p.kind == "municipality"]
    for city in CITIES:
        spellings = (city.zh, city.zh.removesuffix("市"), city.en)
        if all(_resolves(s, city.code) for s in spellings):
            places.append((city.code, city.zh.removesuffix("市"), city.en))
    return tuple(places)


def _resolves(spelling: str, code: str) -> bool:
    try:
        return normalize_region(spelling) == code
    except ValueError:
        return False


# ---- rendering -------------------------------------------------------------------------------


def _clean_record(entity: _Entity) -> tuple:
    name = _render_name(entity, variant=0)
    phone = entity.landline or entity.mobile
    return (entity.number, entity.kind, name, phone, entity.email, entity.place[1], entity.address)


def _render_name(entity: _Entity, variant: int, legal_form: str | None = None) -> str:
    legal = legal_form or entity.legal_form
    if entity.kind == "person":
        first, second = entity.parts
        if entity.chinese:
            return first + second
        return f"{first} {second}" if variant % 2 == 0 else f"{second} {first}"
    if not entity.chinese:
        return " ".join((*entity.parts, legal))
    city, body = entity.place[1], "".join(entity.parts)
    return (
        f"{body}{legal}",
        f"{city}{body}{legal}",
        f"{body}({city}){legal}",
        f"{body}（{city}）{legal}",
        f"{city}{body}",
    )[variant % 5]


def _noisy_record(rng: random.Random, entity: _Entity) -> tuple:
    legal = rng.choice(CN_LEGAL_FORMS if entity.chinese else EN_LEGAL_FORMS)
    name = _render_name(entity, rng.randrange(5), legal)
    if rng.random() < 0.1:
        name = _typo(rng, name, entity)
    if entity.chinese and rng.random() < 0.2:
        name = _traditional(name)
    if rng.random() < 0.15:
        name = _sloppy(rng, name, entity)
    return (
        entity.number,
        entity.kind,
        name,
        _noisy_phone(rng, entity),
        _noisy_email(rng, entity.email),
        _noisy_region(rng, entity.place),
        entity.address if rng.random() < 0.5 else None,
    )


def _typo(rng: random.Random, name: str, entity: _Entity) -> str:
    """One wrong character inside the trade name / given name, or one wrong letter."""
    target = entity.parts[0] if entity.kind == "company" else entity.parts[-1]
    start = name.find(target)
    if start < 0:
        return name
    at = start + rng.randrange(len(target))
    if entity.chinese:
        pool = ZIHAO_CHARS if entity.kind == "company" else GIVEN_CHARS
        return name[:at] + rng.choice(pool) + name[at + 1 :]
    edit = rng.randrange(3)
    if edit == 0:  # dropped letter
        return name[:at] + name[at + 1 :]
    if edit == 1 and at + 1 < len(name):  # swapped letters
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name[:at] + rng.choice("aeioulnrst") + name[at + 1 :]


@cache
def _to_traditional() -> dict[int, str]:
    table: dict[int, str] = {}
    for traditional, simplified in TRADITIONAL_TO_SIMPLIFIED.items():
        table.setdefault(ord(simplified), chr(traditional))
    return table


def _traditional(text: str) -> str:
    return text.translate(_to_traditional())


def _sloppy(rng: random.Random, name: str, entity: _Entity) -> str:
    """Upper case, full-width Latin, or stray spaces around the name's parts."""
    style = rng.randrange(3)
    if style == 0:
        return name.upper()
    if style == 1:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    for part in entity.parts:
        name = name.replace(part, f" {part} " if rng.random() < 0.5 else part, 1)
    return f" {name}  "


def _noisy_phone(rng: random.Random, entity: _Entity) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.25:  # a new number for the same customer
        return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
    number = entity.landline or entity.mobile
    if entity.landline and rng.random() < 0.3:
        number = entity.mobile  # the rep's contact, not the switchboard
    if "-" in number:
        area, local = number.split("-")
        return rng.choice((f"{area} {local}", f"+86 {area[1:]} {local}", f"({area}){local}"))
    return rng.choice(
        (
            f"+86 {number[:3]} {number[3:7]} {number[7:]}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"0086{number}",
            f"(+86){number}",
            number,
        )
    )


def _noisy_email(rng: random.Random, email: str | None) -> str | None:
    if email is None or rng.random() < 0.3:
        return None
    return email.upper() if rng.random() < 0.3 else email


def _noisy_region(rng: random.Random, place: tuple[str, str, str]) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.25:
        return region_province(place[0])
    return rng.choice((place[1], place[1] + "市", place[2]))


# ---- evaluation ------------------------------------------------------------------------------


def match_records(customers: Iterable[SyntheticCustomer]) -> list[MatchRecord]:
    """Normalize as a save would (phones to E.164, regions to codes), then build keys."""
    return [
        MatchRecord.from_input(
            c.id, c.kind, c.name, c.phone, c.email, c.region, c.address, phone_region="CN"
        )
        for c in customers
    ]


def evaluate(customers: Sequence[SyntheticCustomer], clusters: Iterable[list[int]]) -> Quality:
    """Pairwise precision and recall of `clusters` (lists of indices into `customers`)."""
    groups: dict[int, int] = {}
    for customer in customers:
        groups[customer.entity] = groups.get(customer.entity, 0) + 1
    true_pairs = sum(size * (size - 1) // 2 for size in groups.values())
    found = correct = 0
    for members in clusters:
        for a, b in combinations(members, 2):
            found += 1
            correct += customers[a].entity == customers[b].entity
    return Quality(true_pairs, found, correct)
