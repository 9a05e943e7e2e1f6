"""Region normalization: every way people write a place → one code."""

from __future__ import annotations

import pytest

from server.domain.errors import InvalidValue
from server.domain.region_data import CITIES, PROVINCES
from server.domain.regions import (
    AMBIGUOUS_NAMES,
    all_regions,
    is_place_name,
    normalize_region,
    region_name,
    region_province,
    region_short_name,
    split_region_prefix,
)


@pytest.mark.parametrize(
    "typed",
    ["北京", "北京市", "BJ", "bj", "Beijing", "BEIJING", "Beijing City", "Peking", "京",
     "CN-BJ", "cn-bj", " 北京 ", "ＢＪ", "北　京", "Běijīng", "中国北京"],
)  # fmt: skip
def test_beijing_spellings(typed: str) -> None:
    assert normalize_region(typed) == "CN-BJ"


@pytest.mark.parametrize(
    "typed",
    ["广东省深圳市", "广东深圳", "广东 深圳", "深圳", "深圳市", "Shenzhen", "shenzhen shi",
     "Shenzhen, Guangdong", "Shenzhen, Guangdong, China", "Guangdong Shenzhen", "CN-GD-SZ",
     "GD-SZ", "中国广东省深圳市"],
)  # fmt: skip
def test_shenzhen_spellings(typed: str) -> None:
    assert normalize_region(typed) == "CN-GD-SZ"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("上海", "CN-SH"), ("沪", "CN-SH"), ("Shanghai", "CN-SH"), ("SH", "CN-SH"),
        ("广东", "CN-GD"), ("广东省", "CN-GD"), ("粤", "CN-GD"), ("Guangdong Province", "CN-GD"),
        ("浙", "CN-ZJ"), ("浙江省", "CN-ZJ"), ("ZJ", "CN-ZJ"),
        ("内蒙古自治区", "CN-NM"), ("内蒙古", "CN-NM"), ("Inner Mongolia", "CN-NM"),
        ("Nei Mongol", "CN-NM"),
        ("广西壮族自治区", "CN-GX"), ("广西", "CN-GX"), ("广西自治区", "CN-GX"),
        ("广西省", "CN-GX"),
        ("新疆维吾尔自治区", "CN-XJ"), ("Xinjiang Uygur Autonomous Region", "CN-XJ"),
        ("西藏", "CN-XZ"), ("Tibet", "CN-XZ"),
        ("香港", "CN-HK"), ("香港特别行政区", "CN-HK"), ("香港特区", "CN-HK"),
        ("Hong Kong", "CN-HK"), ("HK", "CN-HK"), ("HKSAR", "CN-HK"),
        ("澳门", "CN-MO"), ("Macau", "CN-MO"), ("Macao", "CN-MO"),
        ("台湾", "CN-TW"), ("Taiwan", "CN-TW"),
        ("苏州", "CN-JS-SZ"), ("Suzhou", "CN-JS-SZ"), ("江苏苏州", "CN-JS-SZ"),
        ("广州", "CN-GD-GZ"), ("Canton", "CN-GD-GZ"), ("厦门", "CN-FJ-XM"), ("Amoy", "CN-FJ-XM"),
        ("西安", "CN-SN-XA"), ("Xi'an", "CN-SN-XA"), ("Xian", "CN-SN-XA"),
        ("无锡", "CN-JS-WX"), ("佛山", "CN-GD-FS"), ("东莞市", "CN-GD-DG"), ("温州", "CN-ZJ-WZ"),
        ("泉州", "CN-FJ-QZ"), ("义乌", "CN-ZJ-YW"),
        ("Urumqi", "CN-XJ-URC"), ("Ürümqi", "CN-XJ-URC"),
    ],
)  # fmt: skip
def test_aliases(typed: str, code: str) -> None:
    assert normalize_region(typed) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [("廣東", "CN-GD"), ("廣東省深圳市", "CN-GD-SZ"), ("臺灣", "CN-TW"), ("台灣", "CN-TW"),
     ("香港特別行政區", "CN-HK"), ("澳門", "CN-MO"), ("蘇州", "CN-JS-SZ"), ("廈門", "CN-FJ-XM"),
     ("臺北", "CN-TW-TPE"), ("內蒙古", "CN-NM"), ("遼寧", "CN-LN"), ("陝西", "CN-SN"),
     ("黑龍江", "CN-HL"), ("烏魯木齊", "CN-XJ-URC"), ("無錫", "CN-JS-WX"), ("鄭州", "CN-HA-ZZ")],
)  # fmt: skip
def test_traditional_characters(typed: str, code: str) -> None:
    assert normalize_region(typed) == code


def test_province_wins_over_namesake_city() -> None:
    assert normalize_region("吉林") == "CN-JL"
    assert normalize_region("吉林省") == "CN-JL"
    assert normalize_region("吉林市") == "CN-JL-JL"
    assert normalize_region("吉林省吉林市") == "CN-JL-JL"
    assert normalize_region("Jilin City") == "CN-JL-JL"


def test_a_name_shared_by_two_cities_needs_its_province() -> None:
    assert "taizhou" in AMBIGUOUS_NAMES  # 泰州 (Jiangsu) and 台州 (Zhejiang)
    with pytest.raises(InvalidValue):
        normalize_region("Taizhou")
    assert normalize_region("Taizhou, Zhejiang") == "CN-ZJ-TZ"
    assert normalize_region("Jiangsu Taizhou") == "CN-JS-TZ"
    assert normalize_region("台州") == "CN-ZJ-TZ"
    assert normalize_region("泰州") == "CN-JS-TZ"


def test_only_the_expected_names_are_ambiguous() -> None:
    assert set(AMBIGUOUS_NAMES) == {"taizhou", "taizhoucity", "taizhoushi"}


@pytest.mark.parametrize(
    "typed",
    ["SZ", "HN", "HB", "SX", "GZ",  # two letters that mean more than one place
     "", "   ", "中国", "China", "火星", "abc", "京沪", "广东杭州", "深圳市南山区", "北京" * 40],
)  # fmt: skip
def test_unknown_or_ambiguous_input_is_rejected(typed: str) -> None:
    with pytest.raises(InvalidValue) as error:
        normalize_region(typed)
    assert error.value.code == "region.unknown"


def test_full_iso_code_is_accepted_where_the_two_letters_are_not() -> None:
    assert normalize_region("CN-HN") == "CN-HN"
    assert normalize_region("CN-GZ") == "CN-GZ"
    assert normalize_region("湖南") == "CN-HN"
    assert normalize_region("贵州") == "CN-GZ"


def test_all_34_provincial_divisions() -> None:
    kinds = [p.kind for p in PROVINCES]
    assert len(PROVINCES) == 34
    assert (kinds.count("province"), kinds.count("autonomous")) == (23, 5)
    assert (kinds.count("municipality"), kinds.count("sar")) == (4, 2)
    assert len({p.code for p in PROVINCES}) == 34


def test_every_row_resolves_by_each_of_its_names() -> None:
    for province in PROVINCES:
        for name in (province.code, province.zh, province.short, province.en):
            assert normalize_region(name) == province.code, name
    for city in CITIES:
        names = [city.code, city.zh, city.en]
        if city.zh != "吉林市":
            names.append(city.zh.removesuffix("市"))
        for name in names:
            if name.casefold() != "taizhou":
                assert normalize_region(name) == city.code, name


def test_major_cities_are_covered() -> None:
    capitals = "石家庄 太原 呼和浩特 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 济南 郑州 武汉 长沙 广州 南宁 海口 成都 贵阳 昆明 拉萨 西安 兰州 西宁 银川 乌鲁木齐 台北"  # noqa: E501
    sub_provincial = "哈尔滨 长春 沈阳 大连 济南 青岛 南京 杭州 宁波 厦门 武汉 广州 深圳 成都 西安"
    for name in (capitals + " " + sub_provincial).split():
        assert normalize_region(name).count("-") == 2, name
    assert len(CITIES) >= 28 + 15 + 60 - 10  # capitals and sub-provincial cities overlap


def test_city_codes_carry_their_province() -> None:
    assert region_province("CN-GD-SZ") == "CN-GD"
    assert region_province("CN-JS-SZ") == "CN-JS"
    assert region_province("CN-BJ") == "CN-BJ"
    for city in CITIES:
        assert region_province(city.code) in {p.code for p in PROVINCES}
    with pytest.raises(InvalidValue):
        region_province("CN-XX")


def test_region_names_for_display() -> None:
    assert region_name("CN-BJ") == "北京市"
    assert region_name("CN-BJ", "en") == "Beijing"
    assert region_name("CN-GD-SZ", "zh-CN") == "深圳市"
    assert region_name("CN-GD-SZ", "en-US") == "Shenzhen"
    assert region_short_name("CN-NM") == "内蒙古"
    assert region_short_name("CN-GD-SZ") == "深圳"
    with pytest.raises(InvalidValue):
        region_name("Beijing")


def test_all_regions_lists_each_province_then_its_cities() -> None:
    rows = all_regions()
    assert len(rows) == len(PROVINCES) + len(CITIES)
    assert rows[0] == ("CN-BJ", "北京市", "Beijing")
    codes = [code for code, _, _ in rows]
    assert codes.index("CN-GD") < codes.index("CN-GD-GZ") < codes.index("CN-GX")
    assert len(set(codes)) == len(codes)


def test_split_region_prefix() -> None:
    assert split_region_prefix("广东省深圳市某某科技") == ("广东省深圳市", "某某科技")
    assert split_region_prefix("北京某某") == ("北京", "某某")
    assert split_region_prefix("京东") == ("", "京东")  # abbreviations never split a name
    assert split_region_prefix("某某科技") == ("", "某某科技")


def test_is_place_name() -> None:
    assert is_place_name("北京") and is_place_name("China") and is_place_name("中国")
    assert not is_place_name("集团")
