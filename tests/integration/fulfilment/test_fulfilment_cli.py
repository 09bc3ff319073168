"""The fulfilment sub-commands of ``megasale``, against a real database file."""

from __future__ import annotations

import csv
import io

from megasale.bootstrap import build_platform
from megasale.cli import main
from megasale.config import Settings
from megasale.sim.seed import SeedPlan, seed_platform


def seeded_db(tmp_path):
    db = tmp_path / "cli.db"
    platform = build_platform(Settings(db_path=db))
    seed_platform(platform, SeedPlan(buyers=1, skus=1, stock=1))
    platform.store.close()
    return db


def test_import_stores_loads_the_generated_network(tmp_path, capsys):
    db = seeded_db(tmp_path)
    assert main(["import-stores", "--db", str(db), "--generated"]) == 0
    assert "imported 2300 partner stores" in capsys.readouterr().out
    platform = build_platform(Settings(db_path=db))
    try:
        record = platform.fulfilment.store.store_record("ss-00001")
        assert record.store.city_tier in (3, 4) and record.address and record.opening_hours
    finally:
        platform.store.close()


def test_import_stores_names_the_bad_lines_and_fails(tmp_path, capsys):
    db = seeded_db(tmp_path)
    bad = tmp_path / "stores.csv"
    bad.write_text(
        "store_id,name,chain,city,city_tier,address,opening_hours\n"
        "st-a,A,Suning,Wuhan,7,1 Road,09:00-21:00\n"
    )
    assert main(["import-stores", "--db", str(db), str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err


def test_the_carrier_secret_is_stable_and_differs_per_carrier(tmp_path, capsys):
    db = seeded_db(tmp_path)
    assert main(["carrier", "sf", "--db", str(db)]) == 0
    sf = capsys.readouterr().out.strip()
    assert main(["carrier", "sf", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == sf
    assert main(["carrier", "zto", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() != sf
    assert len(sf) == 64
    assert main(["carrier", "pigeon", "--db", str(db)]) == 1


def test_the_hand_over_file_and_a_fulfilment_round_run_from_the_command_line(tmp_path, capsys):
    db = seeded_db(tmp_path)
    assert main(["fulfilment-run", "--db", str(db)]) == 0
    assert "expired 0 pickups" in capsys.readouterr().out
    out = tmp_path / "sf.csv"
    assert main(["carrier", "sf", "--db", str(db), "--handover", str(out)]) == 0
    header = next(csv.reader(io.StringIO(out.read_text())))
    assert header[:2] == ["order_id", "tracking_number"]


def test_the_openapi_document_describes_the_fulfilment_routes(tmp_path):
    from litestar.testing import TestClient

    from megasale.web.app import create_app

    settings = Settings(db_path=tmp_path / "openapi.db")
    platform = build_platform(settings)
    try:
        with TestClient(create_app(platform, settings)) as client:
            paths = client.get("/schema/openapi.json").json()["paths"]
    finally:
        platform.store.close()
    for path in (
        "/v1/clerk/pickups",
        "/v1/carriers/{carrier_id}/events",
        "/v1/operator/backlog",
        "/v1/orders/{order_id}/pickup-code",
    ):
        assert path in paths
