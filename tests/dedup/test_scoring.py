"""Match keys and pair scores: Chinese and English names, phones, emails, regions."""

from __future__ import annotations

import pytest

from server.domain.dedup import (
    AUTO_MERGE_SCORE,
    LIKELY_SCORE,
    MatchRecord,
    name_similarity,
    regions_agree,
    score,
)
from server.domain.dedup.scoring import NameStats, name_stats


def company(name: str, phone=None, email=None, region=None, address=None, id="x") -> MatchRecord:
    return MatchRecord.from_input(id, "company", name, phone, email, region, address)


def person(name: str, phone=None, email=None, region=None, id="x") -> MatchRecord:
    return MatchRecord.from_input(id, "person", name, phone, email, region)


# ---- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("北京某某科技有限公司", "某某科技(北京)有限公司"),
        ("北京某某科技有限公司", "某某科技（北京）有限责任公司"),
        ("北京某某科技有限公司", "某某科技股份有限公司"),
        ("Acme Co., Ltd.", "ACME Inc"),
        ("Ａｃｍｅ　Ｌｔｄ．", "acme llc"),
    ],
)
def test_company_name_variants_share_a_key(a: str, b: str) -> None:
    assert company(a).key == company(b).key
    assert name_similarity(company(a), company(b)) == 1.0


def test_traditional_and_simplified_person_names_share_a_key() -> None:
    assert person("張偉").key == person("张伟").key == "张伟"
    assert person("Wei Zhang").key == person("ZHANG, Wei").key


def test_phone_formats_and_email_case_normalize_to_one_value() -> None:
    forms = ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "(+86)13800138000"]
    assert {company("甲", phone=f).phone for f in forms} == {"+8613800138000"}
    assert company("甲", email="ZW@Example.COM").email == "zw@example.com"


def test_input_that_does_not_parse_yet_is_left_out() -> None:
    typing = company("星辰", phone="1380", email="zw@", region="Atlantis")
    assert (typing.phone, typing.email, typing.region) == (None, None, None)


def test_a_leading_place_kept_by_normalization_is_compared_without_it() -> None:
    bare, placed = company("星辰科技有限公司"), company("北京星辰科技")
    assert placed.key == "北京星辰科技" and placed.core == "星辰科技"
    assert name_similarity(bare, placed) > 0.95
    # …but two banks named after their cities stay different.
    assert name_similarity(company("上海银行"), company("北京银行")) < 0.8


# ---- scores ----------------------------------------------------------------------------------


def test_same_company_written_differently_with_the_same_phone_is_merged() -> None:
    a = company("北京某某科技有限公司", phone="010-6552 9988", region="北京")
    b = company("某某科技（北京）有限公司", phone="+86 10 6552 9988", region="Beijing")
    result = score(a, b)
    assert result.value >= AUTO_MERGE_SCORE
    assert set(result.reasons) == {"name", "phone", "region"}


def test_same_person_in_traditional_characters_with_the_same_mobile_is_merged() -> None:
    a = person("张伟", phone="+86 138 0013 8000")
    b = person("張偉", phone="138-0013-8000")
    assert score(a, b).value >= AUTO_MERGE_SCORE


def test_english_company_with_other_suffix_and_a_typo_and_the_same_email_is_likely() -> None:
    a = company("Apex Robotics Co., Ltd.", email="info@apex.com")
    b = company("Apex Robotcs Inc.", email="INFO@apex.com")
    assert score(a, b).value >= LIKELY_SCORE


def test_a_name_alone_is_never_enough_for_an_automatic_merge() -> None:
    a, b = company("星辰科技有限公司"), company("星辰科技股份有限公司")
    assert LIKELY_SCORE <= score(a, b).value < AUTO_MERGE_SCORE


def test_namesake_company_in_another_city_is_not_a_duplicate() -> None:
    a = company("星辰科技有限公司", phone="13800138000", region="北京")
    b = company("星辰科技有限公司", phone="13900139000", region="深圳")
    assert score(a, b).value < LIKELY_SCORE


def test_common_person_name_without_shared_contact_is_not_a_duplicate() -> None:
    a = person("张伟", phone="13800138000", region="北京")
    b = person("张伟", phone="13900139000", region="北京")
    assert score(a, b, NameStats(records=300, regions=20)).value < LIKELY_SCORE


def test_rare_person_name_in_the_same_city_is_a_likely_duplicate() -> None:
    a = person("欧阳慧珊", phone="13800138000", region="广州")
    b = person("欧阳慧珊", region="广州")
    assert score(a, b, NameStats(records=2, regions=1)).value >= LIKELY_SCORE
    assert score(a, b, NameStats(records=80, regions=1)).value < LIKELY_SCORE


def test_a_company_name_used_in_several_cities_says_little_without_a_region() -> None:
    a, b = company("Maple Medical Inc.", region="上海"), company("Maple Medical LLC")
    unique = score(a, b, NameStats(records=2, regions=1)).value
    namesakes = score(a, b, NameStats(records=5, regions=3)).value
    assert unique >= LIKELY_SCORE > namesakes


def test_a_strict_subset_of_words_is_not_an_exact_name() -> None:
    a, b = company("Beacon Foods Ltd."), company("Royal Beacon Foods Co., Ltd.")
    assert name_similarity(a, b) < 1.0
    assert score(a, b).value < LIKELY_SCORE


def test_same_phone_but_an_unrelated_name_is_not_a_duplicate() -> None:
    a = company("星辰科技有限公司", phone="13800138000")
    b = company("宏达物流有限公司", phone="13800138000")
    assert score(a, b).value < LIKELY_SCORE


def test_a_company_and_a_person_of_the_same_name_are_kept_apart() -> None:
    a, b = company("张伟", phone="13800138000"), person("张伟", phone="13900139000")
    assert score(a, b).value < LIKELY_SCORE


def test_regions_agree_when_one_contains_the_other() -> None:
    assert regions_agree("CN-GD", "CN-GD-SZ") and regions_agree("CN-GD-SZ", "CN-GD")
    assert not regions_agree("CN-GD-SZ", "CN-GD-GZ")
    assert not regions_agree("CN-GD", "CN-GX")


def test_name_stats_count_records_and_distinct_regions_per_key() -> None:
    records = [
        company("星辰科技有限公司", region="北京"),
        company("星辰科技股份有限公司", region="深圳"),
        company("星辰科技"),
        company("宏达物流有限公司"),
    ]
    assert name_stats(records) == {"星辰科技": NameStats(records=3, regions=2)}


def test_a_form_with_only_a_phone_so_far_still_finds_the_customer() -> None:
    typed = MatchRecord.from_input("", None, "", phone="138 0013 8000")
    stored = company("星辰科技有限公司", phone="+8613800138000")
    result = score(typed, stored)
    assert result.value >= LIKELY_SCORE and result.reasons == ("phone",)


def test_a_company_without_a_precise_region_takes_the_place_its_name_names() -> None:
    assert company("星辰科技（深圳）有限公司").region == "CN-GD-SZ"
    assert company("湖州星辰紡織有限責任公司").region == "CN-ZJ-HUZ"
    assert company("Apex Robotics (Shanghai) Co., Ltd.").region == "CN-SH"
    assert company("星辰科技（深圳）有限公司", region="广东").region == "CN-GD-SZ"
    assert company("星辰科技（深圳）有限公司", region="北京").region == "CN-BJ"  # the field wins
    assert person("北京 张伟").region is None
