"""serve's child processes leave the WAL's checkpoints to serve's writers; run alone, they
checkpoint their own writes, or the log would grow without bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from megasale.bootstrap import detection_runner, fulfilment_worker
from megasale.cli import build_parser, child_checkpoints
from megasale.config import Settings


@pytest.mark.parametrize("checkpoint", [False, True])
def test_the_detectors_store_checkpoints_as_told(tmp_path: Path, checkpoint: bool) -> None:
    runner, _lock = detection_runner(Settings(db_path=tmp_path / "d.db"), checkpoint=checkpoint)
    try:
        assert runner.log.db.checkpointing is checkpoint  # type: ignore[attr-defined]
    finally:
        runner.log.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("checkpoint", [False, True])
def test_the_fulfilment_workers_store_checkpoints_as_told(tmp_path: Path, checkpoint: bool) -> None:
    _worker, store, _lock = fulfilment_worker(
        Settings(db_path=tmp_path / "f.db"), checkpoint=checkpoint
    )
    try:
        assert store.db.checkpointing is checkpoint
    finally:
        store.close()


@pytest.mark.parametrize("command", ["stream-detect", "fulfilment-worker"])
def test_a_child_command_checkpoints_only_when_started_alone(command: str) -> None:
    parser = build_parser()
    alone = parser.parse_args([command, "--db", "x.db"])
    under_serve = parser.parse_args([command, "--db", "x.db", "--parent-pid", "1"])
    assert child_checkpoints(alone) is True
    assert child_checkpoints(under_serve) is False
