"""Merge laws on arbitrary changes, including misbehaving devices that reuse a stamp.

The simulation in test_convergence only produces well-behaved changes. Here stamps are drawn
from a tiny range so equal HLCs with different values, log ids reused with other content and
non-monotonic counter totals all occur: the merge must still be commutative, associative
and idempotent, and `apply` must agree with merging the change's own state.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sync import (
    HLC,
    Append,
    Change,
    Delete,
    Increment,
    LogEntry,
    RecordState,
    SetValue,
    Undelete,
    UpdateSet,
    apply,
    merge_states,
)

from .support import CUSTOMER, LWW_FIELDS, T0, canonical

devices = st.sampled_from(("dev-a", "dev-b"))
values = st.one_of(st.none(), st.booleans(), st.integers(0, 2), st.sampled_from(("x", "y")))
field_ops = st.fixed_dictionaries(
    {},
    optional={
        LWW_FIELDS[0]: st.builds(SetValue, values),
        LWW_FIELDS[1]: st.builds(SetValue, values),
        "tags": st.sampled_from(
            [
                UpdateSet(["a"], []),
                UpdateSet([], ["a"]),
                UpdateSet(["b"], ["a"]),
                UpdateSet(["a", "b"]),
            ]
        ),
        "activities": st.builds(
            lambda entry_id, value: Append([LogEntry(entry_id, value)]),
            st.sampled_from(("e1", "e2")),
            values,
        ),
        "visits": st.builds(Increment, st.integers(0, 3), st.integers(0, 3)),
    },
)
record_ops = st.one_of(
    st.none(),
    st.builds(Delete, st.sampled_from((2, 4))),
    st.builds(Undelete, st.sampled_from((3, 5))),
)


@st.composite
def changes(draw: st.DrawFn) -> Change:
    device = draw(devices)
    hlc = HLC(T0 + draw(st.integers(0, 2)), draw(st.integers(0, 1)), device)
    fields = draw(field_ops)
    record = draw(record_ops)
    if not fields and record is None:
        fields = {"name": SetValue("n")}
    return Change("op", "customer", "r1", device, str(hlc), fields, record)


def state_of(items: list[Change]) -> RecordState:
    state = RecordState.empty(CUSTOMER)
    for item in items:
        state = apply(state, item).state
    return state


change_lists = st.lists(changes(), max_size=6)
LAWS = settings(max_examples=300, deadline=None)


@LAWS
@given(change_lists, change_lists, change_lists)
def test_merge_is_commutative_associative_and_idempotent(xs, ys, zs) -> None:
    a, b, c = state_of(xs), state_of(ys), state_of(zs)
    assert canonical(merge_states(a, b)) == canonical(merge_states(b, a))
    assert canonical(merge_states(merge_states(a, b), c)) == canonical(
        merge_states(a, merge_states(b, c))
    )
    assert canonical(merge_states(a, a)) == canonical(a)


@LAWS
@given(change_lists, st.randoms(use_true_random=False))
def test_apply_order_and_duplicates_do_not_matter(items, rng: random.Random) -> None:
    shuffled = items + items[: len(items) // 2]
    rng.shuffle(shuffled)
    assert canonical(state_of(shuffled)) == canonical(state_of(items))


@LAWS
@given(change_lists, changes())
def test_apply_equals_merging_the_changes_own_state(items, change: Change) -> None:
    state = state_of(items)
    assert canonical(apply(state, change).state) == canonical(
        merge_states(state, state_of([change]))
    )
