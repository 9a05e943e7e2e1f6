"""The server sequence: a number stamped on every synced write, in commit order.

A counter row bumped inside the write's transaction holds a row lock until commit, so a
higher number is never visible before a lower one — which is what a pull cursor needs.
"""

from __future__ import annotations

from server.db.tables import Counter

SERVER_SEQ = "server_seq"


async def next_server_seq() -> int:
    rows = (
        await Counter.update({Counter.value: Counter.value + 1})
        .where(Counter.name == SERVER_SEQ)
        .returning(Counter.value)
    )
    return rows[0]["value"]


async def ensure_counters() -> None:
    """Create the counter rows once (at migrate time), so bumping never races an insert."""
    if not await Counter.exists().where(Counter.name == SERVER_SEQ):
        await Counter.insert(Counter(name=SERVER_SEQ, value=0))


async def current_server_seq() -> int:
    row = await Counter.select(Counter.value).where(Counter.name == SERVER_SEQ).first()
    return row["value"] if row else 0
