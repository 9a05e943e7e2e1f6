"""The server sequence: a number stamped on every synced write, in commit order.

A counter row bumped inside the write's transaction holds a row lock until commit, so a
higher number is never visible before a lower one — which is what a pull cursor needs.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator

from server.db.tables import Counter

SERVER_SEQ = "server_seq"


class _Block:
    """Numbers handed out from memory inside one transaction that holds the counter lock."""

    def __init__(self, last: int) -> None:
        self.last = last


_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar("seq_block", default=None)


@contextlib.asynccontextmanager
async def sequence_block() -> AsyncIterator[None]:
    """For a batch of writes in one transaction: lock the counter once, number the writes
    in memory, store the last number at the end — one round trip instead of one per write.
    Must be used inside the transaction (the lock lasts until it commits)."""
    await lock_writes()
    block = _Block(await current_server_seq())
    token = _block.set(block)
    try:
        yield
    finally:
        _block.reset(token)
    await Counter.update({Counter.value: block.last}).where(Counter.name == SERVER_SEQ)


async def next_server_seq() -> int:
    block = _block.get()
    if block is not None:
        block.last += 1
        return block.last
    rows = (
        await Counter.update({Counter.value: Counter.value + 1})
        .where(Counter.name == SERVER_SEQ)
        .returning(Counter.value)
    )
    return rows[0]["value"]


async def next_server_seqs(count: int) -> range:
    """`count` consecutive numbers in one bump, for bulk writes (ownership moves); numbers a
    caller ends up not using are just a gap, which pull cursors don't mind."""
    if count <= 0:
        return range(0)
    block = _block.get()
    if block is not None:
        block.last += count
        return range(block.last - count + 1, block.last + 1)
    rows = (
        await Counter.update({Counter.value: Counter.value + count})
        .where(Counter.name == SERVER_SEQ)
        .returning(Counter.value)
    )
    last = rows[0]["value"]
    return range(last - count + 1, last + 1)


async def ensure_counters() -> None:
    """Create the counter rows once (at migrate time), so bumping never races an insert."""
    if not await Counter.exists().where(Counter.name == SERVER_SEQ):
        await Counter.insert(Counter(name=SERVER_SEQ, value=0))


async def current_server_seq() -> int:
    row = await Counter.select(Counter.value).where(Counter.name == SERVER_SEQ).first()
    return row["value"] if row else 0


async def lock_writes() -> None:
    """Take the write lock early in a transaction (PostgreSQL: the counter row; SQLite's
    IMMEDIATE transactions already hold the database write lock)."""
    if Counter._meta.db.engine_type == "postgres":
        await Counter.select(Counter.value).where(Counter.name == SERVER_SEQ).lock_rows("UPDATE")
