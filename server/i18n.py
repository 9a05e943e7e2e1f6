"""User-facing text in zh-CN and en, and choosing the language of a request.

Domain code raises codes ("phone.invalid"); only this module turns them into sentences.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh-CN", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (English, 中文)
    "required": ("This field is required.", "此项为必填项。"),
    "contact_method.required": (
        "Enter at least one contact method (phone or email).",
        "请至少填写一种联系方式（电话或邮箱）。",
    ),
    "field.unknown": ("Unknown field.", "未知字段。"),
    "field.read_only": ("This field cannot be changed here.", "此字段不能在此修改。"),
    "type.string": ("Must be text.", "必须是文本。"),
    "type.string_list": ("Must be a list of text values.", "必须是文本列表。"),
    "type.number": ("Must be a number.", "必须是数字。"),
    "type.object": ("Must be an object.", "必须是对象。"),
    "type.invalid": ("Invalid value: {detail}", "值无效：{detail}"),
    "text.too_long": ("Too long (at most {max} characters).", "过长（最多 {max} 个字符）。"),
    "choice.invalid": ("Must be one of: {allowed}.", "必须是以下之一：{allowed}。"),
    "date.invalid": ("Not a valid date (YYYY-MM-DD).", "日期无效（格式 YYYY-MM-DD）。"),
    "phone.invalid": ("Not a valid phone number.", "电话号码无效。"),
    "email.invalid": ("Not a valid email address.", "邮箱地址无效。"),
    "region.unknown": ("Unknown region.", "无法识别的地区。"),
    "industry.unknown": ("Unknown industry.", "无法识别的行业。"),
    "tags.too_many": ("At most {max} tags.", "最多 {max} 个标签。"),
    "custom_field.bad_key": (
        "Key must be lowercase letters, digits or _ and start with a letter.",
        "键名只能包含小写字母、数字或下划线，并以字母开头。",
    ),
    "custom_field.exists": ("A custom field with this key exists.", "已存在同名自定义字段。"),
    "user.unknown": ("No such active user.", "用户不存在或已停用。"),
    "user.exists": ("This username is taken.", "用户名已被占用。"),
    "password.too_short": ("At least {min} characters.", "至少 {min} 个字符。"),
    "role.invalid": ("Unknown role.", "未知角色。"),
    "auth.invalid_credentials": ("Wrong username or password.", "用户名或密码错误。"),
    "auth.rate_limited": (
        "Too many failed logins. Try again in {seconds} seconds.",
        "登录失败次数过多，请 {seconds} 秒后再试。",
    ),
    "auth.required": ("Please log in.", "请先登录。"),
    "auth.forbidden": ("You do not have permission to do this.", "您没有执行此操作的权限。"),
    "not_found": ("Not found.", "未找到。"),
    "customer.duplicate_owned": (
        "This customer already exists and is owned by {owner}.",
        "该客户已存在，负责人为 {owner}。",
    ),
    "csv.bad_header": ("Missing column(s): {columns}.", "缺少列：{columns}。"),
    "csv.unreadable": ("The file is not readable UTF-8 CSV.", "文件不是可读取的 UTF-8 CSV。"),
    "csv.too_large": ("The file has more than {max} rows.", "文件超过 {max} 行。"),
    "request.invalid": ("The request is malformed: {detail}", "请求格式错误：{detail}"),
    "server.error": (
        "Something went wrong on our side; nothing was saved. Please retry.",
        "服务器出错，未保存任何内容，请重试。",
    ),
}


def pick_language(query_lang: str | None, accept_language: str | None, default: str) -> str:
    """`?lang=` wins, then the first supported Accept-Language entry, then the default."""
    for candidate in [query_lang or "", *(accept_language or "").split(",")]:
        tag = candidate.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def translate(code: str, lang: str, params: dict[str, Any] | None = None) -> str:
    english, chinese = MESSAGES.get(code, (code, code))
    template = chinese if lang == "zh-CN" else english
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template
