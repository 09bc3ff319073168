"""Lockstep crowds: buyers who share nothing but buy the same items in the same waves, again
and again (the CopyCatch / D-Cube idea, written for order logs).

Each buyer with at least ``min_orders`` orders is a row of a sparse matrix over cells
``(item, wave)``, a wave being a ``wave_minutes`` slot of time. A buyer's cells in one wave are
weighted ``1 / sqrt(items in that wave)``, so two buyers who bought the same basket once score
1 whatever the basket's size: the product of two rows counts the waves the pair bought in
together. A campus buying the same hot items in the same minute scores 1 and is left alone; a
hired crowd repeating its waves scores one per wave. Two time grids half a wave apart catch the
waves that straddle a slot boundary. Pairs with ``min_waves`` or more shared waves are linked,
and each connected group of ``min_members`` buyers or more is a ring.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix, triu

from megasale.brushing.behaviour import BuyerBehaviour, buyer_behaviour
from megasale.brushing.evidence import ring_evidence
from megasale.brushing.frame import OrderTable, distinct, encode
from megasale.brushing.rings import Ring, RingKind, linked_groups
from megasale.brushing.wave_joins import join_all_waves
from megasale.brushing.waves import (
    ShopIndex,
    joinable_rows,
    quick_rows_of,
    wave_list,
)

__all__ = ["DEFAULT_WAVE_MINUTES", "LockstepDetector"]

DEFAULT_WAVE_MINUTES = 20.0

_MINUTE_US = 60_000_000


class LockstepDetector:
    """Find groups of buyers who buy the same items in the same waves, repeatedly.

    Parameters
    ----------
    wave_minutes : float
        Width of a wave slot.
    min_waves : float
        Shared waves that link two buyers who both collected an order quickly.
    core_waves : float
        Shared waves that link two buyers whatever their pickups.
    min_members : int
        Smallest ring.
    min_orders : int
        Buyers with fewer orders are not considered (one-off crowds).
    max_cell_buyers : int
        Cells bought by more considered buyers than this are skipped (hot items at the open).
    cell_by : {"shop", "sku"}
        What a cell's item is. Hired crowds spread over a shop's few target SKUs, so two
        members often pick different SKUs in one wave: the shop keeps them together.
    ring_suspicion : float
        Mean behaviour suspicion (quick pickups, young accounts) a group needs to be a ring;
        not checked when the log has neither pickup nor registration times.
    join_margin_minutes, wave_gap_minutes, join_purity : float
        How a ring's waves are read (bursts of its orders in one shop split by gaps longer
        than ``wave_gap_minutes``, widened by ``join_margin_minutes``) and when a quick
        collector in a wave joins: two waves, or one where the ring's orders are at least
        ``join_purity`` of the shop's orders.
    evidence : bool
        Whether each ring carries its full evidence (shared identifiers, items, shops, pickup
        times, waves). ``False`` keeps only ``shared_waves_median`` and
        ``behaviour_suspicion_mean``, which the score needs: the streaming detector fills the
        rest in for the rings it reports and skips it for the others.

    Attributes
    ----------
    rings_ : list of Ring
        Rings found, highest score first.
    shop_index_ : ShopIndex
        Rows by shop and time, for reading the waves.

    Examples
    --------
    >>> import numpy as np
    >>> from megasale.brushing.frame import OrderTable
    >>> hour = 3_600_000_000
    >>> buyer = np.array([0, 1, 2] * 3 + [3, 4, 3], dtype=np.int32)
    >>> created = np.array([0] * 3 + [hour] * 3 + [2 * hour] * 3 + [0, 0, hour])
    >>> table = OrderTable(
    ...     order_ids=np.array([f"o{i}" for i in range(12)], dtype=object),
    ...     created=created,
    ...     buyer=buyer,
    ...     buyer_names=np.array(["a", "b", "c", "d", "e"], dtype=object),
    ...     shop=np.zeros(12, dtype=np.int32),
    ...     shop_names=np.array(["s"], dtype=object),
    ...     sku=np.zeros(12, dtype=np.int32),
    ...     sku_names=np.array(["fridge"], dtype=object),
    ... )
    >>> [ring.members.tolist() for ring in LockstepDetector().fit(table).rings_]
    [[0, 1, 2]]
    """

    def __init__(
        self,
        wave_minutes: float = DEFAULT_WAVE_MINUTES,
        min_waves: float = 2.2,
        core_waves: float = 2.5,
        min_members: int = 3,
        min_orders: int = 2,
        max_cell_buyers: int = 2000,
        cell_by: str = "shop",
        ring_suspicion: float = 0.3,
        join_margin_minutes: float = 2.0,
        wave_gap_minutes: float = 10.0,
        join_purity: float = 0.5,
        evidence: bool = True,
    ) -> None:
        self.wave_minutes = wave_minutes
        self.min_waves = min_waves
        self.core_waves = core_waves
        self.min_members = min_members
        self.min_orders = min_orders
        self.max_cell_buyers = max_cell_buyers
        self.cell_by = cell_by
        self.ring_suspicion = ring_suspicion
        self.join_margin_minutes = join_margin_minutes
        self.wave_gap_minutes = wave_gap_minutes
        self.join_purity = join_purity
        self.evidence = evidence

    def fit(
        self, table: OrderTable, y: object = None, behaviour: BuyerBehaviour | None = None
    ) -> LockstepDetector:
        """Score buyer pairs by shared waves, link the strong pairs, keep the big groups.

        ``behaviour`` is :func:`~megasale.brushing.behaviour.buyer_behaviour` of ``table``,
        when the caller already has it (the batch detector computes it once for all).
        """
        self.rings_: list[Ring] = []
        if table.n_orders == 0:
            return self
        self.shop_index_ = ShopIndex.of(table)
        item = table.sku if self.cell_by == "sku" and table.sku is not None else table.shop
        behaviour = buyer_behaviour(table) if behaviour is None else behaviour
        suspicion = behaviour.suspicion()
        judge = table.picked_up is not None or table.registered is not None
        considered = np.bincount(table.buyer, minlength=table.n_buyers) >= self.min_orders
        if table.picked_up is not None:
            # Hired crowds collect quickly: only quick collectors are considered, which keeps
            # the crowds of the open (thousands of buyers per shop and slot) out of the pairs.
            considered &= behaviour.fast_pickup > 0
        elif judge:
            considered &= suspicion > 0
        rows = np.flatnonzero(considered[table.buyer])
        if rows.size == 0:
            return self
        buyers, local = np.unique(table.buyer[rows], return_inverse=True)
        width = int(self.wave_minutes * _MINUTE_US)
        start = int(table.created.min())
        # A pair shares at most one wave per slot, so a buyer with fewer slots in shared cells
        # than the lowest link threshold links to nobody: its row is left out of the pair
        # products (the scores of the other pairs do not change).
        least = min(self.min_waves, self.core_waves)
        grids: list[csr_matrix] = []
        shared: csr_matrix | None = None
        wave_rows: list[npt.NDArray[np.int64]] = []
        for shift in (0, width // 2):
            slot = (table.created[rows] - start + shift) // width
            matrix, linkable, cell_rows = self._cells(item[rows], slot, local, buyers.size, least)
            pair = (linkable @ linkable.T).tocsr()
            # Pairs below the lowest link threshold link nobody whatever the other grid says:
            # dropped before the grids are merged (merging the whole products cost 0.1-0.3 s).
            pair.data[pair.data < least] = 0
            pair.eliminate_zeros()
            shared = pair if shared is None else shared.maximum(pair)
            grids.append(matrix)
            wave_rows.append(rows[cell_rows])
        assert shared is not None
        strong = triu(shared, k=1).tocoo()
        # A pair with fewer than ``core_waves`` shared waves links only two quick collectors.
        quick = behaviour.fast_pickup[buyers] > 0
        keep = strong.data >= self.core_waves
        keep |= (strong.data >= self.min_waves) & quick[strong.row] & quick[strong.col]
        labels = linked_groups(buyers.size, strong.row[keep], strong.col[keep])
        linked = np.zeros(buyers.size, dtype=bool)
        linked[strong.row[keep]] = True
        linked[strong.col[keep]] = True
        in_waves = distinct(np.concatenate(wave_rows))
        sizes = np.bincount(labels[linked], minlength=labels.max() + 1)
        home_shop = _main_shop(table, in_waves)
        groups = []
        for label in np.flatnonzero(sizes >= self.min_members).tolist():
            group = np.sort(buyers[(labels == label) & linked]).astype(np.int32)
            for members in _split_by_shop(group, home_shop, self.min_members):
                if not judge or suspicion[members].mean() >= self.ring_suspicion:
                    groups.append(members)
        ring_of = np.full(table.n_buyers, -1, dtype=np.int64)
        for index, members in enumerate(groups):
            ring_of[members] = index
        wave_ring = ring_of[table.buyer[in_waves]]
        by_ring = np.argsort(wave_ring, kind="stable")
        bounds = np.searchsorted(wave_ring[by_ring], np.arange(len(groups) + 1))
        quick_rows = quick_rows_of(table)
        joinable = None
        if quick_rows is not None:
            joinable = joinable_rows(self.shop_index_, table, quick_rows, ring_of)
        closest = _closest_peers(grids, [np.searchsorted(buyers, m) for m in groups])
        rings = [
            (members, np.sort(in_waves[by_ring[bounds[index] : bounds[index + 1]]]))
            for index, members in enumerate(groups)
        ]
        if joinable is not None:
            rings = join_all_waves(
                table,
                self.shop_index_,
                rings,
                joinable,
                self.join_margin_minutes,
                self.wave_gap_minutes,
                self.join_purity,
            )
        for (members, orders), peers in zip(rings, closest, strict=True):
            self.rings_.append(self._ring(table, members, orders, peers, suspicion))
        self.rings_.sort(key=lambda ring: -ring.score)
        return self

    def _cells(
        self,
        item: npt.NDArray[np.int32],
        slot: npt.NDArray[np.int64],
        local: npt.NDArray[np.int64],
        n_buyers: int,
        least: float,
    ) -> tuple[csr_matrix, csr_matrix, npt.NDArray[np.int64]]:
        """One time grid: the weighted buyer x cell matrix, the same without the buyers in
        fewer than ``least`` slots of shared cells, and the rows in shared cells."""
        n_slots = int(slot.max()) + 1
        cell, _ = encode(item.astype(np.int64) * n_slots + slot)
        n_cells = int(cell.max()) + 1
        uniq, first = np.unique(local * n_cells + cell, return_index=True)
        buyer, cell_of = uniq // n_cells, uniq % n_cells
        wave, _ = encode(buyer * n_slots + slot[first])
        per_wave = np.bincount(wave)
        weight = 1.0 / np.sqrt(per_wave[wave])
        size = np.bincount(cell_of)
        busy = (size[cell_of] >= 2) & (size[cell_of] <= self.max_cell_buyers)
        busy_slots = distinct(buyer[busy] * n_slots + slot[first][busy]) // n_slots
        linkable = np.bincount(busy_slots, minlength=n_buyers) + 1e-9 >= least
        shape = (n_buyers, n_cells)
        matrix = csr_matrix((weight[busy], (buyer[busy], cell_of[busy])), shape=shape)
        link = busy & linkable[buyer]
        linkable_matrix = csr_matrix((weight[link], (buyer[link], cell_of[link])), shape=shape)
        in_shared = np.flatnonzero(np.isin(cell, np.flatnonzero(size >= 2)))
        return matrix, linkable_matrix, in_shared

    def _ring(
        self,
        table: OrderTable,
        members: npt.NDArray[np.int32],
        orders: npt.NDArray[np.int64],
        per_member: npt.NDArray[np.float64],
        suspicion: npt.NDArray[np.float64],
    ) -> Ring:
        evidence = ring_evidence(table, orders) if self.evidence else {}
        median = float(np.median(per_member))
        evidence["shared_waves_median"] = round(median, 2)
        if self.evidence:
            evidence["waves"] = wave_list(table, orders, self.wave_minutes)
        behaviour = float(suspicion[members].mean())
        evidence["behaviour_suspicion_mean"] = round(behaviour, 3)
        strength = min(median / (2 * self.min_waves), 1.0)
        score = round((1.0 - 1.0 / members.size) * (0.5 * strength + 0.5 * max(behaviour, 0.5)), 4)
        reasons = [f"bought the same items in {evidence['shared_waves_median']:g} shared waves"]
        return Ring(RingKind.LOCKSTEP, score, members, orders, reasons, evidence)


def _closest_peers(
    grids: list[csr_matrix], cores: list[npt.NDArray[np.int64]]
) -> list[npt.NDArray[np.float64]]:
    """Per group of rows (``cores``, disjoint), the waves each member shares with its closest
    peer in the group: the better of the time grids.

    One product over every group's rows at once rather than one per group (a pass of the
    streaming detector scores a hundred rings); the pairs across groups are dropped. Each
    pair's sum runs over the same cells in the same order as a product of the group alone,
    so the figures are the same to the last bit.
    """
    if not cores:
        return []
    core = np.concatenate(cores)
    group = np.repeat(np.arange(len(cores)), [c.size for c in cores])
    best = np.zeros(core.size, dtype=np.float64)
    for matrix in grids:
        rows = matrix[core]
        # Only the cells these buyers bought in: the product's cost follows the matrix width.
        cells = distinct(rows.indices)
        rows = csr_matrix(
            (rows.data, np.searchsorted(cells, rows.indices), rows.indptr),
            shape=(core.size, cells.size),
        )
        pair = (rows @ rows.T).tocoo()  # by row
        peer = (group[pair.row] == group[pair.col]) & (pair.row != pair.col)
        row, data = pair.row[peer], pair.data[peer]
        if row.size:
            starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
            first = row[starts]
            best[first] = np.maximum(best[first], np.maximum.reduceat(data, starts))
    return np.split(best, np.cumsum([c.size for c in cores])[:-1])


def _split_by_shop(
    members: npt.NDArray[np.int32], home_shop: npt.NDArray[np.int64], min_members: int
) -> list[npt.NDArray[np.int32]]:
    """Split a group by each member's main shop; parts too small stay with the largest.

    Crowds hired for different shops meet by chance in a wave or two, and a few such pairs
    chain them into one group: the shop each member mostly bought from in the waves pulls them
    apart again, which keeps each ring's evidence about one crowd.
    """
    shops, inverse, counts = np.unique(home_shop[members], return_inverse=True, return_counts=True)
    if shops.size == 1:
        return [members]
    big = counts >= min_members
    if not big.any():
        return [members]
    largest = int(np.argmax(counts))
    part = np.where(big[inverse], inverse, largest)
    return [members[part == label] for label in np.flatnonzero(big).tolist()]


def _main_shop(table: OrderTable, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per buyer code, the shop of most of its ``rows`` (-1 for buyers without any)."""
    key = table.buyer[rows].astype(np.int64) * table.n_shops + table.shop[rows]
    pairs, counts = np.unique(key, return_counts=True)
    main = np.full(table.n_buyers, -1, dtype=np.int64)
    if pairs.size == 0:
        return main
    order = np.lexsort((-counts, pairs // table.n_shops))
    pairs = pairs[order]
    first = np.r_[True, pairs[1:] // table.n_shops != pairs[:-1] // table.n_shops]
    main[pairs[first] // table.n_shops] = pairs[first] % table.n_shops
    return main
