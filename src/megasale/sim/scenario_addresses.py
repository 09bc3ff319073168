"""Delivery addresses, kept as parts until written out.

An address reads ``"<city>, <district>, <road> No. <n>, Building <b>, Unit <u>, Room <r>"``,
for example ``"Hangzhou, Xihu District, Wenhua Road No. 128, Building 7, Unit 2, Room 1502"``.
Addresses in the same building differ only in unit and room; a household shares one whole
address. Orders refer to an address by its index in the :class:`AddressBook`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megasale.sim.scenario_geo import DISTRICTS, DISTRICTS_PER_CITY, ROADS, Geography
from megasale.sim.scenario_types import I64

__all__ = ["AddressBook", "Building"]


@dataclass(frozen=True, slots=True)
class Building:
    """One building: everything in an address but the unit and room."""

    city: int
    district: int
    road: int
    number: int
    building: int


class AddressBook:
    """An append-only table of addresses; :meth:`add` returns the new rows' indices."""

    _PARTS = ("city", "district", "road", "number", "building", "unit", "room")

    def __init__(self, geography: Geography) -> None:
        self._geography = geography
        self._chunks: dict[str, list[I64]] = {part: [] for part in self._PARTS}
        self._joined: dict[str, I64] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(
        self, city: I64, district: I64, road: I64, number: I64, building: I64, unit: I64, room: I64
    ) -> I64:
        parts = (city, district, road, number, building, unit, room)
        n = len(city)
        for name, values in zip(self._PARTS, parts, strict=True):
            self._chunks[name].append(np.broadcast_to(np.asarray(values, np.int64), n).copy())
        self._joined.clear()
        first = self._size
        self._size += n
        return np.arange(first, self._size, dtype=np.int64)

    def homes(self, rng: np.random.Generator, cities: I64) -> I64:
        """One new random flat in each of ``cities``."""
        n = len(cities)
        district = self._geography.districts[cities, rng.integers(0, DISTRICTS_PER_CITY, n)]
        return self.add(
            cities,
            district,
            rng.integers(0, len(ROADS), n),
            rng.integers(1, 1000, n),
            rng.integers(1, 31, n),
            rng.integers(1, 7, n),
            _rooms(rng, n),
        )

    def building(self, rng: np.random.Generator, city: int) -> Building:
        """A random building in ``city``."""
        return Building(
            city=city,
            district=int(self._geography.districts[city, rng.integers(0, DISTRICTS_PER_CITY)]),
            road=int(rng.integers(0, len(ROADS))),
            number=int(rng.integers(1, 1000)),
            building=int(rng.integers(1, 31)),
        )

    def flats_in(self, rng: np.random.Generator, where: Building, n: int, distinct: bool) -> I64:
        """``n`` flats in one building; ``distinct`` ones never repeat a (unit, room)."""
        if distinct:
            slots = rng.choice(6 * 33 * 4, size=n, replace=False)
            unit = slots % 6 + 1
            room = (slots // 6 % 33 + 1) * 100 + slots // (6 * 33) + 1
        else:
            unit = rng.integers(1, 7, n)
            room = _rooms(rng, n)
        return self.add(
            np.full(n, where.city),
            np.full(n, where.district),
            np.full(n, where.road),
            np.full(n, where.number),
            np.full(n, where.building),
            unit,
            room,
        )

    def column(self, part: str) -> I64:
        if part not in self._joined:
            chunks = self._chunks[part]
            self._joined[part] = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        return self._joined[part]

    def render(self, rows: I64) -> list[str]:
        """The text of the addresses at ``rows``."""
        unique, inverse = np.unique(rows, return_inverse=True)
        geo = self._geography
        parts = [self.column(name)[unique].tolist() for name in self._PARTS]
        texts = [
            f"{geo.names[c]}, {DISTRICTS[d]}, {ROADS[r]} No. {no}, "
            f"Building {b}, Unit {u}, Room {rm}"
            for c, d, r, no, b, u, rm in zip(*parts, strict=True)
        ]
        return [texts[i] for i in inverse.tolist()]


def _rooms(rng: np.random.Generator, n: int) -> I64:
    """Room numbers as on Chinese doors: floor then flat, 101 to 3304."""
    return rng.integers(1, 34, n) * 100 + rng.integers(1, 5, n)
