"""Scores against labels, worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from megasale.brushing.evaluate import evaluate, read_labels
from megasale.brushing.frame import OrderTable
from megasale.brushing.orderlog import OrderLogError


def table_of(buyers: list[str]) -> OrderTable:
    n = len(buyers)
    return OrderTable(
        order_ids=np.array([f"o{i}" for i in range(n)], dtype=object),
        created=np.zeros(n, dtype=np.int64),
        buyer=np.arange(n, dtype=np.int32),
        buyer_names=np.array(buyers, dtype=object),
        shop=np.zeros(n, dtype=np.int32),
        shop_names=np.array(["s"], dtype=object),
    )


LABELS = {
    "f1": "ring:ip_farm",
    "f2": "ring:ip_farm",
    "l1": "ring:lockstep",
    "h1": "honest",
    "h2": "honest",
    "c1": "crowd:campus",
    "c2": "crowd:campus",
}


def test_precision_recall_and_false_positives_by_kind() -> None:
    table = table_of(["f1", "f2", "l1", "h1", "h2", "c1", "c2"])
    flagged = np.array([True, True, False, False, False, True, False])
    kinds = np.array(["ip_farm", "ip_farm", "", "", "", "lockstep", ""], dtype=object)
    result = evaluate(table, LABELS, flagged, kinds)
    assert (result.overall.precision, result.overall.recall) == (2 / 3, 2 / 3)
    assert result.overall.f1 == pytest.approx(2 / 3)
    assert result.by_ring_kind["ip_farm"].precision == 1.0
    assert result.by_ring_kind["ip_farm"].recall == 1.0
    assert result.by_ring_kind["lockstep"].precision == 0.0  # it flagged a student
    assert result.by_ring_kind["lockstep"].recall == 0.0
    assert result.false_positive_rate == 1 / 4
    assert result.fpr_by_crowd == {"honest": (0, 2), "campus": (1, 2)}


def test_nothing_flagged_means_full_precision_and_no_recall() -> None:
    table = table_of(["f1", "h1"])
    result = evaluate(table, LABELS, np.zeros(2, dtype=bool))
    assert (result.overall.precision, result.overall.recall, result.overall.f1) == (1.0, 0.0, 0.0)


def test_buyers_without_a_label_are_counted_apart() -> None:
    result = evaluate(table_of(["f1", "x"]), LABELS, np.array([True, True]))
    assert result.unlabelled == 1
    assert result.overall.precision == 1 / 2


def test_an_unknown_label_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("buyer_id,label,group_id\nb1,honest,\nb2,ring:botnet,g\n", encoding="utf-8")
    with pytest.raises(OrderLogError, match="line 3, column label: unknown label 'ring:botnet'"):
        read_labels(path)


def test_labels_are_read_with_or_without_groups(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("buyer_id,label\nb1,honest\nb2,crowd:cgnat\n", encoding="utf-8")
    assert read_labels(path) == {"b1": "honest", "b2": "crowd:cgnat"}
