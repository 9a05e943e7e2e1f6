"""User-facing text in zh-CN and en, and choosing the language of a request.

Domain code raises codes ("phone.invalid"); only this module turns them into sentences.
Messages live in server/messages/*.json, one file per business area:
{"phone.invalid": {"en": "Not a valid phone number.", "zh-CN": "电话号码无效。"}}
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


@cache
def messages() -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.json")):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    return catalog


def pick_language(query_lang: str | None, accept_language: str | None, default: str) -> str:
    """`?lang=` wins, then the first supported Accept-Language entry, then the default."""
    for candidate in [query_lang or "", *(accept_language or "").split(",")]:
        tag = candidate.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def is_known(code: str) -> bool:
    return code in messages()


def translate(code: str, lang: str, params: dict[str, Any] | None = None) -> str:
    texts = messages().get(code)
    if texts is None:
        return code
    template = texts.get(lang) or texts["en"]
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template
