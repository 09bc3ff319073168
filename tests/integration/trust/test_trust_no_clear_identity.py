"""After a run of real-name submissions, no clear number is left in the database or the logs."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.integration.trust.trust_harness import GOOD_ID, GOOD_USCC

from megasale.storage.trust_keys import identity_key

NUMBERS = [
    ("uscc", GOOD_USCC),
    ("resident_id", GOOD_ID),
    ("resident_id", "440524188001010014"),
    ("uscc", "91350100M000100Y44"),  # wrong check character
    ("resident_id", "110105194912310021"),  # wrong check digit
    ("resident_id", "11010519491332002X"),  # no such date
]


def files_of(db: Path) -> list[Path]:
    return [p for p in db.parent.iterdir() if p.name.startswith(db.name)]


def test_no_clear_number_is_stored_or_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    for n, (kind, number) in enumerate(NUMBERS):
        shop = f"shop-0{n % 5 + 1}"
        api.post(f"/v1/merchant/shops/{shop}/verification/withdraw", api.merchant(n % 5))
        r = api.post(
            f"/v1/merchant/shops/{shop}/verification",
            api.merchant(n % 5),
            {"legal_name": "Zhang San", "kind": kind, "number": number},
        )
        assert r.status_code in (201, 409, 422), r.text
        assert number not in r.text and number[:-1] not in r.text
    api.client.get("/v1/operator/verifications", headers=api.operator)
    api.platform.store.db.connection().execute("PRAGMA wal_checkpoint(PASSIVE)")
    blobs = [p.read_bytes() for p in files_of(api.db_path)]
    assert any(b"91**************43" in b for b in blobs)  # the masked form is there
    texts = [*blobs, caplog.text.encode()]
    for _, number in NUMBERS:
        for needle in (number, number[:17], number[6:14] + number[14:17]):
            assert not any(needle.encode() in blob for blob in texts), needle


def test_the_identity_key_lives_outside_the_database_in_a_private_file(tmp_path):
    db = tmp_path / "k.db"
    key = identity_key(db, env={})
    path = Path(f"{db}.identity-key")
    assert path.stat().st_mode & 0o777 == 0o600
    assert identity_key(db, env={}) == key and len(key) == 32
    assert identity_key(db, env={"MEGASALE_IDENTITY_KEY": "k" * 32}) == b"k" * 32


def test_a_short_key_in_the_environment_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="at least 16"):
        identity_key(tmp_path / "k.db", env={"MEGASALE_IDENTITY_KEY": "short"})
