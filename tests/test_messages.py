"""Every user-facing message exists in both languages, and no two areas define a code twice."""

from __future__ import annotations

import json
import string

from server.i18n import MESSAGES_DIR, pick_language, translate


def test_every_message_has_english_and_chinese_with_the_same_placeholders():
    for path in MESSAGES_DIR.glob("*.json"):
        for code, texts in json.loads(path.read_text(encoding="utf-8")).items():
            assert set(texts) == {"en", "zh-CN"}, (path.name, code)
            # A name may come in each language ({stage_en} / {stage_zh}): same placeholder.
            fields = [
                {
                    name.removesuffix("_en").removesuffix("_zh")
                    for _, name, _, _ in string.Formatter().parse(texts[lang])
                    if name
                }
                for lang in ("en", "zh-CN")
            ]
            assert fields[0] == fields[1], (path.name, code)


def test_no_code_is_defined_in_two_files():
    seen: dict[str, str] = {}
    for path in sorted(MESSAGES_DIR.glob("*.json")):
        for code in json.loads(path.read_text(encoding="utf-8")):
            assert code not in seen, f"{code} in {seen.get(code)} and {path.name}"
            seen[code] = path.name


def test_language_negotiation():
    assert pick_language("en", "zh-CN,zh;q=0.9", "zh-CN") == "en"
    assert pick_language(None, "zh-TW,en;q=0.5", "en") == "zh-CN"
    assert pick_language(None, "fr-FR, en-GB;q=0.8", "zh-CN") == "en"
    assert pick_language(None, None, "zh-CN") == "zh-CN"
    assert translate("text.too_long", "zh-CN", {"max": 5}) == "过长（最多 5 个字符）。"
