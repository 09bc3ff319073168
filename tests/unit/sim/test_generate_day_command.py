"""``megasale generate-day`` writes a labelled day into a directory and summarises it."""

from __future__ import annotations

import argparse
import json

from megasale.sim.command import register


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="megasale")
    register(parser.add_subparsers())
    args = parser.parse_args(["generate-day", *argv])
    return args.func(args)


def test_generate_day_writes_orders_labels_groups_and_catalog(tmp_path, capsys):
    out = tmp_path / "day"
    code = run("--family", "ip_rotator", "--seed", "3", "--orders", "3000", "--out", str(out))
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "groups.json", "labels.csv", "orders.csv", "shops.csv", "skus.csv", "stores.csv",
    ]  # fmt: skip
    printed = capsys.readouterr().out
    assert "3,000 orders" in printed and "ring:ip_rotator" in printed and "crowd:campus" in printed
    groups = json.loads((out / "groups.json").read_text())
    assert {g["label"] for g in groups} >= {"ring:ip_rotator", "crowd:cgnat"}
    assert len((out / "orders.csv").read_text().splitlines()) == 3_001


def test_generate_day_can_write_json_lines(tmp_path):
    assert run("--orders", "2000", "--format", "jsonl", "--out", str(tmp_path)) == 0
    lines = (tmp_path / "orders.jsonl").read_text().splitlines()
    assert len(lines) == 2_000 and json.loads(lines[0])["order_id"] == "o0000001"


def test_generate_day_refuses_a_day_too_small_with_exit_code_2(tmp_path, capsys):
    assert run("--orders", "10", "--out", str(tmp_path / "x")) == 2
    assert "at least" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
