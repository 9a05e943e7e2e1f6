"""Hybrid logical clocks (HLC): timestamps that follow wall time but never go backwards.

An `HLC` is (wall_ms, counter, node). Ordering is by wall time, then counter, then node (the
device id), so two different devices can never produce equal stamps and every replica orders
any two writes the same way.

Text form: ``"{wall_ms:013d}:{counter:05d}:{node}"``, e.g. ``"1732380000000:00000:dev-a"``.
The fixed-width digits make plain string comparison agree with HLC order, so the server can
store and compare stamps as text. (In PostgreSQL compare with ``COLLATE "C"``; node ids are
restricted to ``[A-Za-z0-9._-]`` so byte order and code-point order are the same.) Only the
canonical text form is accepted: a differently padded stamp would sort wrongly.

Clock skew rule (server side, `check_skew`): a stamp whose wall time is more than
`MAX_SKEW_MS` (5 minutes) ahead of the server's wall clock is rejected with code
"hlc.future". Why: last-writer-wins trusts stamps, and a device whose clock runs hours ahead
would win every conflict for hours ("poisoning"); an HLC never goes backwards, so the bad
stamp would also leak into every clock that receives it. Five minutes tolerates ordinary
phone clock drift and slow NTP sync, while bounding how long a wrong clock can win. Stamps in
the past are always fine: they simply lose to newer writes. A device that gets "hlc.future"
should reset its clock state to the server time given in the error (`server_ms`) and re-stamp
its unsent outbox; those changes were not accepted anywhere, so re-stamping is safe.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.errors import ClockSkewError, InvalidHLC

MAX_SKEW_MS = 5 * 60 * 1000
MAX_WALL_MS = 10**13 - 1  # 13 digits: good until the year 2286
MAX_COUNTER = 10**5 - 1  # 5 digits; past it the clock borrows the next millisecond
NODE_PATTERN = r"[A-Za-z0-9._-]{1,64}"

_TEXT_FORM = re.compile(rf"(\d{{13}}):(\d{{5}}):({NODE_PATTERN})")
_NODE = re.compile(NODE_PATTERN)


def wall_clock_ms() -> int:
    """The machine's wall clock in milliseconds since the Unix epoch (the default time source)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True, slots=True)
class HLC:
    """One hybrid-logical-clock stamp; compares as (wall_ms, counter, node)."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms <= MAX_WALL_MS or not 0 <= self.counter <= MAX_COUNTER:
            raise InvalidHLC("hlc.invalid", hlc=repr(self))
        if not _NODE.fullmatch(self.node):
            raise InvalidHLC("hlc.invalid", node=self.node)

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}:{self.counter:05d}:{self.node}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        """Read the canonical text form; anything else raises `InvalidHLC`."""
        match = _TEXT_FORM.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidHLC("hlc.invalid", hlc=text)
        return cls(int(match[1]), int(match[2]), match[3])


def is_canonical(text: str) -> bool:
    """True when `text` is an HLC in canonical form (cheap check used on every change)."""
    return isinstance(text, str) and _TEXT_FORM.fullmatch(text) is not None


def node_of(text: str) -> str:
    """The node (device id) of a canonical HLC string, without building an `HLC`."""
    return text.split(":", 2)[2]


def wall_ms_of(text: str) -> int:
    """The wall time of a canonical HLC string, without building an `HLC`."""
    return int(text[:13])


class HybridClock:
    """A node's clock: `now()` for local events, `receive()` when a remote stamp arrives.

    The physical time source is injectable so tests and benchmarks can drive time by hand.
    The clock is not thread-safe; give each worker its own node id and clock.
    """

    def __init__(
        self,
        node: str,
        physical_ms: Callable[[], int] = wall_clock_ms,
        last: HLC | None = None,
    ) -> None:
        self.node = node
        self._physical_ms = physical_ms
        self._last = last if last is not None else HLC(0, 0, node)  # also validates `node`

    @property
    def last(self) -> HLC:
        """The latest stamp issued or received; persist it to survive restarts."""
        return self._last

    def now(self) -> HLC:
        """A stamp for a local event, greater than every stamp seen so far."""
        wall = max(self._last.wall_ms, self._physical_ms())
        counter = self._last.counter + 1 if wall == self._last.wall_ms else 0
        return self._advance(wall, counter)

    def receive(self, remote: HLC) -> HLC:
        """Merge a remote stamp; the result is greater than both it and our last stamp.

        Run `check_skew` on untrusted stamps first: this clock adopts any future time it sees.
        """
        last = self._last
        wall = max(last.wall_ms, remote.wall_ms, self._physical_ms())
        if wall == last.wall_ms == remote.wall_ms:
            counter = max(last.counter, remote.counter) + 1
        elif wall == last.wall_ms:
            counter = last.counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return self._advance(wall, counter)

    def _advance(self, wall: int, counter: int) -> HLC:
        if counter > MAX_COUNTER:
            # More events in one millisecond than the counter holds: borrow the next
            # millisecond, which keeps stamps strictly increasing.
            wall, counter = wall + 1, 0
        self._last = HLC(wall, counter, self.node)
        return self._last


def check_skew(remote: HLC, server_ms: int, max_skew_ms: int = MAX_SKEW_MS) -> None:
    """Reject a stamp more than `max_skew_ms` ahead of the server clock ("hlc.future")."""
    ahead_ms = remote.wall_ms - server_ms
    if ahead_ms > max_skew_ms:
        raise ClockSkewError(
            "hlc.future",
            hlc=str(remote),
            ahead_ms=ahead_ms,
            max_skew_ms=max_skew_ms,
            server_ms=server_ms,
        )
