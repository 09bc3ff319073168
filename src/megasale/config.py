"""Settings of a megasale process, from the command line or the environment."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_DB", "Settings", "parse_networks"]

DEFAULT_DB = Path("var/megasale.db")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str]) -> tuple[Network, ...]:
    """``--trusted-proxy`` values: addresses or CIDR ranges."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--trusted-proxy {value!r} is not an IP address or range") from None
    return tuple(networks)


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: tuple[Network, ...] = field(default_factory=tuple)
    max_body_bytes: int = 64 * 1024
    workers: int = 1
    #: run the streaming brushing detector beside the API (one process per database does)
    streaming_detection: bool = True
    #: the niceness of that detector's process (``megasale stream-detect --nice``): on a busy
    #: machine the processes that take orders get the cores first, and detection catches up
    #: when the burst has passed (0 to 19; 0 shares them evenly)
    detector_nice: int = 10
    #: run the event-log consumers (live screen, fulfilment worker, refund sweeper, streaming
    #: detection) in this server; ``False`` makes an API-only server for scaling out
    consumers: bool = True
    #: dispatch fulfilment (pickup codes, shipments, expiries) in a child process of its own
    #: (``megasale fulfilment-worker``, one per database, as ``serve`` runs it) instead of a
    #: thread of this process, where it took the interpreter lock from the requests
    fulfilment_process: bool = False
    #: ``"shared"``: one order-writer process writes the orders of every server process, one
    #: included (the default); ``"per-worker"``: each writes its own, taking turns on the
    #: file's lock (with one worker, the whole server is then one process)
    order_writer: str = "shared"
    #: the shared order writer's socket, set for the server processes by ``serve``
    order_writer_address: str | None = None
    #: how long an order writer lets a batch fill while orders are flowing (seconds; 0, the
    #: default: each batch is written as soon as the writer is free). At 5,000 orders/s, 2 ms
    #: took a fifth off the writer's CPU per order and added 4-5 ms to the median; the p99
    #: did not move beyond this machine's noise (docs/benchmarks.md, ninth sitting)
    batch_wait_s: float = 0.0
