"""The live screen over HTTP: the page, the event stream, the snapshot, the metrics."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.api.conftest import Api, make_api
from tests.integration.live.live_sale import place_orders

from megasale.sim.seed import SeedPlan

PLAN = SeedPlan(buyers=6, skus=4, stock=100, limit_per_buyer=20)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, PLAN)


def frames(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        out.append(fields)
    return out


def wait_for_orders(api: Api, count: int) -> dict:
    op = api.auth(api.seeded.operator_token)
    deadline = time.monotonic() + 5
    while True:
        shown = api.client.get("/v1/operator/live", headers=op).json()
        if shown["orders"] >= count or time.monotonic() > deadline:
            return shown
        time.sleep(0.05)


def test_the_page_is_a_shell_with_vendored_scripts_and_no_figures(api):
    r = api.client.get("/live")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
        assert api.client.get(src).status_code == 200, src
    assert "/static/vendor/uplot/uPlot.iife.min.js" in r.text
    assert "/static/vendor/countup/countUp.umd.js" in r.text
    assert "http://" not in r.text and "https://" not in r.text  # nothing from the internet
    for licence in ("vendor/uplot/LICENSE", "vendor/countup/LICENSE.md"):
        assert "MIT" in api.client.get(f"/static/{licence}").text


def test_the_stream_sends_snapshots_with_ids_and_a_retry_time(api):
    place_orders(api, 3)
    wait_for_orders(api, 3)
    op = api.auth(api.seeded.operator_token)
    started = time.monotonic()
    r = api.client.get("/live/stream?frames=5", headers=op)
    took = time.monotonic() - started
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    sent = frames(r.text)
    assert len(sent) == 5
    assert all(f["event"] == "snapshot" and f["retry"] == "1000" for f in sent)
    ids = [int(f["id"]) for f in sent]
    assert ids == sorted(ids)  # a frame repeats the last id only when nothing new was made
    assert json.loads(sent[-1]["data"])["orders"] == 3
    assert took < 4 * 0.25 + 0.5  # at least four frames a second


def test_a_browser_session_cookie_opens_the_stream_without_a_header(api):
    op = api.auth(api.seeded.operator_token)
    r = api.client.post("/live/session", headers=op)
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/live" in cookie
    assert api.client.get("/live/stream?frames=1").status_code == 200
    api.client.cookies.clear()
    assert api.client.get("/live/stream?frames=1").status_code == 401


def test_a_buyers_token_opens_no_session(api):
    buyer = api.auth(api.seeded.buyers[0]["token"])
    assert api.client.post("/live/session", headers=buyer).status_code == 403
    api.client.cookies.set("megasale_live", api.seeded.buyers[0]["token"], path="/live")
    assert api.client.get("/live/stream?frames=1").status_code == 403


def test_the_snapshot_series_and_metrics_agree(api):
    placed = place_orders(api, 4)
    shown = wait_for_orders(api, 4)
    total = sum(o["amount_fen"] for o in placed)
    assert shown["gmv"]["gross"] == total
    assert shown["pickup"][2] + shown["shipping"][2] == 4
    op = api.auth(api.seeded.operator_token)
    series = api.client.get("/v1/operator/live/series", headers=op).json()
    assert sum(series["gmv"]) == total and sum(series["orders"]) == 4
    metrics = api.client.get("/metrics", headers=op)
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert f'megasale_live_gmv_fen{{figure="gross"}} {total}' in metrics.text
    assert "megasale_live_orders 4" in metrics.text
    for line in metrics.text.splitlines():
        assert line.startswith("#") or re.fullmatch(
            r"megasale_live_\w+(\{[^}]*\})? -?[\d.e+]+", line
        )
