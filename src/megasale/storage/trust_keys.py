"""Where the HMAC key of identity numbers comes from: never from the database it protects."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "identity_key"]

KEY_ENV = "MEGASALE_IDENTITY_KEY"
MIN_KEY_BYTES = 16


def identity_key(db_path: str | Path, env: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key for identity numbers: ``$MEGASALE_IDENTITY_KEY``, or a key file beside the
    database (``<db>.identity-key``, 32 random bytes in hex, created on first use, mode 0600).

    The file is written under a temporary name and linked into place, so processes starting
    together on one database all read the same complete key.
    """
    env = os.environ if env is None else env
    if env.get(KEY_ENV):
        key = env[KEY_ENV].encode("utf-8")
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"{KEY_ENV} must have at least {MIN_KEY_BYTES} bytes")
        return key
    path = Path(f"{db_path}.identity-key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process linked its key first: use that one
        finally:
            temp.unlink()
    key = bytes.fromhex(path.read_text("ascii").strip())
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path} holds no usable key; restore it from the database's backup")
    return key
