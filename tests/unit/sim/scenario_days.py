"""Generated days shared by the scenario tests, and a view of a day as the detectors see it.

Days are generated once per test session (``functools.cache``); a :class:`LogView` holds the
order log's text columns (exactly what is written to the file) as numpy arrays, with each
row's label and group, so a test can pick out one ring's or one crowd's orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import numpy as np

from megasale.sim.scenario import FAMILIES, Scenario, generate_day

__all__ = ["HOUR", "LogView", "brushes", "day", "minutes_between", "parse", "view"]

HOUR = timedelta(hours=1)


@cache
def day(family: str = "mixed", seed: int = 7, orders: int = 20_000) -> Scenario:
    return generate_day(FAMILIES[family], seed=seed, orders=orders)


@dataclass(frozen=True)
class LogView:
    columns: dict[str, np.ndarray]
    label: np.ndarray
    group: np.ndarray
    created_ms: np.ndarray
    """``created_at`` parsed, as ms since the epoch."""

    def rows_of(self, group_id: str) -> dict[str, np.ndarray]:
        mask = self.group == group_id
        return {name: values[mask] for name, values in self.columns.items()}

    def groups(self, label: str) -> list[str]:
        return sorted(set(self.group[self.label == label].tolist()))

    def without_rings(self) -> LogView:
        """The log as if every ring account had stayed at home."""
        keep = np.array([not label.startswith("ring:") for label in self.label])
        columns = {name: values[keep] for name, values in self.columns.items()}
        return LogView(columns, self.label[keep], self.group[keep], self.created_ms[keep])


@cache
def view(family: str = "mixed", seed: int = 7, orders: int = 20_000) -> LogView:
    scenario = day(family, seed, orders)
    columns = {k: np.array(v, dtype=object) for k, v in scenario.orders.text().items()}
    labels = scenario.labels
    label = np.array([labels[b][0] for b in columns["buyer_id"]], dtype=object)
    group = np.array([labels[b][1] for b in columns["buyer_id"]], dtype=object)
    created = np.array([parse(t).timestamp() * 1000 for t in columns["created_at"]], dtype=np.int64)
    return LogView(columns, label, group, created)


def brushes(log: LogView, shop: str) -> bool:
    """Whether ``shop`` brushes by the brief's shop-side rule, found by a witness interval.

    Some [a, a + 1 h] with a at one of the shop's orders holds orders / distinct buyers >= 3.
    """
    mask = log.columns["shop_id"] == shop
    times = log.created_ms[mask]
    order = np.argsort(times, kind="stable")
    times, buyers = times[order], log.columns["buyer_id"][mask][order]
    ends = np.searchsorted(times, times + 3_600_000, side="right")
    for start, end in enumerate(ends.tolist()):
        inside = buyers[start:end]
        if len(inside) >= 3 * len(set(inside)):
            return True
    return False


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def minutes_between(earlier: str, later: str) -> float:
    return (parse(later) - parse(earlier)).total_seconds() / 60
