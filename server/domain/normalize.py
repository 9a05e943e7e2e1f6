"""Normalization of customer values: text, company and person match keys, phone, email, industry.

Pure functions, no I/O. Two kinds of output:
* stored values (clean_text, normalize_phone, normalize_email, normalize_industry) — what we
  keep in the database; bad input raises InvalidValue(code) from server.domain.errors;
* match keys (company_match_key, person_name_key) — never shown, only compared, so they may
  drop anything that does not tell two customers apart (legal forms, regions, spacing, case).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from server.domain.errors import InvalidValue
from server.domain.hanzi import has_han, to_simplified
from server.domain.regions import (
    is_place_name,
    normalize_region,
    region_short_name,
    split_region_prefix,
)

# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

# Invisible characters that arrive with copy-paste (zero-width space, BOM, word joiner, soft
# hyphen). Zero-width joiner stays: it is part of emoji sequences.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad"))


def clean_text(value: str) -> str:
    """Full-width → half-width (NFKC: ＡＢＣ１２３ → ABC123, ideographic space → space),
    zero-width characters dropped, control characters and every whitespace run (newlines too)
    → one space, stripped.
    Chinese characters are kept as they are. Safe for display values; idempotent."""
    visible = value.translate(_INVISIBLE)
    visible = "".join(
        ch if ch.isspace() or unicodedata.category(ch) != "Cc" else " " for ch in visible
    )
    return " ".join(unicodedata.normalize("NFKC", visible).split())


def clean_multiline(value: str) -> str:
    """clean_text line by line, keeping the line breaks (visit summaries, notes); runs of
    blank lines become one."""
    lines = [
        clean_text(line) for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip("\n"))


def _squash(text: str) -> str:
    """Letters, digits and combining marks only: what is left of a key after punctuation."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNM")
    return unicodedata.normalize("NFC", kept)


def _fold(value: str) -> str:
    """Comparison form shared by the keys: cleaned, simplified Chinese, case-folded."""
    return to_simplified(clean_text(value)).casefold()


# ---------------------------------------------------------------------------------------------
# Company names
# ---------------------------------------------------------------------------------------------

# Chinese legal forms at the end of a name, longest first so 股份有限公司 wins over 有限公司.
# A bare 公司 after 分 is a branch (分公司) and is kept: a branch is not its parent.
_CN_LEGAL_FORM = (
    "集团股份有限公司|集团有限责任公司|集团有限公司|股份有限公司|有限责任公司|有限公司|"
    "集团公司|股份公司|总公司|(?<!分)公司|特殊普通合伙|普通合伙|有限合伙|合伙企业|集团|股份"
)
_CN_SUFFIX_RE = re.compile(f"(?:{_CN_LEGAL_FORM})$")

# Latin legal forms, matched as whole words at the end (after dots are removed: L.L.C. → llc).
_LATIN_LEGAL_FORM = (
    "public limited company|limited liability company|private limited|sdn bhd|pvt ltd|"
    "ltd|limited|inc|incorporated|corp|corporation|co|company|llc|llp|lp|plc|gmbh|ag|kg|se|"
    "sa|sas|sarl|srl|spa|bv|nv|kk|pte|pty|bhd|oy|ab|ltda|jsc|tbk|group"
)
_LATIN_SUFFIX_RE = re.compile(f"(?<![a-z0-9])(?:{_LATIN_LEGAL_FORM})$")
_LATIN_ARTICLE_RE = re.compile(r"^the\s+(?=\S)")

# "某某科技有限公司北京分公司": parent, its legal form, then a branch or office name.
_BRANCH_WORDS = "分公司|分厂|分店|分行|支行|办事处|代表处|营业部"
_BRANCH_RE = re.compile(
    r"^(?P<parent>.+?)(?P<form>股份有限公司|有限责任公司|有限公司|公司)"
    rf"(?P<branch>.+?(?:{_BRANCH_WORDS}))$"
)
_BRANCH_TAIL_RE = re.compile(f"(?:{_BRANCH_WORDS})$")
_LONGEST_PLACE = 8  # 新疆维吾尔自治区
_BRACKETED_RE = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]")
_PAREN_LEGAL_FORMS = frozenset({"集团", "控股", "普通合伙", "有限合伙", "特殊普通合伙", "group"})

# A trade name (字号) has at least two characters.
_MIN_TRADE_NAME = 2
# Industry and organization words: a name that is a region plus only these (上海银行, 青岛啤酒,
# 海南航空控股) uses the region as its trade name, so the region must not be stripped.
_GENERIC_WORDS_TEXT = """
科技 技术 信息 网络 互联网 软件 数据 数字 智能 电子 电器 电气 光电 半导体 通信 通讯 机械 设备
仪器 仪表 精密 自动化 机器人 重工 轻工 工程 建设 建筑 建工 城建 城投 路桥 实业 产业 工业 制造
贸易 商贸 外贸 进出口 国际 投资 控股 发展 集团 金融 银行 证券 保险 信托 基金 资本 资产 财务
航空 航运 船舶 港务 机场 地铁 公交 交通 运输 物流 供应链 快递 汽车 医药 药业 制药 生物 医疗
医院 健康 化工 化学 新材料 材料 能源 新能源 电力 水务 燃气 石油 石化 钢铁 有色 矿业 黄金 水泥
建材 玻璃 陶瓷 纺织 服装 服饰 家具 家居 五金 塑料 橡胶 包装 印刷 造纸 食品 饮料 啤酒 酒业 乳业
粮油 茶业 农业 农牧 畜牧 渔业 林业 种业 文化 传媒 广告 出版 影视 旅游 酒店 餐饮 百货 商业 超市
教育 大学 学院 学校 师范 研究院 研究所 设计院 设计 咨询 管理 服务 置业 地产 房地产 物业 环保
环境 创新 开发 实验 中心 第一 第二 第三 人民 市政 公用 电视 电视台 广播 报社 日报
"""
_GENERIC_WORDS = frozenset(_GENERIC_WORDS_TEXT.split())
_LONGEST_GENERIC_WORD = max(map(len, _GENERIC_WORDS))


def company_match_key(name: str) -> str:
    """Match key for a company name: "北京某某科技有限公司", "某某科技(北京)有限公司" and
    "某某科技（北京）有限公司" → "某某科技"; "Acme Co., Ltd.", "ACME Inc" and "Acme LLC" → "acme".

    Drops legal forms (有限公司 … Co., Ltd. … GmbH), a bracketed region or (中国)/(China), a leading
    Chinese region when the name also carries a legal form and a trade name is left (北京大学 has
    no legal form, 上海银行 only an industry word after the region: both stay whole),
    traditional characters, punctuation, spacing and case. Branches stay distinct:
    "某某科技有限公司北京分公司" → "某某科技北京分公司". Returns "" only when clean_text(name)
    is empty; if stripping would leave nothing, the squashed name is the key. Idempotent.
    """
    key = _company_key_once(name)
    for _ in range(8):  # a key of a key is the key; converges in one or two rounds
        again = _company_key_once(key)
        if again == key:
            break
        key = again
    return key


def _company_key_once(name: str) -> str:
    folded = _fold(name)
    return _strip_company(folded) or _squash(folded) or folded


def _strip_company(folded: str) -> str:
    text = _drop_bracketed_noise(folded)
    branch = _BRANCH_RE.match(text.replace(" ", ""))
    if branch:
        parent = _strip_company(branch["parent"] + branch["form"])
        return parent and _squash(_canonical_branch(parent + branch["branch"]))
    text = _latin_words(text)
    text, had_legal_form = _strip_legal_forms(text)
    if had_legal_form:
        text = _strip_leading_region(text)
    return _squash(_canonical_branch(text))


def _drop_bracketed_noise(text: str) -> str:
    """(北京) (中国) (China) (集团) (有限合伙) carry no identity; other bracketed text is kept."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if not inner or inner in _PAREN_LEGAL_FORMS or is_place_name(inner):
            return " "
        return f" {inner} "

    return _BRACKETED_RE.sub(replace, text)


def _latin_words(text: str) -> str:
    """Dots vanish so abbreviations become words (Co.,Ltd. → co ltd, L.L.C. → llc); other
    punctuation separates words."""
    text = text.replace(".", "")
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def _strip_legal_forms(text: str) -> tuple[str, bool]:
    """Peel legal forms off the end, repeatedly ("… GmbH & Co. KG", "集团有限公司")."""
    stripped = False
    while True:
        text = _LATIN_ARTICLE_RE.sub("", text).rstrip()
        match = _CN_SUFFIX_RE.search(text) or _LATIN_SUFFIX_RE.search(text)
        if not match:
            return text, stripped
        text, stripped = text[: match.start()], True


def _strip_leading_region(text: str) -> str:
    """北京某某科技 → 某某科技, but 上海银行 / 海南航空控股 stay: with only generic words left,
    the region is the trade name."""
    region, rest = split_region_prefix(text.replace(" ", ""))
    rest = _squash(rest)
    if region and len(rest) >= _MIN_TRADE_NAME and not _only_generic_words(rest):
        return rest
    return text


def _only_generic_words(text: str) -> bool:
    """True if `text` is nothing but industry/organization words (银行, 航空控股, 科技发展)."""
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        reachable[end] = any(
            reachable[start] and text[start:end] in _GENERIC_WORDS
            for start in range(max(0, end - _LONGEST_GENERIC_WORD), end)
        )
    return reachable[-1]


def _canonical_branch(text: str) -> str:
    """…北京市分公司 and …北京分公司 → …北京分公司: the place of a branch in one spelling."""
    tail = _BRANCH_TAIL_RE.search(text)
    if not tail:
        return text
    head = text[: tail.start()]
    for length in range(min(_LONGEST_PLACE, len(head) - 1), 1, -1):
        code = _region_or_none(head[-length:])
        if code:
            return head[:-length] + region_short_name(code) + tail.group()
    return text


def _region_or_none(text: str) -> str | None:
    try:
        return normalize_region(text)
    except InvalidValue:
        return None


# ---------------------------------------------------------------------------------------------
# Person names
# ---------------------------------------------------------------------------------------------

_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`´"))


def person_name_key(name: str) -> str:
    """Match key for a person: "張偉" and "张 伟" → "张伟"; "Zhang Wei", "wei zhang" and
    "ZHANG, Wei" → "weizhang" (Latin name parts sorted, since the order varies); "José" matches
    "Jose". Separators (space, dot, middle dot ·, hyphen) are dropped."""
    folded = _fold(name)
    if has_han(folded):
        return _squash(folded) or folded
    words = _strip_latin_accents(folded).translate(_APOSTROPHES)
    parts = sorted(_squash(word) for word in re.split(r"[^\w]+|_", words) if _squash(word))
    return "".join(parts) or folded


def _strip_latin_accents(text: str) -> str:
    """é → e, ü → u for Latin letters only (kana and hangul keep their marks)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)
        out.append(base[0] if base[0].isascii() and base[0].isalpha() else ch)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Phone
# ---------------------------------------------------------------------------------------------


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """Any common way of writing a number → E.164 ("+8613800138000"); numbers without a country
    code are read as `default_region`. An extension (ext. 123) is not part of E.164 and is
    dropped. Raises InvalidValue("phone.invalid") unless phonenumbers calls it valid."""
    try:
        number = phonenumbers.parse(clean_text(raw), default_region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidValue("phone.invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("phone.invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, default_region: str = "CN") -> str:
    """For display: national format at home ("138 0013 8000", "010 6552 9988"), international
    abroad ("+1 650-253-0000"). A value that does not parse is shown as stored."""
    try:
        number = phonenumbers.parse(e164, default_region.upper())
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == default_region.upper()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


# ---------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------

_MAX_EMAIL, _MAX_LOCAL, _MAX_DOMAIN, _MAX_LABEL = 254, 64, 253, 63
_LOCAL_RE = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_LABEL_RE = re.compile(r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?")  # letters/digits, inner hyphens
_TLD_RE = re.compile(r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)")
_ANGLE_RE = re.compile(r"<([^<>]*)>$")  # "Zhang Wei <zw@example.com>" pasted from a mail client


def normalize_email(raw: str) -> str:
    """Pragmatic syntax check, then the whole address lower-cased (we match emails
    case-insensitively). Full-width forms and 。 typed for a dot are accepted; a display name in
    angle brackets or a mailto: prefix is dropped. Raises InvalidValue("email.invalid")."""
    text = clean_text(raw).replace("。", ".")
    if angle := _ANGLE_RE.search(text):
        text = angle.group(1).strip()
    text = text.lower().removeprefix("mailto:")
    if not _is_valid_email(text):
        raise InvalidValue("email.invalid")
    return text


def _is_valid_email(address: str) -> bool:
    if len(address) > _MAX_EMAIL or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not (0 < len(local) <= _MAX_LOCAL and 0 < len(domain) <= _MAX_DOMAIN):
        return False
    labels = domain.split(".")
    return (
        _LOCAL_RE.fullmatch(local) is not None
        and len(labels) >= 2
        and all(len(label) <= _MAX_LABEL and _LABEL_RE.fullmatch(label) for label in labels)
        and _TLD_RE.fullmatch(labels[-1]) is not None
    )


# ---------------------------------------------------------------------------------------------
# Industry
# ---------------------------------------------------------------------------------------------

INDUSTRIES: dict[str, tuple[str, str]] = {
    "manufacturing": ("Manufacturing", "制造业"),
    "it_software": ("IT & Software", "IT/软件"),
    "retail": ("Retail", "零售"),
    "wholesale": ("Wholesale & Trade", "批发/贸易"),
    "healthcare": ("Healthcare & Pharma", "医疗/医药"),
    "education": ("Education", "教育培训"),
    "finance": ("Finance & Insurance", "金融/保险"),
    "real_estate": ("Real Estate", "房地产"),
    "construction": ("Construction", "建筑/工程"),
    "logistics": ("Logistics & Transport", "物流/运输"),
    "energy": ("Energy & Utilities", "能源/公用事业"),
    "agriculture": ("Agriculture", "农林牧渔"),
    "food_beverage": ("Food & Beverage", "食品饮料"),
    "automotive": ("Automotive", "汽车"),
    "telecom": ("Telecommunications", "通信"),
    "government": ("Government & Public Sector", "政府/公共机构"),
    "hospitality": ("Hospitality & Tourism", "酒店/旅游/餐饮"),
    "media": ("Media & Advertising", "传媒/广告"),
    "professional_services": ("Professional Services", "专业服务"),
    "other": ("Other", "其他"),
}

# What people type besides the code and the two labels.
_INDUSTRY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("制造", "工业", "生产制造", "工厂", "加工", "factory", "industrial"),
    "it_software": ("IT", "软件", "互联网", "信息技术", "计算机", "科技", "软件和信息技术服务",
                    "software", "internet", "tech", "technology", "information technology",
                    "SaaS"),
    "retail": ("零售业", "商超", "超市", "电商", "电子商务", "e-commerce", "ecommerce", "shop"),
    "wholesale": ("批发", "贸易", "分销", "经销", "进出口", "外贸", "商贸", "wholesale",
                  "trade", "trading", "distribution", "import export"),
    "healthcare": ("医疗", "医药", "医院", "大健康", "健康", "卫生", "生物医药", "医疗器械",
                   "healthcare", "health", "medical", "pharma", "pharmaceutical", "hospital",
                   "life sciences"),
    "education": ("教育", "培训", "学校", "高校", "school", "training", "university",
                  "edtech"),
    "finance": ("金融", "银行", "保险", "证券", "投资", "基金", "finance", "financial services",
                "bank", "banking", "insurance", "fintech"),
    "real_estate": ("地产", "房产", "物业", "物业管理", "property", "realestate"),
    "construction": ("建筑", "建筑业", "工程", "施工", "建设", "装修", "装饰", "建材",
                     "building"),
    "logistics": ("物流", "运输", "快递", "仓储", "货运", "交通运输", "供应链", "logistics",
                  "transport", "transportation", "shipping", "freight", "supply chain"),
    "energy": ("能源", "电力", "石油", "石化", "新能源", "光伏", "公用事业", "水务", "燃气",
               "energy", "utilities", "oil and gas", "power"),
    "agriculture": ("农业", "林业", "畜牧", "畜牧业", "渔业", "养殖", "种植", "农林牧渔业",
                    "agriculture", "farming", "agri"),
    "food_beverage": ("食品", "饮料", "酒水", "食品加工", "F&B", "food", "beverage",
                      "food and beverages"),
    "automotive": ("汽车", "汽配", "汽车零部件", "汽车制造", "auto", "automobile", "cars"),
    "telecom": ("电信", "运营商", "通讯", "telecom", "telecoms", "telco",
                "telecommunication"),
    "government": ("政府", "政府机关", "机关", "事业单位", "公共事业", "公共部门", "国企",
                   "government", "public sector", "gov"),
    "hospitality": ("酒店", "旅游", "餐饮", "住宿", "旅游业", "hotel", "hotels", "tourism",
                    "travel", "restaurant", "restaurants", "catering", "hospitality"),
    "media": ("传媒", "媒体", "广告", "文化", "娱乐", "文娱", "影视", "出版", "media",
              "advertising", "entertainment", "publishing", "marketing"),
    "professional_services": ("专业服务", "咨询", "法律", "律所", "律师", "会计", "审计",
                              "人力资源", "商务服务", "consulting", "consultancy", "legal", "law",
                              "accounting", "hr", "human resources"),
    "other": ("其它", "其他行业", "others", "misc", "n/a"),
}  # fmt: skip


def _industry_key(value: str) -> str:
    return _squash(_fold(value).replace("&", "and"))


def _build_industry_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, (english, chinese) in INDUSTRIES.items():
        for alias in (code, english, chinese, *_INDUSTRY_SYNONYMS.get(code, ())):
            key = _industry_key(alias)
            if lookup.setdefault(key, code) != code:
                raise ValueError(f"industry alias {alias!r} is ambiguous")  # fix the table
    return lookup


_INDUSTRY_LOOKUP: dict[str, str] = _build_industry_lookup()


def normalize_industry(value: str) -> str:
    """Code, English label (any case), Chinese label or a common synonym (制造/IT/软件/零售 …)
    → code. Raises InvalidValue("industry.unknown")."""
    code = _INDUSTRY_LOOKUP.get(_industry_key(value))
    if code is None:
        raise InvalidValue("industry.unknown")
    return code
