"""Normalization rules: text, match keys, phone, email, industry."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.errors import InvalidValue
from server.domain.hanzi import TRADITIONAL_TO_SIMPLIFIED, to_simplified
from server.domain.normalize import (
    INDUSTRIES,
    clean_text,
    company_match_key,
    format_phone,
    normalize_email,
    normalize_industry,
    normalize_phone,
    person_name_key,
)

# ------------------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ１２３　", "ABC123"),
        ("  北京　某某  科技\t有限公司\n", "北京 某某 科技 有限公司"),
        ("某某科技（北京）有限公司", "某某科技(北京)有限公司"),
        ("Acme\u200b Co.,\u00a0Ltd.", "Acme Co., Ltd."),
        ("ｅｍａｉｌ＠ｅｘａｍｐｌｅ．ｃｏｍ", "email@example.com"),
        ("", ""),
        ("　\t ", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert once == once.strip() and "  " not in once


# ------------------------------------------------------------------------- company names


@pytest.mark.parametrize(
    "names",
    [
        ["北京某某科技有限公司", "某某科技(北京)有限公司", "某某科技（北京）有限公司",
         "北京市某某科技有限公司", "某某科技有限公司", "广东省深圳市某某科技有限公司", "某某科技"],
        ["Acme Co., Ltd.", "ACME Inc", "Acme LLC", "Acme Co.,Ltd", "Acme Company Limited",
         "Acme Ltd", "Acme Limited", "Acme Inc.", "Acme Incorporated", "Acme Corp.",
         "ACME CORPORATION", "Acme L.L.C.", "Acme GmbH", "Acme PLC", "Acme S.A.",
         "Acme Pte. Ltd.", "The Acme Company", "Acme (China) Co., Ltd.", "Acme (Shanghai) Ltd.",
         "ＡＣＭＥ　Ｉｎｃ．"],
        ["某某股份有限公司", "某某有限责任公司", "某某集团有限公司", "某某(集团)股份有限公司",
         "某某公司", "某某（中国）有限公司", "某某集团"],
        ["深圳華為技術有限公司", "华为技术有限公司", "華為技術(深圳)有限公司"],
        ["某某科技有限公司北京分公司", "某某科技有限公司北京市分公司", "某某科技北京分公司"],
    ],
)  # fmt: skip
def test_company_spellings_share_a_key(names: list[str]) -> None:
    keys = {name: company_match_key(name) for name in names}
    assert len(set(keys.values())) == 1, keys


def test_company_key_values() -> None:
    assert company_match_key("北京某某科技有限公司") == "某某科技"
    assert company_match_key("Acme Co., Ltd.") == "acme"
    assert company_match_key("Müller GmbH & Co. KG") == "müller"
    assert company_match_key("某某投资中心(有限合伙)") == "某某投资中心"


def test_a_region_that_is_the_trade_name_stays() -> None:
    # Only industry words would be left: the region is the name, so these stay apart.
    assert company_match_key("上海银行股份有限公司") == "上海银行"
    assert company_match_key("北京银行股份有限公司") == "北京银行"
    assert company_match_key("青岛啤酒股份有限公司") == "青岛啤酒"
    assert company_match_key("海南航空控股股份有限公司") == "海南航空控股"
    # Institutions without a legal form keep their region (北京大学 ≠ 大学).
    assert company_match_key("北京大学") == "北京大学"
    assert company_match_key("北京协和医院") != company_match_key("武汉协和医院")


def test_abbreviations_do_not_strip_regions() -> None:
    assert company_match_key("京东") == "京东"
    assert company_match_key("京东集团股份有限公司") == "京东"


def test_branches_stay_distinct_from_their_parent_and_each_other() -> None:
    parent = company_match_key("某某科技有限公司")
    beijing = company_match_key("某某科技有限公司北京分公司")
    shanghai = company_match_key("某某科技有限公司上海分公司")
    assert len({parent, beijing, shanghai}) == 3
    assert beijing == "某某科技北京分公司"


def test_a_name_that_is_only_a_legal_form_keeps_a_key() -> None:
    assert company_match_key("有限公司") == "有限公司"
    assert company_match_key("Ltd.") == "ltd"
    assert company_match_key("(北京)") == "北京"
    assert company_match_key("   ") == ""


_company_parts = st.sampled_from(
    ["北京", "上海市", "广东省", "深圳", "某某", "科技", "银行", "(北京)", "（中国）", "有限公司",
     "股份有限公司", "集团", "分公司", "北京分公司", "公司", "Acme", " Co.", ",", " Ltd", " Inc",
     " LLC", " GmbH", "(China)", " ", "-", "·", "張", "華", "The ", "&", "co", "ltd", "é", "\u0301"]
)  # fmt: skip
_company_names = st.one_of(st.text(), st.lists(_company_parts, max_size=8).map("".join))


@given(_company_names)
@settings(max_examples=400, deadline=None)
def test_company_key_is_idempotent_and_not_empty(name: str) -> None:
    key = company_match_key(name)
    assert company_match_key(key) == key
    assert bool(key) == bool(clean_text(name))


# ------------------------------------------------------------------------- person names


@pytest.mark.parametrize(
    "names",
    [
        ["张伟", "張偉", "张 伟", "张　伟", "張 偉"],
        ["Zhang Wei", "wei zhang", "ZHANG WEI", "Zhang, Wei", "  zhang   wei "],
        ["José García", "Jose Garcia", "GARCIA, José"],
        ["Jean-Pierre Dupont", "Jean Pierre Dupont", "Dupont Jean-Pierre"],
        ["爱新觉罗·溥仪", "爱新觉罗溥仪", "愛新覺羅·溥儀"],
        ["O'Brien Sean", "Sean OBrien", "Sean O’Brien"],
    ],
)
def test_person_spellings_share_a_key(names: list[str]) -> None:
    keys = {name: person_name_key(name) for name in names}
    assert len(set(keys.values())) == 1, keys


def test_person_key_values() -> None:
    assert person_name_key("張偉") == "张伟"
    assert person_name_key("Zhang Wei") == "weizhang"
    assert person_name_key("陈伟") != person_name_key("陈玮")
    assert person_name_key("") == ""


@given(st.text())
def test_person_key_is_idempotent(name: str) -> None:
    key = person_name_key(name)
    assert person_name_key(key) == key


def test_traditional_map_is_a_clean_one_step_map() -> None:
    simplified = set(TRADITIONAL_TO_SIMPLIFIED.values())
    traditional = {chr(code) for code in TRADITIONAL_TO_SIMPLIFIED}
    assert len(traditional) >= 500
    assert not simplified & traditional  # no chains: simplifying twice changes nothing
    surnames = "陳張劉楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭葉蘇盧"
    assert to_simplified(surnames) == "陈张刘杨黄赵吴孙马罗郑谢许韩冯邓萧叶苏卢"
    assert to_simplified("於乾") == "於乾"  # distinct surnames, not variants


# --------------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "raw",
    ["+86 138 0013 8000", "138-0013-8000", "13800138000", "0086 13800138000",
     "+86-138-0013-8000", "１３８００１３８０００", "(+86) 138 0013 8000", "手机：13800138000",
     "tel:+86-138-0013-8000"],
)  # fmt: skip
def test_mobile_spellings(raw: str) -> None:
    assert normalize_phone(raw) == "+8613800138000"


def test_landlines_and_other_regions() -> None:
    assert normalize_phone("(010) 6552 9988") == "+861065529988"
    assert normalize_phone("010-65529988") == "+861065529988"
    assert normalize_phone("0755-8888 8888") == "+8675588888888"
    assert normalize_phone("（０１０）６５５２９９８８") == "+861065529988"
    assert normalize_phone("+852 2345 6789") == "+85223456789"
    assert normalize_phone("(650) 253-0000", "US") == "+16502530000"
    assert normalize_phone("+1 650 253 0000") == "+16502530000"
    assert normalize_phone("030 123456", "de") == "+4930123456"


def test_an_extension_is_dropped() -> None:
    assert normalize_phone("010-65529988 ext. 123") == "+861065529988"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "12345", "138001380001", "not a phone", "(650) 253-0000", "+86 000 0000 0000",
     "95588", "1380013800", "+999 1234 5678"],
)  # fmt: skip
def test_invalid_phones_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_phone(raw)
    assert error.value.code == "phone.invalid"


def test_unknown_default_region_is_an_invalid_phone_not_a_crash() -> None:
    with pytest.raises(InvalidValue):
        normalize_phone("13800138000", "XX")


def test_format_phone() -> None:
    assert format_phone("+8613800138000") == "138 0013 8000"
    assert format_phone("+861065529988") == "010 6552 9988"
    assert format_phone("+16502530000") == "+1 650-253-0000"
    assert format_phone("+16502530000", "US") == "(650) 253-0000"
    assert format_phone("+8613800138000", "US") == "+86 138 0013 8000"
    assert format_phone("garbage") == "garbage"


_NUMBER_TYPES = [
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@st.composite
def _valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(_REGIONS))
    number = phonenumbers.example_number_for_type(region, draw(st.sampled_from(_NUMBER_TYPES)))
    number = number or phonenumbers.example_number(region)
    if number is None or not phonenumbers.is_valid_number(number):
        return "+8613800138000"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(_valid_numbers(), st.sampled_from(["CN", "US", "DE", "HK", "GB", "IT", "JP"]))
@settings(max_examples=300, deadline=None)  # phonenumbers loads metadata lazily
def test_format_then_normalize_round_trips(e164: str, home: str) -> None:
    assert normalize_phone(e164, home) == e164
    assert normalize_phone(format_phone(e164, home), home) == e164


# --------------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("Zhang.Wei@Example.COM", "zhang.wei@example.com"),
        ("  zw+crm@mail.example.cn ", "zw+crm@mail.example.cn"),
        ("ｚｗ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zw@example.com"),
        ("zw@example。com", "zw@example.com"),
        ("Zhang Wei <ZW@example.com>", "zw@example.com"),
        ("mailto:zw@example.com", "zw@example.com"),
        ("张伟@例子.中国", "张伟@例子.中国"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("a@xn--fiqs8s.xn--fiqz9s", "a@xn--fiqs8s.xn--fiqz9s"),
    ],
)
def test_valid_emails(raw: str, email: str) -> None:
    assert normalize_email(raw) == email


@pytest.mark.parametrize(
    "raw",
    ["", "zw", "zw@", "@example.com", "zw@example", "zw@@example.com", "z w@example.com",
     "zw@exa mple.com", "zw@example..com", "zw.@example.com", ".zw@example.com", "zw@-example.com",
     "zw@example.c", "zw@example.123", "zw@exam_ple.com", "a@b@example.com", "zw@example.com.",
     "(zw)@example.com", "x" * 65 + "@example.com", "zw@" + "a" * 64 + ".com",
     "zw@" + ("a" * 60 + ".") * 5 + "com"],
)  # fmt: skip
def test_invalid_emails(raw: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_email(raw)
    assert error.value.code == "email.invalid"


# ------------------------------------------------------------------------------ industry


def test_industry_list() -> None:
    assert len(INDUSTRIES) == 20
    assert INDUSTRIES["manufacturing"] == ("Manufacturing", "制造业")
    for code, (english, chinese) in INDUSTRIES.items():
        assert normalize_industry(code) == code
        assert normalize_industry(english.upper()) == code
        assert normalize_industry(chinese) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [("制造业", "manufacturing"), ("制造", "manufacturing"), ("IT", "it_software"),
     ("软件", "it_software"), ("互联网", "it_software"), ("it & software", "it_software"),
     ("IT-Software", "it_software"), ("零售", "retail"), ("电商", "retail"),
     ("贸易", "wholesale"), ("医疗", "healthcare"), ("银行", "finance"), ("房地产", "real_estate"),
     ("Real Estate", "real_estate"), ("物流", "logistics"), ("新能源", "energy"),
     ("Food and Beverage", "food_beverage"), ("食品饮料", "food_beverage"),
     ("F&B", "food_beverage"), ("汽车", "automotive"), ("电信", "telecom"), ("政府", "government"),
     ("餐饮", "hospitality"), ("广告", "media"), ("咨询", "professional_services"),
     ("其它", "other"), ("軟件", "it_software")],
)  # fmt: skip
def test_industry_synonyms(typed: str, code: str) -> None:
    assert normalize_industry(typed) == code


@pytest.mark.parametrize("typed", ["", "火箭", "software engineering services", "制"])
def test_unknown_industry(typed: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_industry(typed)
    assert error.value.code == "industry.unknown"
