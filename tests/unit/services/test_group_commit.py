"""Group commit's batch wait: batches fill while orders flow, and nothing waits after a pause."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

import pytest

from megasale.cli import _batch_wait, build_parser
from megasale.config import Settings
from megasale.services.group_commit import GroupCommitter

WAIT = 1.0  # long enough that a slow machine never mistakes a wait for none
MODES = pytest.mark.parametrize("inline", [True, False], ids=["inline", "thread"])


class Recorder:
    """``take_orders`` that writes nothing: the size of each batch."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, placements: Sequence[object]) -> list[object]:
        self.batches.append(len(placements))
        return [f"result-{id(p)}" for p in placements]


@contextlib.asynccontextmanager
async def running(
    inline: bool, *, fill: int = 32, max_batch: int = 512
) -> AsyncIterator[tuple[GroupCommitter, Recorder]]:
    """A started committer that waits ``WAIT`` for company, over a :class:`Recorder`."""
    recorder = Recorder()
    commit = GroupCommitter(
        recorder,  # type: ignore[arg-type]
        inline=inline,
        max_batch=max_batch,
        batch_wait_s=WAIT,
        batch_fill=fill,
    )
    await commit.start()
    try:
        yield commit, recorder
    finally:
        await commit.stop()


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def timed(commit: GroupCommitter, *placements: object) -> tuple[float, list[object]]:
    started = time.monotonic()
    results = await commit.enqueue(placements)  # type: ignore[arg-type]
    return time.monotonic() - started, list(results)


@MODES
def test_a_placement_after_a_pause_is_written_at_once(inline: bool) -> None:
    async def test() -> None:
        async with running(inline) as (commit, recorder):
            took, results = await timed(commit, "p1")
            assert took < WAIT / 2
            assert results == [f"result-{id('p1')}"]
            assert recorder.batches == [1]

    run(test)


@MODES
def test_while_orders_flow_a_batch_waits_for_the_next_ones(inline: bool) -> None:
    async def test() -> None:
        async with running(inline) as (commit, recorder):
            await timed(commit, "first")  # written at once: the writer was idle
            # right after that batch: orders are flowing, so this one waits for company
            waiting = asyncio.ensure_future(timed(commit, "a"))
            await asyncio.sleep(0.05)
            later = asyncio.ensure_future(timed(commit, "b", "c"))
            (took_a, _), (took_bc, _) = await asyncio.gather(waiting, later)
            assert recorder.batches == [1, 3]
            assert took_a >= WAIT * 0.9  # the first of the batch waited its full time
            assert took_a < WAIT * 5
            assert took_bc < took_a  # those who came later waited less

    run(test)


@MODES
def test_a_full_batch_is_written_without_waiting(inline: bool) -> None:
    async def test() -> None:
        async with running(inline, fill=4) as (commit, recorder):
            await timed(commit, "first")
            took, results = await timed(commit, "a", "b", "c", "d")
            assert took < WAIT / 2
            assert len(results) == 4
            assert recorder.batches == [1, 4]

    run(test)


@MODES
def test_a_batch_filled_one_placement_at_a_time_is_written_when_full(inline: bool) -> None:
    async def test() -> None:
        async with running(inline, fill=4) as (commit, recorder):
            await timed(commit, "first")
            started = time.monotonic()
            trickle = []
            for name in "abcd":
                trickle.append(asyncio.ensure_future(timed(commit, name)))
                await asyncio.sleep(0.01)
            await asyncio.gather(*trickle)
            assert time.monotonic() - started < WAIT / 2
            assert recorder.batches == [1, 4]

    run(test)


def test_placements_past_a_full_batch_do_not_wait_again() -> None:
    async def test() -> None:
        async with running(True, max_batch=2) as (commit, recorder):
            await timed(commit, "first")
            took, _ = await timed(commit, "a", "b", "c")
            assert WAIT * 0.9 <= took < WAIT * 1.9  # one wait for the batch, none for the rest
            assert recorder.batches == [1, 2, 1]

    run(test)


@MODES
def test_stopping_writes_the_batch_that_waits(inline: bool) -> None:
    async def test() -> None:
        async with running(inline) as (commit, recorder):
            await timed(commit, "first")
            waiting = asyncio.ensure_future(timed(commit, "a"))
            await asyncio.sleep(0.05)
        took, results = await waiting  # the block's end stopped the committer
        assert took < WAIT / 2 and len(results) == 1
        assert recorder.batches == [1, 1]

    run(test)


@pytest.mark.parametrize("wait", [-0.001, float("inf"), float("nan")])
def test_a_wait_that_is_not_a_finite_positive_number_is_refused(wait: float) -> None:
    with pytest.raises(ValueError, match=r"batch_wait_s=.*expected 0 or more seconds"):
        GroupCommitter(Recorder(), batch_wait_s=wait)  # type: ignore[arg-type]


def test_serve_takes_the_wait_in_milliseconds_and_says_what_is_wrong() -> None:
    args = build_parser().parse_args(["serve", "--batch-wait-ms", "0.5"])
    assert args.batch_wait_ms == 0.5
    default = build_parser().parse_args(["serve"])
    assert default.batch_wait_ms == Settings.batch_wait_s * 1000 == 0
    with pytest.raises(argparse.ArgumentTypeError, match="'soon' is not a number"):
        _batch_wait("soon")
    with pytest.raises(argparse.ArgumentTypeError, match="between 0 and 100 ms"):
        _batch_wait("-1")
