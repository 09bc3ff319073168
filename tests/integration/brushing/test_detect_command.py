"""``megasale detect`` end to end on a generated, labelled day."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from megasale.brushing.command import register
from megasale.brushing.output import OUTPUT_FILES
from megasale.sim.scenario import FAMILIES, generate_day


def detect(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="megasale")
    register(parser.add_subparsers())
    args = parser.parse_args(["detect", *argv])
    code: int = args.func(args)
    return code


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("day")
    scenario = generate_day(FAMILIES["mixed"], seed=5, orders=20_000)
    scenario.write_orders(folder / "orders.csv")
    scenario.write_orders(folder / "orders.jsonl")
    scenario.write_labels(folder / "labels.csv")
    return folder / "orders.csv", folder / "orders.jsonl", folder / "labels.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_detect_writes_the_four_files_and_a_summary(
    day: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders, _, _ = day
    assert detect(str(orders), "--out", str(tmp_path)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUT_FILES)
    out, err = capsys.readouterr()
    assert "orders          20000" in out
    assert "flagged buyers" in out and "elapsed" in out
    assert "[####################] 3/3 write done" in err
    rings = json.loads((tmp_path / "rings.json").read_text(encoding="utf-8"))
    buyers = read_csv(tmp_path / "flagged_buyers.csv")
    flagged_orders = read_csv(tmp_path / "flagged_orders.csv")
    assert rings and buyers and flagged_orders
    assert {ring["id"] for ring in rings} == {row["ring_id"] for row in buyers}
    assert sum(len(ring["members"]) for ring in rings) == len(buyers)
    assert sum(len(ring["orders"]) for ring in rings) == len(flagged_orders)
    assert {ring["kind"] for ring in rings} <= {"ip_farm", "ip_rotator", "lockstep", "shop_self"}
    for ring in rings:
        assert ring["evidence"]["first_order"] <= ring["evidence"]["last_order"]
        assert isinstance(ring["gmv_fen"], int) and isinstance(ring["subsidy_fen"], int)


def test_shop_brushing_has_one_row_per_shop(day: tuple[Path, Path, Path], tmp_path: Path) -> None:
    orders, _, _ = day
    detect(str(orders), "--out", str(tmp_path), "--no-progress")
    shops = {row["shop_id"] for row in read_csv(orders)}
    rows = read_csv(tmp_path / "shop_brushing.csv")
    assert sorted(row["shopid"] for row in rows) == sorted(shops)
    assert any(row["userid"] != "0" for row in rows)


def test_labels_print_scores_by_ring_and_crowd_kind(
    day: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders, _, labels = day
    detect(str(orders), "--out", str(tmp_path), "--labels", str(labels), "--no-progress")
    out, err = capsys.readouterr()
    assert err == ""
    rows = [line.split() for line in out.splitlines() if line.strip()]
    ring_all = next(row for row in rows if row[0] == "all")
    honest_all = [row for row in rows if row[0] == "all"][1]
    assert float(ring_all[3]) > 0.9  # ring-buyer F1 of this small mixed day
    assert float(honest_all[3].rstrip("%")) < 0.1  # false-positive rate, percent
    names = {row[0] for row in rows}
    for kind in ("ip_farm", "ip_rotator", "lockstep", "shop_self", "campus", "household"):
        assert kind in names


def test_json_lines_give_the_same_rings(day: tuple[Path, Path, Path], tmp_path: Path) -> None:
    orders, jsonl, _ = day
    detect(str(orders), "--out", str(tmp_path / "csv"), "--no-progress")
    detect(str(jsonl), "--out", str(tmp_path / "jsonl"), "--no-progress", "--format", "jsonl")
    for name in ("flagged_buyers.csv", "shop_brushing.csv"):
        csv_text = (tmp_path / "csv" / name).read_text(encoding="utf-8")
        assert csv_text == (tmp_path / "jsonl" / name).read_text(encoding="utf-8")


def test_a_bad_log_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "orders.csv"
    log.write_text("order_id,created_at,buyer_id,shop_id\n1,not a time,b,s\n", encoding="utf-8")
    assert detect(str(log), "--out", str(tmp_path / "out")) == 2
    assert "orders.csv, line 2, column created_at" in capsys.readouterr().err
