"""Rings that share what they cannot cheaply rotate: entity resolution over strong identifiers.

Buyers and identifier values (payment instrument, device, phone, phone block, building, subnet)
form a bipartite graph. A value links its buyers when it is shared by at least
``strong_sharers[view]`` buyers (more than a household shares), or when two or more buyers
share it and their mean behaviour suspicion (fast pickup, young accounts, subsidy share) is at
least ``link_suspicion``. Crowds behind one NAT address or in one office building share a value
but not the behaviour, so they stay apart. Each connected group of ``min_members`` buyers or
more is a ring: an IP farm when its orders come from few subnets, an IP rotator otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from megasale.brushing.behaviour import BuyerBehaviour, buyer_behaviour
from megasale.brushing.evidence import ring_evidence
from megasale.brushing.frame import MISSING, OrderTable, distinct
from megasale.brushing.rings import Ring, RingKind, linked_groups

__all__ = [
    "DEFAULT_MAX_SHARERS",
    "DEFAULT_STRONG_SHARERS",
    "LINK_VIEWS",
    "SharedIdentifierDetector",
]

LINK_VIEWS = ("payment", "device", "device_family", "phone", "phone_block", "building", "subnet")
PERSONAL_VIEWS = frozenset({"payment", "device", "phone"})
"""Views that name one person's thing: sharing one with a ring says more than a neighbourhood."""
DEFAULT_STRONG_SHARERS: Mapping[str, int] = {"payment": 8, "device": 8, "phone": 3}
DEFAULT_MAX_SHARERS = 500
"""Buyers of one value past which it links nobody (a carrier NAT, a campus)."""
_NEVER = 1 << 40


class SharedIdentifierDetector:
    """Find IP farms and IP rotators by the identifiers their accounts share.

    Parameters
    ----------
    views : tuple of str
        Identifier views that may link buyers; views absent from the log are skipped.
    strong_sharers : mapping of str to int, optional
        Per view, the number of buyers sharing one value that links them whatever their
        behaviour. Views not named link only through behaviour.
    max_sharers : int
        Values shared by more buyers than this (carrier NAT, a campus) never link.
    link_suspicion : float
        Mean behaviour suspicion of a value's buyers needed to link them through it.
    member_suspicion : float
        A linked buyer is a member with a strong or personal link (payment, device, phone),
        links through two views, or a quick pickup and at least this suspicion.
    ring_suspicion : float
        A group is a ring only when its members' mean suspicion reaches this: a household
        shares everything but collects days later on old accounts. Not checked when the log
        has neither pickup nor registration times.
    min_members : int
        Smallest ring.
    farm_subnet_ratio : float
        At most this many distinct subnets per member makes the ring an IP farm.

    Attributes
    ----------
    rings_ : list of Ring
        Rings found, highest score first.
    suspicion_ : ndarray
        Behaviour suspicion per buyer code.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(9)], dtype=object),
    ...     created=np.arange(9) * 60_000_000,
    ...     buyer=np.arange(9, dtype=np.int32),
    ...     buyer_names=np.array([f"b{i}" for i in range(9)], dtype=object),
    ...     shop=np.zeros(9, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ...     payment=np.array([0] * 8 + [1], dtype=np.int32),
    ...     names={"payment": np.array(["card-1", "card-2"], dtype=object)},
    ... )
    >>> [ring.members.tolist() for ring in SharedIdentifierDetector().fit(table).rings_]
    [[0, 1, 2, 3, 4, 5, 6, 7]]
    """

    def __init__(
        self,
        views: tuple[str, ...] = LINK_VIEWS,
        strong_sharers: Mapping[str, int] | None = None,
        max_sharers: int = DEFAULT_MAX_SHARERS,
        link_suspicion: float = 0.4,
        member_suspicion: float = 0.25,
        ring_suspicion: float = 0.35,
        min_members: int = 3,
        farm_subnet_ratio: float = 0.5,
    ) -> None:
        self.views = views
        self.strong_sharers = strong_sharers
        self.max_sharers = max_sharers
        self.link_suspicion = link_suspicion
        self.member_suspicion = member_suspicion
        self.ring_suspicion = ring_suspicion
        self.min_members = min_members
        self.farm_subnet_ratio = farm_subnet_ratio

    def fit(
        self, table: OrderTable, y: object = None, behaviour: BuyerBehaviour | None = None
    ) -> SharedIdentifierDetector:
        """Link buyers, group them, keep and score the groups that look like rings.

        ``behaviour`` is :func:`~megasale.brushing.behaviour.buyer_behaviour` of ``table``,
        when the caller already has it (the batch detector computes it once for all).
        """
        strong = DEFAULT_STRONG_SHARERS if self.strong_sharers is None else self.strong_sharers
        behaviour = buyer_behaviour(table) if behaviour is None else behaviour
        suspicion = behaviour.suspicion()
        n_buyers = table.n_buyers
        # Personal evidence for membership: a strong or personal link, links through two views,
        # or a quick pickup. One shared phone block or building alone is a coincidence.
        link_views = np.zeros(n_buyers, dtype=np.int64)
        personal = np.zeros(n_buyers, dtype=bool)
        left: list[npt.NDArray[np.int64]] = []
        right: list[npt.NDArray[np.int64]] = []
        strongly_linked = np.zeros(n_buyers, dtype=bool)
        offset = n_buyers
        for view in self.views:
            codes = getattr(table, view, None)
            if codes is None or table.n_orders == 0:
                continue
            rows = codes != MISSING
            n_values = int(codes.max()) + 1
            # A value on one row has one buyer and links nobody: its rows are left out of the
            # sort of (value, buyer) pairs, which is most of this loop's time.
            rows &= np.bincount(codes[rows], minlength=n_values)[np.maximum(codes, 0)] >= 2
            key = distinct(codes[rows].astype(np.int64) * n_buyers + table.buyer[rows])
            value, buyer = key // n_buyers, key % n_buyers
            sharers = np.bincount(value, minlength=n_values)
            total = np.bincount(value, weights=suspicion[buyer], minlength=n_values)
            mean = total / np.maximum(sharers, 1)
            is_strong = sharers >= strong.get(view, _NEVER)
            links = (sharers >= 2) & (sharers <= self.max_sharers)
            links &= is_strong | (mean >= self.link_suspicion)
            chosen = links[value]
            strongly_linked[buyer[is_strong[value] & chosen]] = True
            linked_here = distinct(buyer[chosen])
            link_views[linked_here] += 1
            if view in PERSONAL_VIEWS:
                personal[linked_here] = True
            left.append(buyer[chosen])
            right.append(value[chosen] + offset)
            offset += n_values
        self.suspicion_ = suspicion
        evidence = strongly_linked | personal | (link_views >= 2)
        evidence |= (behaviour.fast_pickup > 0) & (suspicion >= self.member_suspicion)
        self.rings_ = self._rings(table, left, right, strongly_linked, evidence)
        return self

    def _rings(
        self,
        table: OrderTable,
        left: list[npt.NDArray[np.int64]],
        right: list[npt.NDArray[np.int64]],
        strongly_linked: npt.NDArray[np.bool_],
        evidence: npt.NDArray[np.bool_],
    ) -> list[Ring]:
        if not left:
            return []
        a, b = np.concatenate(left), np.concatenate(right)
        # Number only the values that link someone: a graph over every value of every view
        # is mostly isolated nodes. Buyers keep their codes, so their labels do not change.
        used, b = np.unique(b, return_inverse=True)
        n_nodes = table.n_buyers + used.size
        b = b + table.n_buyers
        labels = linked_groups(n_nodes, a, b)
        n_buyers = table.n_buyers
        linked = np.zeros(n_buyers, dtype=bool)
        linked[a] = True
        member = linked & evidence
        buyer_label = labels[:n_buyers]
        candidates = np.flatnonzero(member)
        sizes = np.bincount(buyer_label[candidates], minlength=labels.max() + 1)
        big = sizes[buyer_label[candidates]] >= self.min_members
        candidates = candidates[big]
        if candidates.size == 0:
            return []
        by_label = np.argsort(buyer_label[candidates], kind="stable")
        groups = np.split(
            candidates[by_label],
            np.flatnonzero(np.diff(buyer_label[candidates][by_label])) + 1,
        )
        judge = table.picked_up is not None or table.registered is not None
        # The rows of every group at once, by group then row: no sort of the whole log.
        group_of = np.full(n_buyers, -1, dtype=np.int64)
        for index, group in enumerate(groups):
            group_of[group] = index
        row_group = group_of[table.buyer]
        in_group = np.flatnonzero(row_group >= 0)
        by_group = in_group[np.argsort(row_group[in_group], kind="stable")]
        bounds = np.searchsorted(row_group[by_group], np.arange(len(groups) + 1))
        rings = []
        for index, group in enumerate(groups):
            members = np.sort(group).astype(np.int32)
            if judge and self.suspicion_[members].mean() < self.ring_suspicion:
                continue
            orders = by_group[bounds[index] : bounds[index + 1]]
            rings.append(self._ring(table, members, orders, strongly_linked))
        rings.sort(key=lambda ring: -ring.score)
        return rings

    def _ring(
        self,
        table: OrderTable,
        members: npt.NDArray[np.int32],
        orders: npt.NDArray[np.int64],
        strongly_linked: npt.NDArray[np.bool_],
    ) -> Ring:
        evidence = ring_evidence(table, orders)
        subnets = evidence.get("distinct_subnets")
        farm = subnets is not None and subnets <= self.farm_subnet_ratio * members.size
        behaviour = float(self.suspicion_[members].mean())
        strong_share = float(strongly_linked[members].mean())
        size_factor = 1.0 - 1.0 / members.size
        score = round(size_factor * max(behaviour, strong_share), 4)
        reasons = [f"shares {view}" for view in evidence["shared"]]
        if behaviour >= self.member_suspicion:
            reasons.append("quick pickups or young accounts")
        kind = RingKind.IP_FARM if farm else RingKind.IP_ROTATOR
        evidence["behaviour_suspicion_mean"] = round(behaviour, 3)
        return Ring(kind, score, members, orders, reasons, evidence)
