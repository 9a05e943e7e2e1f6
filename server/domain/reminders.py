"""Follow-up reminder rules: which reminders are due for a customer at a given moment.

Every rule is a pure function of plain snapshots and an explicit `now`, so the worker can run
it on rows it loaded and tests can travel in time. A rule returns at most one `Reminder` per
occurrence; the occurrence key names that occurrence (e.g. "cadence:<customer>:2024-03-05")
and does not change while the facts behind it stay the same, so the worker can insert
reminders with a unique key and deliver each occurrence exactly once however often it runs.

Date-based rules (cadence, contract expiry, birthdays) fall due at the start of the
recipient's local day; instant-based ones (explicit follow-ups, stage overdue) at the instant.
Delivery then waits for the end of quiet hours (see schedule.next_delivery_time).

Reminders carry message codes and parameters, never sentences; `render_reminder` turns them
into zh-CN or en text for push payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from server.domain.schedule import (
    DEFAULT_TIME_ZONE,
    TimeZoneLike,
    local_date,
    require_aware,
    start_of_local_day,
)

RecordId = UUID | str
UserId = int
MessageParams = dict[str, str | int]


class ReminderKind(StrEnum):
    CADENCE = "cadence"
    FOLLOW_UP = "follow_up"
    CONTRACT_EXPIRY = "contract_expiry"
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    STAGE_OVERDUE = "stage_overdue"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class ReminderSettings:
    """Per-deployment knobs; the defaults are the product's."""

    cadence_days: Mapping[str, int] = field(default_factory=lambda: {"A": 3, "B": 7, "C": 30})
    contract_notice_days: int = 30
    occasion_notice_days: int = 3  # birthdays/anniversaries: time to arrange a greeting or gift
    escalate_after_hours: float = 24.0


DEFAULT_SETTINGS = ReminderSettings()


# ---- inputs: one snapshot per row the worker loads --------------------------------------


@dataclass(frozen=True)
class FollowUpSnapshot:
    """An explicit follow-up the rep scheduled (FollowUp row)."""

    id: RecordId
    title: str
    due_at: datetime
    owner_id: UserId | None = None  # None → the customer's owner
    done_at: datetime | None = None


@dataclass(frozen=True)
class ContractSnapshot:
    id: RecordId
    number: str
    end_date: date
    status: str = "active"  # draft | active | expired | terminated


@dataclass(frozen=True)
class ContactSnapshot:
    id: RecordId
    name: str
    birthday: date | None = None
    anniversary: date | None = None


@dataclass(frozen=True)
class DealSnapshot:
    id: RecordId
    title: str
    stage: str
    stage_entered_at: datetime
    expected_days: int | None  # the stage's expected duration; None → no limit (e.g. won/lost)
    owner_id: UserId | None = None  # None → the customer's owner
    closed_at: datetime | None = None


@dataclass(frozen=True)
class CustomerSnapshot:
    """A customer with the rows its reminders depend on."""

    id: RecordId
    name: str
    owner_id: UserId | None  # None = public pool: nobody to remind
    grade: str
    created_at: datetime
    last_contact_at: datetime | None = None
    last_activity_summary: str | None = None
    last_activity_next_step: str | None = None  # the rep's own plan, written with the activity
    key_facts: tuple[str, ...] = ()
    follow_ups: tuple[FollowUpSnapshot, ...] = ()
    contracts: tuple[ContractSnapshot, ...] = ()
    contacts: tuple[ContactSnapshot, ...] = ()
    deals: tuple[DealSnapshot, ...] = ()


# ---- output ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    """Text to be translated later: a message code and its parameters."""

    code: str
    params: MessageParams = field(default_factory=dict)


@dataclass(frozen=True)
class ReminderContext:
    last_activity_summary: str | None
    key_facts: tuple[str, ...]
    next_step: MessageRef


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    occurrence_key: str  # idempotency key: one reminder per occurrence, ever
    customer_id: RecordId
    recipient_id: UserId
    due_at: datetime
    title: MessageRef
    detail: MessageRef
    context: ReminderContext
    escalates: str | None = None  # occurrence key of the reminder an escalation is about


# ---- helpers shared by the rules ------------------------------------------------------------

# What usually moves a deal out of each default stage.
STAGE_NEXT_STEPS = {
    "lead": "next_step.qualify_lead",
    "first_contact": "next_step.confirm_needs",
    "needs_confirmed": "next_step.present_proposal",
    "proposal": "next_step.follow_up_proposal",
    "negotiation": "next_step.close_negotiation",
}


def _stamp(instant: datetime) -> str:
    """Compact UTC instant for occurrence keys, independent of the input's offset."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _planned_or(customer: CustomerSnapshot, fallback: MessageRef) -> MessageRef:
    """The rep's own written plan beats a generic suggestion."""
    if customer.last_activity_next_step:
        return MessageRef("next_step.planned", {"plan": customer.last_activity_next_step})
    return fallback


def _reminder(
    kind: ReminderKind,
    key: str,
    customer: CustomerSnapshot,
    recipient_id: UserId,
    due_at: datetime,
    detail_params: MessageParams,
    next_step: MessageRef,
    title_variant: str = "",
    detail_variant: str = "",
) -> Reminder:
    """Builds a reminder; a variant picks an alternative wording, e.g. "title_today"."""
    params: MessageParams = {"customer": customer.name, **detail_params}
    return Reminder(
        kind=kind,
        occurrence_key=f"{kind.value}:{key}",
        customer_id=customer.id,
        recipient_id=recipient_id,
        due_at=due_at,
        title=MessageRef(f"reminder.{kind.value}.{title_variant or 'title'}", params),
        detail=MessageRef(f"reminder.{kind.value}.{detail_variant or 'detail'}", params),
        context=ReminderContext(customer.last_activity_summary, customer.key_facts, next_step),
    )


def _has_pending_follow_up(customer: CustomerSnapshot, today: date, zone: TimeZoneLike) -> bool:
    return any(
        f.done_at is None and local_date(f.due_at, zone) >= today for f in customer.follow_ups
    )


def _latest_in_series(first: date, period_days: int, today: date) -> date:
    """The last date of first, first+period, first+2·period … that is not after today."""
    periods_passed = (today - first).days // period_days
    return first + timedelta(days=periods_passed * period_days)


# ---- the rules --------------------------------------------------------------------------------


def cadence_reminder(
    customer: CustomerSnapshot,
    now: datetime,
    settings: ReminderSettings = DEFAULT_SETTINGS,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
) -> Reminder | None:
    """Contact the customer every N local days (by grade) since the last contact.

    An ignored reminder recurs every period, each with its own key. A scheduled, not yet
    passed follow-up stands in for the cadence, so the rep is not reminded twice.
    """
    require_aware(now)
    period = settings.cadence_days.get(customer.grade)
    if customer.owner_id is None or not period:
        return None
    today = local_date(now, zone)
    if _has_pending_follow_up(customer, today, zone):
        return None
    since = local_date(customer.last_contact_at or customer.created_at, zone)
    first_due = since + timedelta(days=period)
    if today < first_due:
        return None
    due_day = _latest_in_series(first_due, period, today)
    never = customer.last_contact_at is None
    return _reminder(
        ReminderKind.CADENCE,
        f"{customer.id}:{due_day.isoformat()}",
        customer,
        customer.owner_id,
        start_of_local_day(due_day, zone),
        {"grade": customer.grade, "days": (due_day - since).days},
        _planned_or(customer, MessageRef("next_step.check_in")),
        detail_variant="detail_never" if never else "",
    )


def follow_up_reminder(
    customer: CustomerSnapshot, follow_up: FollowUpSnapshot, now: datetime
) -> Reminder | None:
    """An open follow-up whose time has come; rescheduling it makes a new occurrence."""
    require_aware(now)
    recipient = follow_up.owner_id or customer.owner_id
    if recipient is None or follow_up.done_at is not None or now < follow_up.due_at:
        return None
    return _reminder(
        ReminderKind.FOLLOW_UP,
        f"{follow_up.id}:{_stamp(follow_up.due_at)}",
        customer,
        recipient,
        follow_up.due_at,
        {"title": follow_up.title},
        _planned_or(customer, MessageRef("next_step.check_in")),
    )


def contract_expiry_reminder(
    customer: CustomerSnapshot,
    contract: ContractSnapshot,
    now: datetime,
    settings: ReminderSettings = DEFAULT_SETTINGS,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
) -> Reminder | None:
    """An active contract ends within the notice period (default 30 days), end day included."""
    require_aware(now)
    if customer.owner_id is None or contract.status != "active":
        return None
    today = local_date(now, zone)
    notice_day = contract.end_date - timedelta(days=settings.contract_notice_days)
    if not notice_day <= today <= contract.end_date:
        return None
    end = contract.end_date.isoformat()
    days_left = (contract.end_date - today).days
    return _reminder(
        ReminderKind.CONTRACT_EXPIRY,
        f"{contract.id}:{end}",
        customer,
        customer.owner_id,
        start_of_local_day(notice_day, zone),
        {"contract": contract.number, "end_date": end, "days": days_left},
        MessageRef("next_step.discuss_renewal", {"contract": contract.number}),
        title_variant="title_today" if days_left == 0 else "",
    )


def occasion_in_year(original: date, year: int) -> date:
    """The yearly occasion of `original` in `year`; Feb 29 is kept on Feb 28 in common years."""
    try:
        return original.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def next_occasion(original: date, today: date) -> date:
    """The first yearly occasion of `original` on or after `today`."""
    this_year = occasion_in_year(original, today.year)
    return this_year if this_year >= today else occasion_in_year(original, today.year + 1)


def _occasion_reminder(
    kind: ReminderKind,
    customer: CustomerSnapshot,
    contact: ContactSnapshot,
    original: date | None,
    now: datetime,
    settings: ReminderSettings,
    zone: TimeZoneLike,
) -> Reminder | None:
    require_aware(now)
    if customer.owner_id is None or original is None:
        return None
    today = local_date(now, zone)
    occasion = next_occasion(original, today)
    notice_day = occasion - timedelta(days=settings.occasion_notice_days)
    if today < notice_day or occasion <= original:  # a date in the future is bad data
        return None
    days_left = (occasion - today).days
    params: MessageParams = {
        "contact": contact.name,
        "date": occasion.isoformat(),
        "days": days_left,
    }
    if kind is ReminderKind.ANNIVERSARY:
        params["years"] = occasion.year - original.year
    return _reminder(
        kind,
        f"{contact.id}:{occasion.isoformat()}",
        customer,
        customer.owner_id,
        start_of_local_day(notice_day, zone),
        params,
        MessageRef("next_step.send_greeting", {"contact": contact.name}),
        title_variant="title_today" if days_left == 0 else "",
    )


def birthday_reminder(
    customer: CustomerSnapshot,
    contact: ContactSnapshot,
    now: datetime,
    settings: ReminderSettings = DEFAULT_SETTINGS,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
) -> Reminder | None:
    """A contact's birthday is within the notice days (default 3), the day itself included."""
    return _occasion_reminder(
        ReminderKind.BIRTHDAY, customer, contact, contact.birthday, now, settings, zone
    )


def anniversary_reminder(
    customer: CustomerSnapshot,
    contact: ContactSnapshot,
    now: datetime,
    settings: ReminderSettings = DEFAULT_SETTINGS,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
) -> Reminder | None:
    """Same as birthdays, for the contact's anniversary date."""
    return _occasion_reminder(
        ReminderKind.ANNIVERSARY, customer, contact, contact.anniversary, now, settings, zone
    )


def stage_overdue_reminder(
    customer: CustomerSnapshot, deal: DealSnapshot, now: datetime
) -> Reminder | None:
    """An open deal has stayed in its stage longer than the stage's expected duration.

    One occurrence per stay in a stage (keyed by when it entered), so changing the expected
    duration does not re-send it.
    """
    require_aware(now)
    recipient = deal.owner_id or customer.owner_id
    if recipient is None or deal.closed_at is not None or not deal.expected_days:
        return None
    due_at = deal.stage_entered_at + timedelta(days=deal.expected_days)
    if now < due_at:
        return None
    return _reminder(
        ReminderKind.STAGE_OVERDUE,
        f"{deal.id}:{deal.stage}:{_stamp(deal.stage_entered_at)}",
        customer,
        recipient,
        due_at,
        {
            "deal": deal.title,
            "stage": deal.stage,
            "days": (now - deal.stage_entered_at).days,
            "expected_days": deal.expected_days,
        },
        MessageRef(STAGE_NEXT_STEPS.get(deal.stage, "next_step.move_or_close")),
    )


def due_reminders(
    customer: CustomerSnapshot,
    now: datetime,
    settings: ReminderSettings = DEFAULT_SETTINGS,
    zone: TimeZoneLike = DEFAULT_TIME_ZONE,
) -> list[Reminder]:
    """Every reminder due for one customer at `now`, in the recipient's time zone."""
    candidates: list[Reminder | None] = [cadence_reminder(customer, now, settings, zone)]
    candidates += [follow_up_reminder(customer, f, now) for f in customer.follow_ups]
    candidates += [
        contract_expiry_reminder(customer, c, now, settings, zone) for c in customer.contracts
    ]
    for contact in customer.contacts:
        candidates.append(birthday_reminder(customer, contact, now, settings, zone))
        candidates.append(anniversary_reminder(customer, contact, now, settings, zone))
    candidates += [stage_overdue_reminder(customer, d, now) for d in customer.deals]
    return [r for r in candidates if r is not None]


# ---- escalation -----------------------------------------------------------------------------


def escalation_deadline(reminder_due_at: datetime, after_hours: float) -> datetime:
    return reminder_due_at + timedelta(hours=after_hours)


def needs_escalation(
    reminder_due_at: datetime, acted_at: datetime | None, now: datetime, after_hours: float
) -> bool:
    """The deadline has passed and the rep had not acted by then.

    Judged against the deadline, not against `now`, so the answer does not depend on when the
    worker happens to look.
    """
    require_aware(now)
    deadline = escalation_deadline(reminder_due_at, after_hours)
    if now < deadline:
        return False
    return acted_at is None or acted_at > deadline


def escalation_reminder(
    original: Reminder,
    manager_id: UserId | None,
    rep_name: str,
    after_hours: float = DEFAULT_SETTINGS.escalate_after_hours,
) -> Reminder | None:
    """The manager's copy of a reminder the rep left unhandled; None if there is nobody above."""
    if (
        manager_id is None
        or manager_id == original.recipient_id
        or original.kind is ReminderKind.ESCALATION
    ):
        return None
    params: MessageParams = {**original.title.params, "rep": rep_name}
    return replace(
        original,
        kind=ReminderKind.ESCALATION,
        occurrence_key=f"{ReminderKind.ESCALATION.value}:{original.occurrence_key}",
        recipient_id=manager_id,
        due_at=escalation_deadline(original.due_at, after_hours),
        title=MessageRef("reminder.escalation.title", params),
        detail=original.title,  # the manager sees what the rep was reminded of
        context=replace(
            original.context, next_step=MessageRef("next_step.check_with_rep", {"rep": rep_name})
        ),
        escalates=original.occurrence_key,
    )


# ---- text -----------------------------------------------------------------------------------

# code: (English, 中文) — the same shape as server.i18n.MESSAGES, so they can be merged there.
REMINDER_MESSAGES: dict[str, tuple[str, str]] = {
    "reminder.cadence.title": ("Time to contact {customer}", "该联系{customer}了"),
    "reminder.cadence.detail": (
        "Grade {grade} customer, last contact {days} days ago.",
        "{grade}类客户，距上次联系已 {days} 天。",
    ),
    "reminder.cadence.detail_never": (
        "Grade {grade} customer, not contacted in {days} days since it was added.",
        "{grade}类客户，录入 {days} 天来尚未联系。",
    ),
    "reminder.follow_up.title": ("Follow up: {title}", "跟进：{title}"),
    "reminder.follow_up.detail": ("Planned follow-up with {customer}.", "与{customer}的计划跟进。"),
    "reminder.contract_expiry.title": (
        "Contract {contract} expires in {days} days",
        "合同 {contract} 将于 {days} 天后到期",
    ),
    "reminder.contract_expiry.title_today": (
        "Contract {contract} expires today",
        "合同 {contract} 今天到期",
    ),
    "reminder.contract_expiry.detail": (
        "{customer}: the contract ends on {end_date}.",
        "{customer}：合同于 {end_date} 到期。",
    ),
    "reminder.birthday.title": ("{contact}'s birthday in {days} days", "{contact} {days} 天后生日"),
    "reminder.birthday.title_today": ("Today is {contact}'s birthday", "今天是{contact}的生日"),
    "reminder.birthday.detail": (
        "{contact} ({customer}), on {date}.",
        "{contact}（{customer}），{date}。",
    ),
    "reminder.anniversary.title": (
        "{contact}'s anniversary in {days} days",
        "{contact} {days} 天后纪念日",
    ),
    "reminder.anniversary.title_today": (
        "Today is {contact}'s anniversary",
        "今天是{contact}的纪念日",
    ),
    "reminder.anniversary.detail": (
        "{contact} ({customer}), {years} years on {date}.",
        "{contact}（{customer}），{date} 满 {years} 周年。",
    ),
    "reminder.stage_overdue.title": (
        "{deal} has been in {stage} for {days} days",
        "商机「{deal}」已在{stage}阶段停留 {days} 天",
    ),
    "reminder.stage_overdue.detail": (
        "{customer}: this stage is expected to take {expected_days} days.",
        "{customer}：该阶段预期 {expected_days} 天。",
    ),
    "reminder.escalation.title": (
        "Overdue: {rep} has not acted on {customer}",
        "逾期未处理：{rep}负责的{customer}",
    ),
    "next_step.planned": ("{plan}", "{plan}"),
    "next_step.check_in": ("Call or visit to check in.", "电话或拜访，了解近况。"),
    "next_step.discuss_renewal": (
        "Discuss renewing contract {contract}.",
        "沟通合同 {contract} 的续签。",
    ),
    "next_step.send_greeting": ("Send {contact} your wishes.", "向{contact}送上祝福。"),
    "next_step.qualify_lead": ("Qualify the lead and make first contact.", "甄别线索并初步接触。"),
    "next_step.confirm_needs": ("Confirm the customer's needs.", "确认客户需求。"),
    "next_step.present_proposal": ("Present a proposal.", "展示方案。"),
    "next_step.follow_up_proposal": ("Ask for feedback on the proposal.", "跟进方案反馈。"),
    "next_step.close_negotiation": (
        "Settle the open terms and move to signing.",
        "敲定剩余条款，推进签约。",
    ),
    "next_step.move_or_close": ("Move the deal on or close it.", "推进商机或将其关闭。"),
    "next_step.check_with_rep": ("Check with {rep}.", "请与{rep}确认跟进情况。"),
    "label.last_activity": ("Last: {text}", "上次：{text}"),
    "label.key_facts": ("Facts: {text}", "要点：{text}"),
    "label.next_step": ("Next: {text}", "建议：{text}"),
}

# Default stage names, for the {stage} parameter; configured stages fall back to their code.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "lead": ("lead", "线索获取"),
    "first_contact": ("first contact", "初步接触"),
    "needs_confirmed": ("needs confirmed", "需求确认"),
    "proposal": ("proposal", "方案展示"),
    "negotiation": ("negotiation", "商务谈判"),
    "won": ("won", "合同签署"),
    "lost": ("lost", "输单"),
}

SUMMARY_LIMIT = 60  # push bodies are shown in two or three lines
KEY_FACTS_LIMIT = 3


def is_chinese(lang: str) -> bool:
    return lang.lower().startswith("zh")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translate_message(message: MessageRef, lang: str) -> str:
    """zh-CN or en text of a message; unknown codes come back as the code itself."""
    english, chinese = REMINDER_MESSAGES.get(message.code, (message.code, message.code))
    params: dict[str, Any] = dict(message.params)
    if "stage" in params:
        label = STAGE_LABELS.get(str(params["stage"]))
        if label:
            params["stage"] = label[1] if is_chinese(lang) else label[0]
    try:
        return (chinese if is_chinese(lang) else english).format(**params)
    except (KeyError, IndexError):
        return message.code


def _label(code: str, text: str, lang: str) -> str:
    return translate_message(MessageRef(code, {"text": text}), lang)


def render_reminder(reminder: Reminder, lang: str) -> tuple[str, str]:
    """(title, body) for a push notification or the in-app list, in zh-CN or en."""
    separator = "；" if is_chinese(lang) else "; "
    context = reminder.context
    lines = [translate_message(reminder.detail, lang)]
    if context.last_activity_summary:
        summary = _shorten(context.last_activity_summary, SUMMARY_LIMIT)
        lines.append(_label("label.last_activity", summary, lang))
    if context.key_facts:
        facts = separator.join(_shorten(f, 30) for f in context.key_facts[:KEY_FACTS_LIMIT])
        lines.append(_label("label.key_facts", facts, lang))
    next_step = _shorten(translate_message(context.next_step, lang), SUMMARY_LIMIT)
    lines.append(_label("label.next_step", next_step, lang))
    return translate_message(reminder.title, lang), "\n".join(lines)


def reminder_push_payload(reminder: Reminder, lang: str) -> dict[str, Any]:
    """JSON for the service worker's showNotification(title, {body, tag, data}).

    The tag is the occurrence key, so a repeated delivery replaces the notification on the
    device instead of stacking a duplicate.
    """
    title, body = render_reminder(reminder, lang)
    return {
        "title": title,
        "body": body,
        "tag": reminder.occurrence_key,
        "data": {
            "kind": reminder.kind.value,
            "customer_id": str(reminder.customer_id),
            "occurrence_key": reminder.occurrence_key,
            "due_at": reminder.due_at.astimezone(UTC).isoformat(),
        },
    }
