"""The day's catalog: shops, SKUs with list and promo prices, partner stores, the subsidy rule.

Prices are drawn per category and scaled so that an ordinary order, under the day's item
popularity and quantities, is worth ``average_order_fen`` on average: the reference day's
600M yuan over 400k orders. Once the whole day is drawn (rings buy their own favourites), the
prices are scaled once more (:meth:`Catalog.repriced`) so the day's GMV lands on the mark.
Popularity is Zipf-like over SKUs in a random order, so a few hot SKUs take a large share.
A handful of *quiet* shops sell almost nothing to the public: the shops whose owners brush
their own sales, and a few more that only look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from megasale.sim.scenario_geo import Geography
from megasale.sim.scenario_types import F64, I64

__all__ = [
    "CATEGORIES",
    "SUBSIDY_FEN",
    "Catalog",
    "build_catalog",
    "ordinary_quantities",
]

CATEGORIES: Final = ("tv", "air_conditioner", "fridge", "washer", "small_appliance")
SUBSIDY_FEN: Final = np.array([8_000, 10_000, 6_000, 5_000, 2_000], dtype=np.int64)
"""The platform's per-order subsidy by category: 80, 100, 60, 50 and 20 yuan."""
_SKU_SHARE = np.array([0.18, 0.17, 0.17, 0.16, 0.32])
_PRICE_RANGE_YUAN = ((1_800, 9_000), (2_000, 6_500), (1_500, 7_000), (1_200, 4_500), (99, 900))
_SMALL = 4  # index of small appliances: people buy two or three of those at once
_QUANTITY_P = (np.array([0.97, 0.025, 0.005]), np.array([0.85, 0.12, 0.03]))
_MEAN_QUANTITY = tuple(float(np.dot(p, [1, 2, 3])) for p in _QUANTITY_P)
_QUIET_POPULARITY = 0.01

_SYLLABLES = (
    "Hong", "Xing", "Mei", "Da", "Hua", "Kang", "Jia", "Tian", "Yuan", "Sheng", "Li", "Xin",
    "Bao", "Feng", "Long", "Ming", "Rui", "Tai", "Chang", "Jin",
)  # fmt: skip
_SHOP_SUFFIX = ("Appliances", "Electric", "Home Living", "Digital", "Official Store", "Flagship")
_CHAINS = ("Bright Home", "Great Wall Electric", "Star Appliance City", "Sunrise Mall")
_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
_FRANCHISE = "Village Appliance Station"


@dataclass(frozen=True, slots=True)
class Catalog:
    """Shops, SKUs and partner stores; arrays are indexed by shop, SKU or store number."""

    shop_names: tuple[str, ...]
    quiet_shops: I64
    sku_shop: I64
    sku_category: I64
    list_price_fen: I64
    promo_price_fen: I64
    popularity: F64
    """The chance that an ordinary order line is for each SKU; sums to 1."""
    stock: I64
    """Units on offer at T0; zero until :meth:`with_stock`."""
    store_names: tuple[str, ...]
    store_chain: tuple[str, ...]
    store_city: I64
    """Stores are sorted by city; a city's stores are ``city_store_start[c]`` onwards."""
    city_store_start: I64
    city_store_count: I64

    def with_stock(self, rng: np.random.Generator, units_sold: I64) -> Catalog:
        """The catalog with stock that covered the day's sales, plus some left over."""
        spare = np.ceil(units_sold * rng.uniform(0.05, 0.6, len(units_sold))).astype(np.int64)
        return replace(self, stock=units_sold + spare + rng.integers(2, 30, len(units_sold)))

    def repriced(self, factor: float) -> Catalog:
        """Every price times ``factor``, rounded again to end in 9 yuan."""
        promo = _price_points(self.promo_price_fen / 100 * factor)
        listed = np.maximum(_price_points(self.list_price_fen / 100 * factor), promo)
        return replace(self, promo_price_fen=promo * 100, list_price_fen=listed * 100)

    def ordinary_order_fen(self) -> float:
        """What an ordinary order line is worth on average, in fen."""
        return _mean_order_fen(self.popularity, self.promo_price_fen, self.sku_category)

    def subsidy_fen(self, skus: I64) -> I64:
        return SUBSIDY_FEN[self.sku_category[skus]]

    def stores_for(self, rng: np.random.Generator, cities: I64) -> I64:
        """A random partner store in each of ``cities``."""
        count = self.city_store_count[cities]
        return self.city_store_start[cities] + (rng.random(len(cities)) * count).astype(np.int64)

    def skus_of(self, shop: int) -> I64:
        return np.flatnonzero(self.sku_shop == shop).astype(np.int64)


def _mean_order_fen(popularity: F64, price: F64 | I64, category: I64) -> float:
    quantity = np.where(category == _SMALL, _MEAN_QUANTITY[1], _MEAN_QUANTITY[0])
    return float(np.sum(popularity * price * quantity))


def _price_points(yuan: F64) -> I64:
    """Shop prices: whole yuan ending in 9 (1,379 yuan, 99 yuan), at least 9 yuan."""
    return np.maximum(np.round(yuan / 10) * 10 - 1, 9).astype(np.int64)


def ordinary_quantities(rng: np.random.Generator, categories: I64) -> I64:
    """Units per order line: mostly one; two or three now and then, more for small appliances."""
    small = categories == _SMALL
    qty = rng.choice(3, size=len(categories), p=_QUANTITY_P[0]) + 1
    qty[small] = rng.choice(3, size=int(small.sum()), p=_QUANTITY_P[1]) + 1
    return qty.astype(np.int64)


def build_catalog(
    rng: np.random.Generator,
    geography: Geography,
    *,
    shops: int,
    skus: int,
    quiet_shops: int,
    big_box_stores: int,
    small_stores: int,
    popularity_exponent: float,
    average_order_fen: int,
) -> Catalog:
    """A catalog whose ordinary orders average ``average_order_fen``."""
    if quiet_shops * 2 > shops or skus < shops:
        raise ValueError("need at least one SKU per shop and mostly ordinary shops")
    shop_weight = rng.lognormal(0.0, 1.0, shops)
    sku_shop = np.concatenate(
        [np.arange(shops), rng.choice(shops, size=skus - shops, p=shop_weight / shop_weight.sum())]
    ).astype(np.int64)
    sku_category = rng.choice(len(CATEGORIES), size=skus, p=_SKU_SHARE).astype(np.int64)
    low = np.log([r[0] for r in _PRICE_RANGE_YUAN])[sku_category]
    high = np.log([r[1] for r in _PRICE_RANGE_YUAN])[sku_category]
    raw_promo = np.exp(rng.uniform(low, high))
    rank = rng.permutation(skus) + 1
    popularity = 1.0 / rank.astype(np.float64) ** popularity_exponent
    quiet = rng.choice(shops, size=quiet_shops, replace=False).astype(np.int64)
    popularity[np.isin(sku_shop, quiet)] *= _QUIET_POPULARITY
    popularity /= popularity.sum()
    scale = average_order_fen / 100 / _mean_order_fen(popularity, raw_promo, sku_category)
    promo_yuan = _price_points(raw_promo * scale)
    list_yuan = np.maximum(_price_points(promo_yuan / rng.uniform(0.7, 0.95, skus)), promo_yuan)
    stores = _stores(rng, geography, big_box_stores, small_stores)
    return Catalog(
        shop_names=_shop_names(rng, shops),
        quiet_shops=quiet,
        sku_shop=sku_shop,
        sku_category=sku_category,
        list_price_fen=list_yuan * 100,
        promo_price_fen=promo_yuan * 100,
        popularity=popularity,
        stock=np.zeros(skus, dtype=np.int64),
        store_names=stores.names,
        store_chain=stores.chains,
        store_city=stores.city,
        city_store_start=stores.city_start,
        city_store_count=stores.city_count,
    )


def _shop_names(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    names: list[str] = []
    for i in range(n):
        a, b = rng.choice(len(_SYLLABLES), size=2, replace=False)
        suffix = _SHOP_SUFFIX[int(rng.integers(len(_SHOP_SUFFIX)))]
        names.append(f"{_SYLLABLES[a]}{_SYLLABLES[b].lower()} {suffix} {i + 1}")
    return tuple(names)


@dataclass(frozen=True, slots=True)
class _Stores:
    names: tuple[str, ...]
    chains: tuple[str, ...]
    city: I64
    city_start: I64
    city_count: I64


def _stores(rng: np.random.Generator, geography: Geography, big_box: int, small: int) -> _Stores:
    """Big-box stores in tier-1/2 cities, small shops in tier-3/4 towns; every city has one."""
    per_city = np.zeros(len(geography), dtype=np.int64)
    for tiers, total in (((1, 2), big_box), ((3, 4), small)):
        cities = np.flatnonzero(np.isin(geography.tier, tiers))
        if total < len(cities):
            raise ValueError(f"{total} stores cannot cover {len(cities)} cities")
        share = geography.buyer_share[cities] / geography.buyer_share[cities].sum()
        per_city[cities] = 1 + rng.multinomial(total - len(cities), share)
    names: list[str] = []
    chains: list[str] = []
    for number, count in enumerate(per_city.tolist()):
        town = geography.names[number]
        for k in range(1, count + 1):
            if geography.tier[number] <= 2:
                chain = _CHAINS[int(rng.integers(len(_CHAINS)))]
                names.append(f"{chain} {town} #{k}")
            else:
                chain = _FRANCHISE if rng.random() < 0.2 else ""
                owner = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
                names.append(f"{chain or owner + ' Appliances'} {town} #{k}")
            chains.append(chain)
    start = np.concatenate([[0], np.cumsum(per_city)[:-1]]).astype(np.int64)
    city = np.repeat(np.arange(len(geography), dtype=np.int64), per_city)
    return _Stores(tuple(names), tuple(chains), city, start, per_city)
