"""Which candidate buyers a detection pass must read together: a union-find over their links.

The batch detectors only put two buyers in one ring when something ties them, and the
streaming detector unites buyers along those ties as orders and pickups arrive:

- an identifier value (payment, device, device family, phone, phone block, building, subnet)
  that can link its holders: the shared-identifier detector links a value's holders when
  there are enough of them (``strong_sharers``) or when their mean suspicion reaches
  ``link_suspicion``, which takes at least one suspicious holder (a quick pickup or a young
  account). Until then the value only records its holders; a crowd behind one carrier subnet
  or in one office tower stays apart. A value held by more than ``max_sharers`` buyers links
  nobody in a table that holds them all, so it stops joining holders after ``max_sharers``
  + 1 (a pass that reads the group sees a crowd): a carrier subnet with a few young accounts
  among thousands would otherwise make one group of them all, and every pass would read every
  row of every active buyer behind it. This one errs the other way: the count is over the
  day, and a pass's table holds the window's buyers, so a few suspicious late holders that
  share nothing but a crowded subnet or building are not read together (an IP farm or
  rotator shares a card, a device or a phone, which link at 8, 8 and 3 holders);
- a lockstep cell (the same shop in the same 20-minute wave) shared by two buyers that the
  lockstep detector pairs (three orders or more and a quick pickup).

The shop-side rule weighs a shop's orders together; the streaming detector reads a shop whole
when one of its heavy buyers has news, rather than grouping every buyer of a busy shop.

A group that nothing touched since the last pass keeps the verdict it had, so a pass only
re-reads the groups holding a buyer touched since. Groups only ever merge (a union-find cannot
split), which errs on the side of reading too much. The cells approximate the detector's own
(its grid starts at its table's first order; two grids half a wave apart catch most pairs it
can see), and a ring repeats its waves, so its members meet in many.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping

from megasale.brushing.identity import DEFAULT_MAX_SHARERS
from megasale.brushing.lockstep import DEFAULT_WAVE_MINUTES

__all__ = ["BuyerGroups"]

_MINUTE_US = 60_000_000


class BuyerGroups:
    """Groups of buyer codes joined by what can put them in one ring.

    Parameters
    ----------
    strong_sharers : mapping of str to int
        Per view, the holders of one value that link them whatever their behaviour.
    wave_minutes : float
        The lockstep detector's wave, the width of a cell.
    max_sharers : int
        A value with more holders than this links nobody (the shared-identifier detector's
        own bound): holders after ``max_sharers + 1`` join no group through it.

    Examples
    --------
    >>> groups = BuyerGroups({"payment": 3})
    >>> [groups.add_buyer() for _ in range(4)]
    [0, 1, 2, 3]
    >>> groups.hold(0, "building", "tower 7")
    >>> groups.hold(2, "building", "tower 7")
    >>> groups.find(0) == groups.find(2)  # two honest neighbours: no link yet
    False
    >>> groups.suspect(2)  # a quick pickup
    >>> sorted(groups.members_of([1, 2]))
    [0, 1, 2]

    A value past ``max_sharers`` holders (and the one that made it a crowd) joins no more:

    >>> crowd = BuyerGroups({}, max_sharers=2)
    >>> [crowd.add_buyer() for _ in range(4)]
    [0, 1, 2, 3]
    >>> crowd.suspect(0)
    >>> for buyer in (0, 1, 2, 3):
    ...     crowd.hold(buyer, "subnet", "10.1.2.0/24")
    >>> sorted(crowd.members_of([0])), sorted(crowd.members_of([3]))
    ([0, 1, 2], [3])
    """

    def __init__(
        self,
        strong_sharers: Mapping[str, int],
        wave_minutes: float = DEFAULT_WAVE_MINUTES,
        max_sharers: int = DEFAULT_MAX_SHARERS,
    ) -> None:
        self.strong_sharers = strong_sharers
        self.max_sharers = max_sharers
        self._wave_us = int(wave_minutes * _MINUTE_US)
        self._parent: list[int] = []
        self._members: dict[int, list[int]] = {}  # root -> buyers, groups of two or more only
        self._suspect: list[bool] = []
        self._holders: dict[tuple[str, Hashable], set[int]] = {}
        self._live: set[tuple[str, Hashable]] = set()  # values that may link their holders
        self._held: dict[int, list[tuple[str, Hashable]]] = {}  # buyer -> values not yet live
        self._cells: dict[tuple[int, Hashable, int], int] = {}  # lockstep cell -> first buyer

    def add_buyer(self) -> int:
        """A new buyer, in a group of its own; its code."""
        code = len(self._parent)
        self._parent.append(code)
        self._suspect.append(False)
        return code

    # -- ties ---------------------------------------------------------------------------------
    def hold(self, buyer: int, view: str, value: Hashable) -> None:
        """``buyer`` uses ``value`` of ``view``: grouped with its holders once it may link."""
        key = (view, value)
        holders = self._holders.setdefault(key, set())
        if buyer in holders or len(holders) > self.max_sharers:
            # known, or a crowd: past max_sharers + 1 holders (one more than the detector links
            # through, so that a pass reading them all sees a crowd) it groups nobody more
            return
        holders.add(buyer)
        if key in self._live:
            self.unite(next(iter(holders)), buyer)
        elif self._suspect[buyer] or len(holders) >= self.strong_sharers.get(view, 1 << 40):
            self._go_live(key)
        else:
            self._held.setdefault(buyer, []).append(key)

    def suspect(self, buyer: int) -> None:
        """``buyer`` collected quickly or has a young account: its values may link."""
        if self._suspect[buyer]:
            return
        self._suspect[buyer] = True
        for key in self._held.pop(buyer, ()):
            self._go_live(key)

    def _go_live(self, key: tuple[str, Hashable]) -> None:
        if key in self._live:
            return
        self._live.add(key)
        holders = iter(self._holders[key])
        first = next(holders)
        for other in holders:
            self.unite(first, other)

    def meet(self, buyer: int, shop: Hashable, created: int) -> None:
        """An order of a buyer the lockstep detector pairs: grouped with the others of its
        cells (the shop and wave, in two grids half a wave apart)."""
        cells, wave = self._cells, self._wave_us
        for grid in (0, 1):
            key = (grid, shop, (created + grid * wave // 2) // wave)
            first = cells.setdefault(key, buyer)
            if first != buyer:
                self.unite(first, buyer)

    # -- groups -------------------------------------------------------------------------------
    def find(self, buyer: int) -> int:
        """The root of ``buyer``'s group."""
        parent = self._parent
        while parent[buyer] != buyer:
            parent[buyer] = parent[parent[buyer]]  # path halving
            buyer = parent[buyer]
        return buyer

    def unite(self, a: int, b: int) -> None:
        """Merge the groups of ``a`` and ``b`` (the smaller list moves into the larger)."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        members = self._members
        big = members.pop(a, None) or [a]
        small = members.pop(b, None) or [b]
        if len(big) < len(small):
            a, b, big, small = b, a, small, big
        self._parent[b] = a
        big.extend(small)
        members[a] = big

    def members(self, root: int) -> list[int]:
        """The buyers of the group whose root is ``root``."""
        return self._members.get(root) or [root]

    def members_of(self, buyers: Iterable[int]) -> Iterator[int]:
        """Every buyer of the groups holding ``buyers``, each group once."""
        roots = {self.find(b) for b in buyers}
        for root in roots:
            yield from self.members(root)
