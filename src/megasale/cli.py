"""The ``megasale`` command: serve, seed, demo, and the tools of the other capabilities."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from megasale import __version__
from megasale.bootstrap import build_platform, serve
from megasale.config import DEFAULT_DB, Settings, parse_networks
from megasale.services.ports import Role
from megasale.sim.seed import SeedPlan, seed_platform

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        db_path=Path(args.db),
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8000),
        trusted_proxies=parse_networks(getattr(args, "trusted_proxy", None) or []),
        workers=getattr(args, "workers", 1),
    )


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=str(DEFAULT_DB), help=f"SQLite file (default: {DEFAULT_DB})"
    )


def _add_server(parser: argparse.ArgumentParser) -> None:
    _add_db(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDR",
        help="an address or CIDR range whose X-Forwarded-For is believed (repeatable)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print(
        f"megasale {__version__} serving {settings.db_path} on http://{settings.host}:{settings.port}"
    )
    serve(settings)
    return 0


def _seed(settings: Settings, plan: SeedPlan) -> dict[str, object]:
    platform = build_platform(settings)
    try:
        seeded = seed_platform(platform, plan)
    finally:
        platform.store.close()
    return {
        "operator_token": seeded.operator_token,
        "promotion_id": seeded.promotion_id,
        "merchants": seeded.merchants,
        "skus": seeded.skus,
        "buyers": seeded.buyers,
        "stores": seeded.stores,
    }


def _cmd_seed(args: argparse.Namespace) -> int:
    plan = SeedPlan(
        buyers=args.buyers,
        skus=args.skus,
        stock=args.stock,
        budget_fen=args.budget_fen,
        limit_per_buyer=args.limit_per_buyer,
        subsidy_fen=args.subsidy_fen,
    )
    seeded = _seed(_settings(args), plan)
    out = Path(args.tokens_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(seeded, indent=1))
    out.chmod(0o600)
    print(
        f"seeded {args.db}: promotion {seeded['promotion_id']}, {args.skus} SKUs of {args.stock} "
        f"units, {args.buyers} buyers; tokens in {out}"
    )
    return 0


def _cmd_account(args: argparse.Namespace) -> int:
    platform = build_platform(_settings(args))
    try:
        new = platform.accounts.open(Role(args.role), args.name, store_id=args.store_id)
    finally:
        platform.store.close()
    print(json.dumps({"account_id": new.account.account_id, "role": args.role, "token": new.token}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    tokens = Path(args.db).with_suffix(".tokens.json")
    if not tokens.exists():
        Path(args.db).unlink(missing_ok=True)
        seeded = _seed(settings, SeedPlan(buyers=20))
        tokens.write_text(json.dumps(seeded, indent=1))
        tokens.chmod(0o600)
    seeded = json.loads(tokens.read_text())
    base = f"http://{settings.host}:{settings.port}"
    buyer = seeded["buyers"][0]
    sku = seeded["skus"][0]
    print(
        f"""
megasale demo on {settings.db_path} (SQLite, no server to start)
  API docs (OpenAPI):  {base}/schema
  health:              {base}/v1/health
  a SKU on sale:       {base}/v1/skus/{sku["sku_id"]}
  the promotion:       {base}/v1/promotions/{seeded["promotion_id"]}
  tokens (operator, merchants, buyers): {tokens}
Place an order as a buyer:
  curl -s -X POST {base}/v1/orders -H 'Authorization: Bearer {buyer["token"]}' \\
    -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \\
    -d '{{"promotion_id": "{seeded["promotion_id"]}",
         "lines": [{{"sku_id": "{sku["sku_id"]}", "quantity": 1}}],
         "fulfilment": {{"kind": "pickup", "store_id": "st-bj-01"}}}}'
Ctrl-C stops the server.
""",
        flush=True,
    )
    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="megasale", description=__doc__)
    parser.add_argument("--version", action="version", version=f"megasale {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="serve the HTTP API")
    _add_server(p)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("demo", help="seed a small catalog (once) and serve it")
    _add_server(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("seed", help="seed a catalog, an open promotion and buyers")
    _add_db(p)
    p.add_argument("--buyers", type=int, default=100)
    p.add_argument("--skus", type=int, default=12)
    p.add_argument("--stock", type=int, default=1_000, help="units of each SKU")
    p.add_argument("--budget-fen", type=int, default=100_000_000, help="subsidy budget")
    p.add_argument("--subsidy-fen", type=int, default=None, help="subsidy per unit, all SKUs")
    p.add_argument("--limit-per-buyer", type=int, default=2)
    p.add_argument("--tokens-out", required=True, help="where to write the tokens (JSON)")
    p.set_defaults(func=_cmd_seed)

    p = sub.add_parser("create-account", help="open an operator, merchant or clerk account")
    _add_db(p)
    p.add_argument("--role", choices=["operator", "merchant", "clerk"], default="operator")
    p.add_argument("--name", required=True)
    p.add_argument("--store-id", default=None, help="the partner store of a clerk")
    p.set_defaults(func=_cmd_account)

    for name in ("megasale.brushing.command", "megasale.sim.command"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a capability not installed in this tree
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as exc:
        print(f"megasale: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
