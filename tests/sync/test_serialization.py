"""Wire and storage forms: decoding changes, the compact JSON state, and what gets rejected."""

from __future__ import annotations

import msgspec
import pytest

from sync import (
    Append,
    Delete,
    InvalidChange,
    InvalidState,
    RecordState,
    SetValue,
    UpdateSet,
    apply,
    decode_change,
    edits,
    merge_states,
)
from sync.schema import EntitySchema

from .support import CUSTOMER, T0, append, canonical, change, set_value, stamp, tags

WIRE_CHANGE = {
    "op_id": "7f0c",
    "entity": "customer",
    "record_id": "4b1e",
    "device_id": "dev-a",
    "hlc": stamp(T0, "dev-a"),
    "fields": {
        "phone": {"op": "set", "value": "+8613800000000"},
        "tags": {"op": "update_set", "add": ["vip"], "remove": ["cold"]},
        "activities": {"op": "append", "entries": [{"id": "a1", "value": {"kind": "visit"}}]},
        "visits": {"op": "increment", "p": 3, "n": 0},
    },
    "record": {"op": "delete", "length": 2},
    "base_versions": {"phone": stamp(T0 - 10, "dev-b")},
}


def test_wire_change_decodes_from_json_and_from_a_dict() -> None:
    from_json = decode_change(msgspec.json.encode(WIRE_CHANGE))
    assert from_json == decode_change(WIRE_CHANGE)
    assert from_json.fields["phone"] == SetValue("+8613800000000")
    assert from_json.fields["tags"] == UpdateSet(["vip"], ["cold"])
    assert isinstance(from_json.fields["activities"], Append)
    assert from_json.record == Delete(2)
    assert from_json.base_version("phone") == stamp(T0 - 10, "dev-b")


@pytest.mark.parametrize(
    "broken",
    [
        {**WIRE_CHANGE, "fields": {"phone": {"op": "replace", "value": 1}}},
        {**WIRE_CHANGE, "surprise": True},
        {**WIRE_CHANGE, "fields": {"tags": {"op": "update_set", "add": [1]}}},
        {key: value for key, value in WIRE_CHANGE.items() if key != "hlc"},
    ],
)
def test_malformed_wire_changes_are_rejected(broken: dict) -> None:
    with pytest.raises(InvalidChange) as error:
        decode_change(broken)
    assert error.value.code == "change.malformed"


def test_not_json_is_malformed() -> None:
    with pytest.raises(InvalidChange) as error:
        decode_change(b"{not json")
    assert error.value.code == "change.malformed"


def test_state_splits_into_plain_values_and_compact_versions() -> None:
    state = apply(RecordState.empty(CUSTOMER), decode_change(WIRE_CHANGE)).state
    state = apply(
        state, change("dev-b", stamp(T0 + 1, "dev-b"), {"name": set_value("Acme")}, actor="li")
    ).state

    values, versions = state.to_parts()

    assert values == {
        "phone": "+8613800000000",
        "tags": ["vip"],
        "activities": [{"id": "a1", "value": {"kind": "visit"}}],
        "visits": 3,
        "name": "Acme",
    }
    hlc_a = stamp(T0, "dev-a")
    assert versions == {
        "cl": 2,
        "f": {
            "phone": [hlc_a],
            "tags": {"vip": [hlc_a, 1], "cold": [hlc_a, 0]},
            "activities": {"a1": hlc_a},
            "visits": {"dev-a": [3, 0]},
            "name": [stamp(T0 + 1, "dev-b"), "li"],
        },
    }
    assert RecordState.from_parts(CUSTOMER, values, versions) == state
    assert RecordState.from_dict(CUSTOMER, state.to_dict()) == state


def test_unreadable_stored_state_is_reported_as_corrupt() -> None:
    with pytest.raises(InvalidState) as error:
        RecordState.from_parts(CUSTOMER, {}, {"cl": 1, "f": {"tags": "oops"}})
    assert error.value.code == "state.corrupt"


def test_states_of_different_entities_do_not_merge() -> None:
    other = RecordState.empty(EntitySchema.define("deal", lww=["title"]))
    with pytest.raises(InvalidState):
        merge_states(RecordState.empty(CUSTOMER), other)


def test_a_device_reusing_a_stamp_still_resolves_the_same_everywhere() -> None:
    hlc = stamp(T0, "dev-a")
    first = change("dev-a", hlc, {"phone": set_value("+8610"), "activities": append(("a1", 1))})
    second = change("dev-a", hlc, {"phone": set_value("+8620"), "activities": append(("a1", 2))})
    empty = RecordState.empty(CUSTOMER)

    one_way = apply(apply(empty, first).state, second).state
    other_way = apply(apply(empty, second).state, first).state

    assert canonical(one_way) == canonical(other_way)


def test_set_tombstones_travel_so_a_late_replica_cannot_resurrect_an_element() -> None:
    added = apply(
        RecordState.empty(CUSTOMER), change("dev-a", stamp(T0, "dev-a"), {"tags": tags(("vip",))})
    ).state
    removed = apply(
        added, change("dev-b", stamp(T0 + 1, "dev-b"), {"tags": tags(remove=("vip",))})
    ).state
    stored = RecordState.from_parts(CUSTOMER, *removed.to_parts())
    assert merge_states(added, stored).value("tags") == []


def test_edit_builders_refuse_impossible_transitions() -> None:
    with pytest.raises(InvalidChange):
        edits.delete(RecordState.empty(CUSTOMER))
    with pytest.raises(InvalidChange):
        edits.undelete(RecordState(CUSTOMER, length=1))
    with pytest.raises(InvalidChange):
        edits.increment(RecordState.empty(CUSTOMER), "phone", "dev-a", 1)
