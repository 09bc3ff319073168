"""Partner stores as the fulfilment team knows them, and the rules of pickup.

The core ``PartnerStore`` says where a store is; :class:`StoreRecord` adds what a buyer needs to
get there (address, opening hours). :func:`parse_store_csv` reads the network's CSV and names
every bad row by its line, so one pass over a 2,300-row file shows every problem at once.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta

from megasale.domain.catalog import PartnerStore, check_identifier, check_name
from megasale.domain.errors import InvalidInput, StoreImportRejected

__all__ = [
    "STORE_COLUMNS",
    "PickupPolicy",
    "StoreRecord",
    "check_opening_hours",
    "parse_store_csv",
]

STORE_COLUMNS = ("store_id", "name", "chain", "city", "city_tier", "address", "opening_hours")
_HOURS = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class StoreRecord:
    store: PartnerStore
    address: str
    opening_hours: str


@dataclass(frozen=True, slots=True)
class PickupPolicy:
    """How long a pickup waits, and how many wrong codes a clerk and a store may type.

    Wrong codes are counted in a sliding window of ``attempt_window``; past either limit the
    clerk is refused until the oldest wrong code in the window is older than the window.
    """

    pickup_ttl: timedelta = timedelta(days=7)
    attempt_window: timedelta = timedelta(minutes=10)
    max_wrong_per_clerk: int = 5
    max_wrong_per_store: int = 20

    def __post_init__(self) -> None:
        if self.pickup_ttl <= timedelta(0) or self.attempt_window <= timedelta(0):
            raise InvalidInput("policy", "times must be positive")
        if self.max_wrong_per_clerk < 1 or self.max_wrong_per_store < 1:
            raise InvalidInput("policy", "limits must be at least 1")


def check_opening_hours(value: str) -> str:
    """``HH:MM-HH:MM`` (24-hour), opening before closing, e.g. ``09:00-21:30``."""
    text = value.strip()
    match = _HOURS.match(text)
    if match is None:
        raise InvalidInput("opening_hours", f"{value!r} is not like 09:00-21:30")
    opens = int(match[1]) * 60 + int(match[2])
    closes = int(match[3]) * 60 + int(match[4])
    if closes > 24 * 60 or opens >= closes:
        raise InvalidInput("opening_hours", f"{value!r}: a store must open before it closes")
    return text


def _record(row: dict[str, str]) -> StoreRecord:
    tier_text = row["city_tier"].strip()
    if tier_text not in {"1", "2", "3", "4"}:
        raise InvalidInput("city_tier", f"{tier_text!r} is not 1, 2, 3 or 4")
    store = PartnerStore(
        check_identifier("store_id", row["store_id"].strip()),
        check_name("name", row["name"]),
        check_name("chain", row["chain"], max_length=100),
        check_name("city", row["city"], max_length=100),
        int(tier_text),
    )
    return StoreRecord(
        store,
        check_name("address", row["address"], max_length=300),
        check_opening_hours(row["opening_hours"]),
    )


def parse_store_csv(text: str) -> list[StoreRecord]:
    """Every store of a CSV with a header of :data:`STORE_COLUMNS` (any order, extra ignored).

    Raises :class:`StoreImportRejected` naming each bad row (line numbers count the header as
    line 1) when any row is bad or a store id appears twice: the file is taken whole or not.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in STORE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise StoreImportRejected([(1, f"the header lacks {', '.join(missing)}")])
    records: list[StoreRecord] = []
    problems: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row or any(row.get(c) is None for c in STORE_COLUMNS):
            problems.append((line, f"expected {len(reader.fieldnames or [])} fields"))
            continue
        try:
            record = _record(row)
        except InvalidInput as error:
            problems.append((line, error.detail))
            continue
        store_id = record.store.store_id
        if store_id in first_line:
            problems.append((line, f"store_id {store_id} already on line {first_line[store_id]}"))
            continue
        first_line[store_id] = line
        records.append(record)
    if problems:
        raise StoreImportRejected(problems)
    if not records:
        raise StoreImportRejected([(1, "the file holds no stores")])
    return records
