"""The live figures in the Prometheus text exposition format (version 0.0.4), written by hand.

Money stays in fen (integers) so that sums in PromQL are exact.
"""

from __future__ import annotations

from megasale.live.snapshot import LiveSnapshot, PanelRow

__all__ = ["CONTENT_TYPE", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help_text: str, samples: list[tuple[str, float | int]]
    ) -> None:
        self.lines.append(f"# HELP megasale_live_{name} {help_text}")
        self.lines.append(f"# TYPE megasale_live_{name} {kind}")
        for labels, value in samples:
            self.lines.append(f"megasale_live_{name}{labels} {value}")

    def panel(self, name: str, label: str, help_text: str, rows: list[PanelRow]) -> None:
        samples: list[tuple[str, float | int]] = [
            (f'{{{label}="{_label(row.name)}"}}', row.gmv) for row in rows
        ]
        self.metric(name, "gauge", help_text, samples)


def render_metrics(s: LiveSnapshot) -> str:
    out = _Lines()
    out.metric(
        "gmv_fen",
        "gauge",
        "GMV of the sale in fen: gross, net of refunds and cancellations, net of brushing.",
        [
            ('{figure="gross"}', s.gmv.gross),
            ('{figure="net"}', s.gmv.net),
            ('{figure="net_of_brushing"}', s.gmv.net_of_brushing),
        ],
    )
    out.metric("orders", "gauge", "Orders placed in the sale.", [("", s.orders)])
    out.metric("cancelled_orders", "gauge", "Orders cancelled.", [("", s.cancelled_orders)])
    out.metric("buyers", "gauge", "Distinct buyers.", [("", s.buyers)])
    out.metric(
        "subsidy_spent_fen", "gauge", "Subsidy spent, net of returns.", [("", s.subsidy_spent)]
    )
    out.metric("subsidy_budget_fen", "gauge", "Subsidy budget.", [("", s.subsidy_budget)])
    out.metric("gmv_per_second_fen", "gauge", "GMV in the last full second.", [("", s.gmv_per_s)])
    out.metric(
        "orders_per_second", "gauge", "Orders in the last full second.", [("", s.orders_per_s)]
    )
    out.metric(
        "record_ahead_by_fen",
        "gauge",
        "Ahead of the record (negative: behind).",
        [("", s.record.ahead_by)],
    )
    out.metric(
        "badged_gmv_fen", "gauge", "GMV from shops with a trust badge.", [("", s.badged_gmv)]
    )
    out.metric(
        "fulfilment_gmv_fen",
        "gauge",
        "GMV by fulfilment kind.",
        [('{kind="pickup"}', s.pickup.gmv), ('{kind="shipping"}', s.shipping.gmv)],
    )
    out.panel("category_gmv_fen", "category", "GMV of the top categories.", s.categories)
    out.panel("city_gmv_fen", "city", "GMV of the top cities.", s.cities)
    out.metric(
        "rings_open", "gauge", "Brushing rings flagged and not ruled on.", [("", s.rings_open)]
    )
    out.metric(
        "flagged_orders", "gauge", "Orders out of GMV net of brushing.", [("", s.flagged_orders)]
    )
    out.metric(
        "milestones_reached",
        "gauge",
        "Milestones passed.",
        [("", len(s.milestones))],
    )
    f = s.freshness
    out.metric(
        "lag_seconds", "gauge", "Newest committed event minus newest folded.", [("", f.lag_s)]
    )
    out.metric(
        "behind_events", "gauge", "Committed events not folded yet.", [("", f.behind_events)]
    )
    out.metric(
        "folded_seq", "gauge", "Sequence number of the last event folded.", [("", f.folded_seq)]
    )
    out.metric(
        "events_folded_total",
        "counter",
        "Events that changed the figures.",
        [("", s.events_folded)],
    )
    out.metric(
        "duplicates_ignored_total",
        "counter",
        "Redelivered or repeated events ignored.",
        [("", s.duplicates_ignored)],
    )
    return "\n".join(out.lines) + "\n"
