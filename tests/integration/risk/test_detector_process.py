"""The streaming detector's process, as ``serve`` starts it: lower priority, no checkpointer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from megasale.bootstrap import build_platform
from megasale.cli import build_parser
from megasale.config import Settings
from megasale.services.child_process import ChildProcess


def _detector_argv(settings: Settings) -> list[str]:
    platform = build_platform(settings)
    try:
        children = [t for t in platform.background if isinstance(t, ChildProcess)]
        (detector,) = [c for c in children if "stream-detect" in c.argv]
        return detector.argv
    finally:
        platform.store.close()


def test_serve_starts_the_detector_at_its_niceness(tmp_path: Path) -> None:
    argv = _detector_argv(Settings(db_path=tmp_path / "a.db"))
    assert argv[argv.index("--nice") + 1] == str(Settings.detector_nice) == "10"
    argv = _detector_argv(Settings(db_path=tmp_path / "b.db", detector_nice=0))
    assert argv[argv.index("--nice") + 1] == "0"
    assert argv[argv.index("--parent-pid") + 1] == str(os.getpid())


def _niceness(pid: int, tid: str) -> int:
    # /proc/<pid>/task/<tid>/stat: the 19th field is the niceness (after "(comm)")
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_stream_detect_runs_every_thread_at_the_niceness_it_adds(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    build_platform(Settings(db_path=db, consumers=False)).store.close()
    command = [sys.executable, "-m", "megasale.cli", "stream-detect", "--db", str(db)]
    child = subprocess.Popen(
        [*command, "--nice", "5", "--parent-pid", str(os.getpid())], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith(b"megasale stream-detect: following")
        threads = os.listdir(f"/proc/{child.pid}/task")
        expected = min(19, os.nice(0) + 5)  # os.nice adds to the niceness it started with
        assert {_niceness(child.pid, tid) for tid in threads} == {expected}
    finally:
        child.terminate()
        child.wait(10)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--detector-nice", "20"], "20 is not a niceness from 0 to 19"),
        (["serve", "--detector-nice", "-1"], "-1 is not a niceness from 0 to 19"),
        (["stream-detect", "--nice", "high"], "'high' is not a whole number"),
    ],
)
def test_a_bad_niceness_is_refused_with_what_was_wrong(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and ("--detector-nice" in err or "--nice" in err)
