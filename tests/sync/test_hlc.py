"""Hybrid logical clock: ordering, text form, monotonicity and the server's skew guard."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import HLC, MAX_SKEW_MS, ClockSkewError, HybridClock, InvalidHLC, check_skew
from sync.hlc import MAX_COUNTER, MAX_WALL_MS

from .support import T0

nodes = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=8)
hlcs = st.builds(
    HLC,
    st.integers(0, MAX_WALL_MS),
    st.integers(0, MAX_COUNTER),
    nodes,
)


class ManualTime:
    """A physical clock the test moves by hand, including backwards."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@given(hlcs, hlcs)
def test_text_order_matches_value_order(a: HLC, b: HLC) -> None:
    assert (a < b) == (str(a) < str(b))
    assert (a == b) == (str(a) == str(b))


@given(hlcs)
def test_text_form_round_trips(value: HLC) -> None:
    assert HLC.parse(str(value)) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1732380000000:0:dev",
        "1732380000000:00000:",
        "01732380000000:00000:d",
        "x:y:z",
        "1732380000000:00000:dev a",
    ],
)
def test_non_canonical_text_is_rejected(text: str) -> None:
    with pytest.raises(InvalidHLC) as error:
        HLC.parse(text)
    assert error.value.code == "hlc.invalid"


events = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(-5_000, 5_000)),
        st.tuples(st.just("now"), st.none()),
        st.tuples(st.just("receive"), st.tuples(st.integers(-5_000, 5_000), st.integers(0, 50))),
    ),
    max_size=60,
)


@given(events)
def test_clock_is_strictly_monotonic_and_after_what_it_received(steps: list) -> None:
    time = ManualTime(T0)
    clock = HybridClock("dev-a", time)
    previous = clock.last
    for kind, arg in steps:
        if kind == "tick":
            time.ms += arg  # physical time may jump backwards (NTP corrections)
            continue
        if kind == "now":
            issued = clock.now()
            assert issued.wall_ms >= time.ms
        else:
            remote = HLC(T0 + arg[0], arg[1], "dev-b")
            issued = clock.receive(remote)
            assert issued > remote
        assert issued > previous
        previous = issued


def test_clock_follows_physical_time_when_it_advances() -> None:
    time = ManualTime(T0)
    clock = HybridClock("dev-a", time)
    assert clock.now() == HLC(T0, 0, "dev-a")
    assert clock.now() == HLC(T0, 1, "dev-a")
    time.ms += 10
    assert clock.now() == HLC(T0 + 10, 0, "dev-a")


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = HybridClock("dev-a", ManualTime(T0), last=HLC(T0, MAX_COUNTER, "dev-a"))
    assert clock.now() == HLC(T0 + 1, 0, "dev-a")


def test_far_future_stamp_is_rejected() -> None:
    remote = HLC(T0 + MAX_SKEW_MS + 1, 0, "dev-a")
    with pytest.raises(ClockSkewError) as error:
        check_skew(remote, server_ms=T0)
    assert error.value.code == "hlc.future"
    assert error.value.params["server_ms"] == T0


def test_stamps_within_the_skew_window_or_in_the_past_pass() -> None:
    check_skew(HLC(T0 + MAX_SKEW_MS, 99, "dev-a"), server_ms=T0)
    check_skew(HLC(T0 - 86_400_000, 0, "dev-a"), server_ms=T0)
