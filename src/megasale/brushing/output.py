"""The four files of ``megasale detect --out DIR``, as the brief defines them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from megasale.brushing.detect import BrushingDetector
from megasale.brushing.frame import OrderTable
from megasale.brushing.shop_rule import shop_brushing

__all__ = ["OUTPUT_FILES", "write_outputs"]

OUTPUT_FILES = ("flagged_buyers.csv", "flagged_orders.csv", "rings.json", "shop_brushing.csv")


def write_outputs(table: OrderTable, detector: BrushingDetector, out: Path) -> None:
    """Write the four output files into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    rings = detector.rings_
    buyers = detector.flagged_buyers()
    buyer_rings = detector.buyer_ring_[buyers].tolist()
    with (out / "flagged_buyers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["buyer_id", "ring_id", "score", "reasons"])
        for name, index in zip(table.buyer_names[buyers].tolist(), buyer_rings, strict=True):
            ring = rings[index]
            reasons = "; ".join([f"{ring.kind.value} ring", *ring.reasons])
            writer.writerow([name, ring.ring_id, ring.score, reasons])
    orders = detector.flagged_orders()
    order_rings = detector.order_ring_[orders].tolist()
    order_ids = table.order_ids[orders].tolist()
    order_buyers = table.buyer_names[table.buyer[orders]].tolist()
    with (out / "flagged_orders.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["order_id", "buyer_id", "ring_id", "score"])
        for order_id, buyer, index in zip(order_ids, order_buyers, order_rings, strict=True):
            ring = rings[index]
            writer.writerow([order_id, buyer, ring.ring_id, ring.score])
    documents = [_ring_document(table, index, detector) for index in range(len(rings))]
    with (out / "rings.json").open("w", encoding="utf-8") as handle:
        json.dump(documents, handle, ensure_ascii=False, indent=1)
    with (out / "shop_brushing.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["shopid", "userid"])
        writer.writerows(shop_brushing(table, detector.brushing_))


def _ring_document(table: OrderTable, index: int, detector: BrushingDetector) -> dict[str, Any]:
    ring = detector.rings_[index]
    members, orders = ring.members, ring.orders
    return {
        "id": ring.ring_id,
        "kind": ring.kind.value,
        "score": ring.score,
        "members": [str(name) for name in table.buyer_names[members].tolist()],
        "orders": [str(name) for name in table.order_ids[np.sort(orders)].tolist()],
        "gmv_fen": table.gmv_fen(orders),
        "subsidy_fen": table.subsidy_total_fen(orders),
        "reasons": ring.reasons,
        "evidence": ring.evidence,
    }
