"""Readable examples of `apply`: what two reps editing the same customer experience."""

from __future__ import annotations

import pytest

from sync import (
    Delete,
    FieldOp,
    Increment,
    InvalidChange,
    RecordOp,
    RecordState,
    SetValue,
    Undelete,
    apply,
    edits,
)

from .support import CUSTOMER, T0, append, change, set_value, stamp, tags


def created(**values: object) -> RecordState:
    """A customer created at T0 by the desk (device "web", actor "zhang")."""
    fields = {name: set_value(value) for name, value in values.items()}
    result = apply(
        RecordState.empty(CUSTOMER), change("web", stamp(T0, "web"), fields, actor="zhang")
    )
    return result.state


def test_two_reps_editing_different_fields_both_survive() -> None:
    state = created(name="Acme", phone="+8610", grade="C")
    base = state.versions()
    phone_edit = change("dev-a", stamp(T0 + 100, "dev-a"), {"phone": set_value("+8620")}, base=base)
    grade_edit = change("dev-b", stamp(T0 + 50, "dev-b"), {"grade": set_value("A")}, base=base)

    first = apply(state, phone_edit)
    second = apply(first.state, grade_edit)

    assert second.state.values() == {"name": "Acme", "phone": "+8620", "grade": "A"}
    assert first.accepted == ("phone",) and second.accepted == ("grade",)
    assert first.conflicts == () and second.conflicts == ()


def test_same_field_later_hlc_wins_and_the_overwrite_is_a_conflict() -> None:
    state = created(phone="+8610")
    base = state.versions()
    wang = change(
        "dev-a", stamp(T0 + 100, "dev-a"), {"phone": set_value("+8620")}, base=base, actor="wang"
    )
    li = change(
        "dev-b", stamp(T0 + 200, "dev-b"), {"phone": set_value("+8630")}, base=base, actor="li"
    )

    result = apply(apply(state, wang).state, li)

    assert result.state.value("phone") == "+8630"
    [conflict] = result.conflicts
    assert conflict.field == "phone"
    assert (conflict.loser.value, conflict.loser.actor, conflict.loser.device_id) == (
        "+8620",
        "wang",
        "dev-a",
    )
    assert (conflict.winner.value, conflict.winner.actor) == ("+8630", "li")
    assert conflict.people == {"wang", "li"}


def test_an_old_offline_edit_arriving_late_loses_and_is_reported() -> None:
    state = created(phone="+8610")
    base = state.versions()
    desk = change(
        "web", stamp(T0 + 500, "web"), {"phone": set_value("+8640")}, base=base, actor="zhang"
    )
    offline = change(
        "dev-a", stamp(T0 + 100, "dev-a"), {"phone": set_value("+8620")}, base=base, actor="wang"
    )

    result = apply(apply(state, desk).state, offline)

    assert result.state.value("phone") == "+8640"
    assert result.accepted == ()
    [conflict] = result.conflicts
    assert (conflict.loser.actor, conflict.winner.actor) == ("wang", "zhang")


def test_overwriting_a_value_you_had_seen_is_not_a_conflict() -> None:
    state = apply(
        created(phone="+8610"),
        change("dev-a", stamp(T0 + 100, "dev-a"), {"phone": set_value("+8620")}),
    ).state
    seen = change(
        "dev-b", stamp(T0 + 200, "dev-b"), {"phone": set_value("+8630")}, base=state.versions()
    )
    assert apply(state, seen).conflicts == ()


def test_replay_is_a_no_op() -> None:
    state = created(phone="+8610")
    edit = change(
        "dev-a",
        stamp(T0 + 100, "dev-a"),
        {
            "phone": set_value("+8620"),
            "tags": tags(add=("vip",)),
            "activities": append(("a1", "visited")),
            "visits": Increment(1, 0),
        },
        base=state.versions(),
    )
    once = apply(state, edit)

    again = apply(once.state, edit)

    assert again.state is once.state
    assert again.accepted == () and not again.changed and again.conflicts == ()


def test_set_fields_merge_by_element_and_re_add_after_remove_works() -> None:
    state = created(name="Acme")
    state = apply(
        state, change("dev-a", stamp(T0 + 1, "dev-a"), {"tags": tags(add=("vip", "hot"))})
    ).state
    state = apply(
        state, change("dev-b", stamp(T0 + 2, "dev-b"), {"tags": tags(remove=("hot",))})
    ).state
    assert state.value("tags") == ["vip"]
    # A remove stamped earlier than the add it races with loses to it.
    late_remove = change("dev-c", stamp(T0, "dev-c"), {"tags": tags(remove=("vip",))})
    assert apply(state, late_remove).state.value("tags") == ["vip"]
    re_add = change("dev-a", stamp(T0 + 3, "dev-a"), {"tags": tags(add=("hot",))})
    assert apply(state, re_add).state.value("tags") == ["hot", "vip"]


def test_activity_log_keeps_every_entry_in_hlc_order() -> None:
    state = created(name="Acme")
    late = change("dev-a", stamp(T0 + 20, "dev-a"), {"activities": append(("a2", "call"))})
    early = change("dev-b", stamp(T0 + 10, "dev-b"), {"activities": append(("b1", "visit"))})
    state = apply(apply(state, late).state, early).state
    assert state.value("activities") == [
        {"id": "b1", "value": "visit"},
        {"id": "a2", "value": "call"},
    ]


def test_counter_increments_from_different_devices_add_up() -> None:
    state = created(name="Acme")
    state = apply(
        state,
        change(
            "dev-a",
            stamp(T0 + 1, "dev-a"),
            {"visits": edits.increment(state, "visits", "dev-a", 2)},
        ),
    ).state
    state = apply(
        state,
        change(
            "dev-b",
            stamp(T0 + 2, "dev-b"),
            {"visits": edits.increment(state, "visits", "dev-b", 1)},
        ),
    ).state
    state = apply(
        state,
        change(
            "dev-a",
            stamp(T0 + 3, "dev-a"),
            {"visits": edits.increment(state, "visits", "dev-a", -1)},
        ),
    ).state
    assert state.value("visits") == 2


def test_delete_beats_a_concurrent_edit_and_undelete_brings_values_back() -> None:
    state = created(phone="+8610")
    delete = change("dev-a", stamp(T0 + 10, "dev-a"), record=edits.delete(state))
    # dev-b edits later by the clock but without having seen the delete.
    edit = change("dev-b", stamp(T0 + 20, "dev-b"), {"phone": set_value("+8620")})

    deleted = apply(apply(state, delete).state, edit).state
    assert not deleted.alive and deleted.value("phone") == "+8620"

    restored = apply(
        deleted, change("dev-c", stamp(T0 + 30, "dev-c"), record=edits.undelete(deleted))
    )
    assert restored.state.alive and restored.lifecycle_changed
    deleted_again = apply(
        restored.state,
        change("dev-a", stamp(T0 + 40, "dev-a"), record=edits.delete(restored.state)),
    ).state
    assert not deleted_again.alive and deleted_again.length == 4


def test_concurrent_delete_and_undelete_resolve_to_the_undelete_that_saw_the_delete() -> None:
    state = created(name="Acme")
    first_delete = edits.delete(state)
    deleted = apply(state, change("dev-a", stamp(T0 + 1, "dev-a"), record=first_delete)).state
    undelete = change("dev-b", stamp(T0 + 2, "dev-b"), record=edits.undelete(deleted))
    second_delete = change("dev-c", stamp(T0 + 3, "dev-c"), record=first_delete)  # saw only "alive"

    for order in ((undelete, second_delete), (second_delete, undelete)):
        result = deleted
        for item in order:
            result = apply(result, item).state
        assert result.alive and result.length == 3


@pytest.mark.parametrize(
    ("fields", "record", "code"),
    [
        ({"owner": SetValue("u1")}, None, "field.unknown"),
        ({"tags": SetValue(["vip"])}, None, "field.rule_mismatch"),
        ({"phone": Increment(1, 0)}, None, "field.rule_mismatch"),
        ({"tags": tags(add=("vip",), remove=("vip",))}, None, "set.add_and_remove"),
        ({"activities": append(("a1", 1), ("a1", 2))}, None, "log.duplicate_id"),
        ({"visits": Increment(-1, 0)}, None, "counter.negative"),
        ({}, None, "change.empty"),
        ({}, Delete(3), "record.bad_length"),
        ({}, Undelete(2), "record.bad_length"),
    ],
)
def test_malformed_changes_are_rejected_with_codes(
    fields: dict[str, FieldOp], record: RecordOp | None, code: str
) -> None:
    bad = change("dev-a", stamp(T0, "dev-a"), fields, record=record)
    with pytest.raises(InvalidChange) as error:
        apply(RecordState.empty(CUSTOMER), bad)
    assert error.value.code == code


def test_stamp_must_come_from_the_sending_device() -> None:
    with pytest.raises(InvalidChange) as error:
        apply(
            RecordState.empty(CUSTOMER),
            change("dev-a", stamp(T0, "dev-b"), {"name": set_value("x")}),
        )
    assert error.value.code == "change.device_mismatch"


def test_replacing_an_automated_value_is_not_a_conflict() -> None:
    state = created(name="Acme")
    automated = change("server", stamp(T0 + 10, "server"), {"grade": set_value("B")})
    state = apply(state, automated).state
    person = change(
        "dev-a", stamp(T0 + 20, "dev-a"), {"grade": set_value("A")}, base={}, actor="li"
    )
    assert apply(state, person).conflicts == ()


def test_replaying_a_change_reports_no_new_conflict() -> None:
    state = created(phone="+8610")
    base = state.versions()
    wang = change(
        "dev-a", stamp(T0 + 10, "dev-a"), {"phone": set_value("+8620")}, base=base, actor="wang"
    )
    li = change(
        "dev-b", stamp(T0 + 20, "dev-b"), {"phone": set_value("+8630")}, base=base, actor="li"
    )
    first = apply(apply(state, wang).state, li)
    replay = apply(first.state, wang)
    assert not replay.changed
    assert {c.key for c in replay.conflicts} <= {c.key for c in first.conflicts}


def test_two_desk_users_on_the_same_server_node_still_get_a_conflict() -> None:
    state = created(phone="+8610")
    base = state.versions()
    zhao = change(
        "srv-1", stamp(T0 + 10, "srv-1"), {"phone": set_value("+8620")}, base=base, actor="zhao"
    )
    qian = change(
        "srv-1", stamp(T0 + 20, "srv-1"), {"phone": set_value("+8630")}, base=base, actor="qian"
    )
    [conflict] = apply(apply(state, zhao).state, qian).conflicts
    assert (conflict.loser.actor, conflict.winner.actor) == ("zhao", "qian")
