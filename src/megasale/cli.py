"""The ``megasale`` command: serve, seed, demo, and the tools of the other capabilities."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from megasale import __version__
from megasale.bootstrap import (
    build_platform,
    detection_runner,
    fulfilment_worker,
    pseudonym_key,
    serve,
)
from megasale.config import DEFAULT_DB, Settings, parse_networks
from megasale.domain.errors import MegasaleError
from megasale.domain.fulfilment import STORE_COLUMNS
from megasale.services.fulfilment import Fulfilment
from megasale.services.order_export import export_order_log
from megasale.services.platform import Platform
from megasale.services.ports import Account, Role
from megasale.sim.partner_network import generate_network, network_csv
from megasale.sim.seed import SeedPlan, seed_platform

__all__ = ["build_parser", "child_checkpoints", "main"]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        db_path=Path(args.db),
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8000),
        trusted_proxies=parse_networks(getattr(args, "trusted_proxy", None) or []),
        workers=getattr(args, "workers", 1),
        streaming_detection=not getattr(args, "no_detection", False),
        consumers=getattr(args, "consumers", "all") != "none",
        order_writer=getattr(args, "order_writer", "shared"),
        detector_nice=getattr(args, "detector_nice", Settings.detector_nice),
        batch_wait_s=getattr(args, "batch_wait_ms", Settings.batch_wait_s * 1000) / 1000,
    )


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=str(DEFAULT_DB), help=f"SQLite file (default: {DEFAULT_DB})"
    )


def _add_parent_pid(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="stop when this process (the server that started this one) is gone; serve sets it",
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
    parser.add_argument(
        "--order-writer",
        choices=["shared", "per-worker"],
        default="shared",
        help="one order-writer process writes the orders of every server process, beside "
        "them (shared, the default, also with one worker), or each server process writes its "
        "own (per-worker; with --workers 1, the whole server is one process)",
    )
    parser.add_argument(
        "--batch-wait-ms",
        type=_batch_wait,
        default=Settings.batch_wait_s * 1000,
        metavar="MS",
        help="how long the order writer lets a batch fill while orders are flowing, 0-100 "
        f"(default {Settings.batch_wait_s * 1000:g}: each batch is written at once): fewer, "
        "larger batches cost less CPU per order, and no order waits longer than this for "
        "its batch",
    )
    parser.add_argument(
        "--consumers",
        choices=["all", "none"],
        default="all",
        help="run the event-log consumers (live screen, fulfilment, detection) here, or "
        "none: an API-only server beside another that runs them",
    )
    parser.add_argument(
        "--no-detection",
        action="store_true",
        help="do not run streaming brushing detection in this server",
    )
    parser.add_argument(
        "--detector-nice",
        type=_niceness,
        default=Settings.detector_nice,
        metavar="N",
        help="niceness of the streaming detector's process, 0-19 (default "
        f"{Settings.detector_nice}): orders get the cores first, detection catches up after",
    )


def _batch_wait(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of milliseconds") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{value:g} ms is not between 0 and 100 ms")
    return value


def _niceness(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 19:
        raise argparse.ArgumentTypeError(f"{value} is not a niceness from 0 to 19")
    return value


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print(
        f"megasale {__version__} serving {settings.db_path} on http://{settings.host}:{settings.port}"
    )
    serve(settings)
    return 0


@contextmanager
def _opened(settings: Settings) -> Iterator[Platform]:
    """The platform over ``settings``' database, its store closed when the block ends."""
    platform = build_platform(settings)
    try:
        yield platform
    finally:
        platform.store.close()


def _seed(settings: Settings, plan: SeedPlan) -> dict[str, object]:
    with _opened(settings) as platform:
        seeded = seed_platform(platform, plan)
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
    with _opened(_settings(args)) as platform:
        new = platform.accounts.open(Role(args.role), args.name, store_id=args.store_id)
    print(json.dumps({"account_id": new.account.account_id, "role": args.role, "token": new.token}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    tokens = Path(args.db).with_suffix(".tokens.json")
    if not tokens.exists():
        Path(args.db).unlink(missing_ok=True)
        seeded = _seed(settings, SeedPlan(buyers=20, partner_network=True))
        tokens.write_text(json.dumps(seeded, indent=1))
        tokens.chmod(0o600)
    seeded = json.loads(tokens.read_text())
    base = f"http://{settings.host}:{settings.port}"
    buyer = seeded["buyers"][0]
    sku = seeded["skus"][0]
    print(
        f"""
megasale demo on {settings.db_path} (SQLite, no server to start)
  the live sales screen: {base}/live#token={seeded["operator_token"]}
  the storefront:        {base}/search?q=fridge   {base}/shops/shop-01
  the backlog:           {base}/operator/backlog#token={seeded["operator_token"]}
  API docs (OpenAPI):    {base}/schema
  a SKU on sale:         {base}/v1/skus/{sku["sku_id"]}
  the promotion:         {base}/v1/promotions/{seeded["promotion_id"]}
  brushing rings:        curl -H 'Authorization: Bearer <operator token>' {base}/v1/risk/rings
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


# -- fulfilment (issue 5) ---------------------------------------------------------------
_CLI_OPERATOR = Account("cli", Role.OPERATOR, "command line")


def _fulfilment_of(platform: Platform) -> Fulfilment:
    if platform.fulfilment is None:
        raise ValueError("fulfilment is not wired on this platform")
    return platform.fulfilment


def _cmd_import_stores(args: argparse.Namespace) -> int:
    if (args.file is None) == (not args.generated):
        raise ValueError("give either a CSV file or --generated")
    text = network_csv(generate_network()) if args.generated else Path(args.file).read_text()
    with _opened(_settings(args)) as platform:
        try:
            count = _fulfilment_of(platform).import_stores(_CLI_OPERATOR, text)
        except MegasaleError as error:
            print(f"megasale: {error.detail}", file=sys.stderr)
            return 1
    print(f"imported {count} partner stores into {args.db}")
    return 0


def _cmd_export_orders(args: argparse.Namespace) -> int:
    settings = _settings(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _opened(settings) as platform, out.open("w", encoding="utf-8", newline="") as handle:
        fulfilment = _fulfilment_of(platform)
        rows = export_order_log(fulfilment.store, pseudonym_key(settings), handle, args.format)
    print(f"wrote {rows} order lines to {out}")
    return 0


def _cmd_fulfilment_run(args: argparse.Namespace) -> int:
    with _opened(_settings(args)) as platform:
        fulfilment = _fulfilment_of(platform)
        read, expired = fulfilment.dispatch_all(), fulfilment.expire_due(limit=1_000_000)
    print(f"read {read} events; expired {len(expired)} pickups")
    return 0


def _cmd_carrier(args: argparse.Namespace) -> int:
    with _opened(_settings(args)) as platform:
        try:
            fulfilment = _fulfilment_of(platform)
            if args.handover:
                text = fulfilment.handover_csv(_CLI_OPERATOR, args.carrier)
                Path(args.handover).write_text(text, encoding="utf-8")
                print(f"wrote {text.count(chr(10)) - 1} parcels to {args.handover}")
            else:
                print(fulfilment.carrier_secret(args.carrier))
        except MegasaleError as error:
            print(f"megasale: {error.detail}", file=sys.stderr)
            return 1
    return 0


def _add_fulfilment_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-stores", help="add or update partner stores from a CSV file")
    _add_db(p)
    p.add_argument("file", nargs="?", help=f"CSV with the columns {', '.join(STORE_COLUMNS)}")
    p.add_argument("--generated", action="store_true", help="the seeded ~2,300-store network")
    p.set_defaults(func=_cmd_import_stores)

    p = sub.add_parser("export-orders", help="write the order log (payment ids pseudonymised)")
    _add_db(p)
    p.add_argument("--out", required=True, help="the file to write")
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p.set_defaults(func=_cmd_export_orders)

    p = sub.add_parser("fulfilment-run", help="dispatch new orders and expire overdue pickups now")
    _add_db(p)
    p.set_defaults(func=_cmd_fulfilment_run)

    p = sub.add_parser(
        "carrier", help="print a carrier's webhook secret, or write its hand-over CSV"
    )
    _add_db(p)
    p.add_argument("carrier", help="carrier id: sf, zto, yto or jd")
    p.add_argument("--handover", metavar="FILE", help="write the hand-over CSV here instead")
    p.set_defaults(func=_cmd_carrier)


# -- trust program (issue 4) -----------------------------------------------------------
def _cmd_refund_overdue(args: argparse.Namespace) -> int:
    with _opened(_settings(args)) as platform:
        if platform.trust is None:
            raise ValueError("the trust program is not wired on this platform")
        done = platform.trust.returns.refund_overdue(limit=args.limit)
    print(f"refunded {len(done)} approved returns the merchants let lapse")
    return 0


def _cmd_badges(args: argparse.Namespace) -> int:
    with _opened(_settings(args)) as platform:
        try:
            if platform.trust is None:
                raise ValueError("the trust program is not wired on this platform")
            platform.store.get_shop(args.shop_id)
            badges = sorted(platform.trust.badges_of(args.shop_id))
        except MegasaleError as error:
            print(f"megasale: {error.detail}", file=sys.stderr)
            return 1
    print(json.dumps({"shop_id": args.shop_id, "badges": badges}))
    return 0


def _add_trust_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("refund-overdue", help="refund approved returns past the automatic delay")
    _add_db(p)
    p.add_argument("--limit", type=int, default=10_000, help="at most this many (default 10000)")
    p.set_defaults(func=_cmd_refund_overdue)

    p = sub.add_parser("badges", help="print a shop's current trust badges (derived, not stored)")
    _add_db(p)
    p.add_argument("shop_id")
    p.set_defaults(func=_cmd_badges)


def child_checkpoints(args: argparse.Namespace) -> bool:
    """Whether a background command (``stream-detect``, ``fulfilment-worker``) checkpoints the
    WAL: only when started alone. As a child of ``serve`` (``--parent-pid``) it leaves that to
    serve's writers, which copy the same pages anyway; alone, nobody else would."""
    return args.parent_pid is None


def _cmd_stream_detect(args: argparse.Namespace) -> int:
    """Follow the event log and report rings, once this process holds the detector's lock."""
    if args.nice:
        _add_niceness(args.nice)
    orphaned = _orphan_check(args.parent_pid)
    runner, lock_path = detection_runner(_settings(args), checkpoint=child_checkpoints(args))
    with lock_path.open("ab") as lock:
        if not _hold_lock(lock, orphaned):  # another process detects, and our server is gone
            return 0
        print(f"megasale stream-detect: following {args.db}", flush=True)
        while not orphaned():
            if runner.step() < runner.batch:
                time.sleep(runner.poll_s)
    return 0


def _cmd_fulfilment_worker(args: argparse.Namespace) -> int:
    """Dispatch fulfilment for a database, once this process holds its worker's lock."""
    orphaned = _orphan_check(args.parent_pid)
    settings = _settings(args)
    worker, store, lock_path = fulfilment_worker(settings, checkpoint=child_checkpoints(args))
    try:
        with lock_path.open("ab") as lock:
            if not _hold_lock(lock, orphaned):
                return 0
            print(f"megasale fulfilment-worker: dispatching for {args.db}", flush=True)
            worker.run_until(orphaned)
    finally:
        store.close()
    return 0


def _add_niceness(increment: int) -> None:
    """Lower this process's priority by ``increment``, in every thread it has.

    On Linux each thread has a niceness of its own, and threads take their creator's: the pools
    that numeric libraries started at import would keep running at the old one (and the
    detector's passes run in them), so each thread is set, and later ones follow the main one.
    """
    target = min(19, os.nice(0) + increment)
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():  # elsewhere: the process's own niceness
        os.nice(increment)
        return
    for tid in os.listdir(tasks):
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.setpriority(os.PRIO_PROCESS, int(tid), target)


def _orphan_check(parent: int | None) -> Callable[[], bool]:
    """A check of whether this process has lost ``parent``, the server that started it (never,
    if ``None``)."""

    def orphaned() -> bool:
        return parent is not None and os.getppid() != parent

    return orphaned


def _hold_lock(lock: IO[bytes], orphaned: Callable[[], bool]) -> bool:
    """Wait for an exclusive ``flock`` on ``lock`` (another process may hold it for the same
    database); ``False`` if this process was orphaned meanwhile."""
    while True:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if orphaned():
                return False
            time.sleep(1.0)


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

    p = sub.add_parser(
        "stream-detect", help="streaming brushing detection over a database (serve starts it)"
    )
    _add_db(p)
    _add_parent_pid(p)
    p.add_argument(
        "--nice",
        type=_niceness,
        default=0,
        metavar="N",
        help="run at this niceness, 0-19 (serve passes its --detector-nice)",
    )
    p.set_defaults(func=_cmd_stream_detect)

    p = sub.add_parser(
        "fulfilment-worker",
        help="give placed orders their pickup codes and shipments (serve starts it)",
    )
    _add_db(p)
    _add_parent_pid(p)
    p.set_defaults(func=_cmd_fulfilment_worker)

    p = sub.add_parser("create-account", help="open an operator, merchant or clerk account")
    _add_db(p)
    p.add_argument(
        "--role", choices=["operator", "merchant", "clerk", "analyst"], default="operator"
    )
    p.add_argument("--name", required=True)
    p.add_argument("--store-id", default=None, help="the partner store of a clerk")
    p.set_defaults(func=_cmd_account)

    _add_fulfilment_commands(sub)
    _add_trust_commands(sub)
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
