"""Writing a generated day to disk: the order log, the labels and the catalog.

- Order log as CSV: the header, then one order line per row, RFC 4180 quoting (only the
  address, which holds commas, gets quoted); an empty cell where a value is missing.
- Order log as JSON Lines: one object per line with the same keys in the same order; the three
  money and quantity columns are JSON integers, every other value a string, and a missing value
  is ``null``.
- Labels: ``buyer_id,label,group_id``, one row per buyer, sorted by ``buyer_id``.
- Catalog: ``shops.csv``, ``skus.csv``, ``stores.csv``.

All text is UTF-8 with ``\\n`` line ends, so the same day always gives the same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from pathlib import Path

from megasale.sim.scenario_catalog import CATEGORIES, Catalog
from megasale.sim.scenario_geo import Geography
from megasale.sim.scenario_log import ORDER_COLUMNS, OrderLog

__all__ = ["INTEGER_COLUMNS", "write_catalog", "write_labels", "write_orders"]

INTEGER_COLUMNS = frozenset({"quantity", "amount_fen", "subsidy_fen"})
_CHUNK = 100_000


def write_orders(log: OrderLog, path: Path) -> None:
    """JSON Lines if ``path`` ends in ``.jsonl``, CSV otherwise."""
    if path.suffix.lower() == ".jsonl":
        _write_jsonl(log, path)
    else:
        _write_orders_csv(log, path)


def _write_orders_csv(log: OrderLog, path: Path) -> None:
    # csv.writer takes five times as long as a join for a million rows; only the address can
    # hold a comma (and never a quote), so it is the one column quoted.
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(ORDER_COLUMNS) + "\n")
        for text in log.text_chunks(_CHUNK):
            text["address"] = [f'"{v}"' for v in text["address"]]
            rows = zip(*(text[c] for c in ORDER_COLUMNS), strict=True)
            handle.write("\n".join(map(",".join, rows)) + "\n")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_jsonl(log: OrderLog, path: Path) -> None:
    line = "{{" + ",".join(f'"{c}":{{}}' for c in ORDER_COLUMNS) + "}}\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        for text in log.text_chunks(_CHUNK):
            tokens: list[list[str]] = []
            for column in ORDER_COLUMNS:
                values = text[column]
                if column in INTEGER_COLUMNS:
                    tokens.append(values)
                elif column == "address":  # free text: let the JSON encoder escape it
                    tokens.append([encode_basestring(v) for v in values])
                else:  # ids, numbers and ISO times: nothing in them needs escaping
                    tokens.append([f'"{v}"' if v else "null" for v in values])
            handle.writelines(line.format(*row) for row in zip(*tokens, strict=True))


def write_labels(rows: Iterable[tuple[str, str, str]], path: Path) -> None:
    _write_csv(path, ("buyer_id", "label", "group_id"), rows)


def write_catalog(catalog: Catalog, geography: Geography, directory: Path) -> None:
    """``shops.csv``, ``skus.csv`` and ``stores.csv`` in ``directory`` (created if need be)."""
    directory.mkdir(parents=True, exist_ok=True)
    quiet = set(catalog.quiet_shops.tolist())
    _write_csv(
        directory / "shops.csv",
        ("shop_id", "name", "quiet"),
        ((f"s{i + 1:04d}", name, int(i in quiet)) for i, name in enumerate(catalog.shop_names)),
    )
    _write_csv(
        directory / "skus.csv",
        ("sku_id", "shop_id", "category", "list_price_fen", "promo_price_fen", "stock"),
        (
            (f"k{i + 1:05d}", f"s{shop + 1:04d}", CATEGORIES[cat], lst, promo, stock)
            for i, (shop, cat, lst, promo, stock) in enumerate(
                zip(
                    catalog.sku_shop.tolist(),
                    catalog.sku_category.tolist(),
                    catalog.list_price_fen.tolist(),
                    catalog.promo_price_fen.tolist(),
                    catalog.stock.tolist(),
                    strict=True,
                )
            )
        ),
    )
    cities = catalog.store_city.tolist()
    _write_csv(
        directory / "stores.csv",
        ("store_id", "name", "chain", "city", "tier"),
        (
            (f"st{i + 1:04d}", name, chain, geography.names[c], int(geography.tier[c]))
            for i, (name, chain, c) in enumerate(
                zip(catalog.store_names, catalog.store_chain, cities, strict=True)
            )
        ),
    )
