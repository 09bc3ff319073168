"""The trust program's commands: badges of a shop, automatic refunds."""

from __future__ import annotations

from megasale.bootstrap import build_platform
from megasale.cli import main
from megasale.config import Settings
from megasale.sim.seed import SeedPlan, seed_platform


def test_the_badges_command_prints_what_the_state_says(tmp_path, capsys):
    db = tmp_path / "cli.db"
    platform = build_platform(Settings(db_path=db))
    seeded = seed_platform(platform, SeedPlan(buyers=1, skus=2))
    merchant = platform.accounts.authenticate(seeded.merchants[0]["token"])
    platform.trust.service.join(merchant, "shop-01", "returns")
    platform.store.close()
    assert main(["badges", "shop-01", "--db", str(db)]) == 0
    assert '"badges": ["returns_7d"]' in capsys.readouterr().out
    assert main(["badges", "shop-02", "--db", str(db)]) == 0
    assert '"badges": []' in capsys.readouterr().out
    assert main(["badges", "nope", "--db", str(db)]) == 1
    assert main(["refund-overdue", "--db", str(db)]) == 0
    assert "refunded 0" in capsys.readouterr().out
