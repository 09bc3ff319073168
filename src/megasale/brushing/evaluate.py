"""Score flagged buyers against a labels file: P/R/F1 by ring kind, false positives by crowd kind.

Labels: CSV ``buyer_id,label[,group_id]``; ``label`` is ``honest``, ``ring:<kind>`` or
``crowd:<kind>``. Ring buyers are the positives. Precision of a ring kind counts the buyers
flagged in rings of that kind; recall counts the labelled buyers of that kind. Honest buyers
(``honest`` and every ``crowd:*``) give the false-positive rates. Buyers of the labels file
that placed no order in the log are left out; buyers of the log with no label are counted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from megasale.brushing.frame import OrderTable
from megasale.brushing.orderlog import OrderLogError
from megasale.brushing.rings import RingKind

__all__ = ["Evaluation", "Scores", "evaluate", "read_labels"]

_RING_KINDS = tuple(kind.value for kind in RingKind)
_CROWD_KINDS = ("campus", "office", "household", "cgnat", "bulk_buyer")


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 with the counts behind them.

    ``correct`` of the ``flagged`` buyers are ring buyers; ``caught`` of the ``positives``
    (labelled ring buyers) are flagged. Overall both numerators are the same number.
    """

    correct: int
    flagged: int
    caught: int
    positives: int

    @property
    def precision(self) -> float:
        return self.correct / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Evaluation:
    """Ring-buyer scores overall and by kind; false-positive rates overall and by crowd kind."""

    overall: Scores
    by_ring_kind: dict[str, Scores]
    false_positive_rate: float
    honest_flagged: int
    honest: int
    fpr_by_crowd: dict[str, tuple[int, int]] = field(default_factory=dict)
    unlabelled: int = 0

    def lines(self) -> list[str]:
        """A plain-text table for the terminal."""
        out = [f"{'ring buyers':<14} {'precision':>9} {'recall':>7} {'F1':>7} {'buyers':>7}"]
        for name, s in [("all", self.overall), *self.by_ring_kind.items()]:
            out.append(
                f"{name:<14} {s.precision:>9.4f} {s.recall:>7.4f} {s.f1:>7.4f} {s.positives:>7}"
            )
        out.append(f"{'honest buyers':<14} {'flagged':>9} {'of':>7} {'FPR':>7}")
        rate = self.false_positive_rate
        out.append(f"{'all':<14} {self.honest_flagged:>9} {self.honest:>7} {rate:>7.4%}")
        for name, (flagged, total) in self.fpr_by_crowd.items():
            share = flagged / total if total else 0.0
            out.append(f"{name:<14} {flagged:>9} {total:>7} {share:>7.4%}")
        if self.unlabelled:
            out.append(f"buyers without a label: {self.unlabelled}")
        return out


def read_labels(path: str | Path) -> dict[str, str]:
    """Buyer id -> label; an unknown label is an :class:`OrderLogError` naming its line."""
    path = Path(path)
    known = {"honest"} | {f"ring:{k}" for k in _RING_KINDS} | {f"crowd:{k}" for k in _CROWD_KINDS}
    labels: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"buyer_id", "label"} <= set(reader.fieldnames):
            raise OrderLogError(path, 1, None, "the header needs buyer_id and label")
        for row in reader:
            label = (row["label"] or "").strip()
            if label not in known:
                raise OrderLogError(path, reader.line_num, "label", f"unknown label {label!r}")
            labels[row["buyer_id"]] = label
    return labels


def evaluate(
    table: OrderTable,
    labels: dict[str, str],
    flagged: npt.NDArray[np.bool_],
    flagged_kind: npt.NDArray[np.object_] | None = None,
) -> Evaluation:
    """Compare a per-buyer-code flag (and optional predicted ring kind) with the labels."""
    truth = np.array(
        [labels.get(str(name), "") for name in table.buyer_names.tolist()], dtype=object
    )
    known = truth != ""
    is_ring = np.array([str(t).startswith("ring:") for t in truth.tolist()], dtype=bool)
    honest = known & ~is_ring
    hits = int((flagged & is_ring).sum())
    overall = Scores(hits, int(flagged.sum()), hits, int(is_ring.sum()))
    by_kind: dict[str, Scores] = {}
    for kind in _RING_KINDS:
        positives = truth == f"ring:{kind}"
        predicted = flagged & (flagged_kind == kind) if flagged_kind is not None else flagged
        caught = int((flagged & positives).sum())
        correct = int((predicted & is_ring).sum())
        if positives.any() or (flagged_kind is not None and predicted.any()):
            by_kind[kind] = Scores(correct, int(predicted.sum()), caught, int(positives.sum()))
    crowds = {}
    for kind in ("honest", *_CROWD_KINDS):
        members = truth == (kind if kind == "honest" else f"crowd:{kind}")
        if members.any():
            crowds[kind] = (int((flagged & members).sum()), int(members.sum()))
    n_honest = int(honest.sum())
    honest_flagged = int((flagged & honest).sum())
    return Evaluation(
        overall=overall,
        by_ring_kind=by_kind,
        false_positive_rate=honest_flagged / n_honest if n_honest else 0.0,
        honest_flagged=honest_flagged,
        honest=n_honest,
        fpr_by_crowd=crowds,
        unlabelled=int((~known).sum()),
    )
