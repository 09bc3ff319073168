"""The secret keys of fulfilment, from the environment or a key file beside the database.

``MEGASALE_<NAME>_KEY`` (any string of 16 characters or more) wins; otherwise the file
``<database>.<name>.key`` holds 32 random bytes, created on first use with mode 0600 and never
rewritten. The keys are kept out of the database on purpose: a copy of it alone does not
reveal pickup codes, carrier secrets or pseudonymised values.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["load_key"]


def load_key(db_path: str | Path, name: str) -> bytes:
    """The key called ``name`` (``pseudonym``, ``fulfilment``) for the database at ``db_path``."""
    from_env = os.environ.get(f"MEGASALE_{name.upper()}_KEY")
    if from_env:
        if len(from_env) < 16:
            raise ValueError(f"MEGASALE_{name.upper()}_KEY must be at least 16 characters")
        return from_env.encode()
    if str(db_path) == ":memory:":
        return secrets.token_bytes(32)  # lives as long as the database: this process
    path = Path(f"{db_path}.{name}.key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < 16:
            raise ValueError(f"{path} holds fewer than 16 bytes; restore it or remove it") from None
        return key
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()
