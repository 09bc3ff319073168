"""Where buyers live and stores stand: cities by tier, their districts, and street names.

Tier-1/2 cities hold the big-box partner stores, tier-3/4 towns the small appliance shops. A
buyer's home city decides which stores it can pick up from and what its address reads like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megasale.sim.scenario_types import F64, I64

__all__ = ["DISTRICTS", "ROADS", "Geography", "build_geography"]

_CITIES_BY_TIER: tuple[tuple[str, ...], ...] = (
    ("Beijing", "Shanghai", "Guangzhou", "Shenzhen"),
    (
        "Chengdu", "Hangzhou", "Chongqing", "Wuhan", "Xi'an", "Suzhou", "Tianjin", "Nanjing",
        "Changsha", "Zhengzhou", "Dongguan", "Qingdao", "Shenyang", "Ningbo", "Kunming", "Hefei",
    ),
    (
        "Wuxi", "Foshan", "Xiamen", "Fuzhou", "Jinan", "Dalian", "Harbin", "Changchun",
        "Shijiazhuang", "Nanning", "Guiyang", "Nanchang", "Taiyuan", "Lanzhou", "Wenzhou",
        "Xuzhou", "Yangzhou", "Luoyang", "Mianyang", "Ganzhou",
    ),
    (
        "Zhuji", "Yiwu", "Kunshan", "Jiangyin", "Cixi", "Liuyang", "Jinjiang", "Zhangjiagang",
        "Shouguang", "Renqiu", "Tengzhou", "Xingyi", "Yongkang", "Haining", "Danyang", "Pingdu",
        "Zoucheng", "Lianyuan", "Qianjiang", "Guangshui",
    ),
)  # fmt: skip
_BUYER_SHARE_BY_TIER = (0.26, 0.34, 0.25, 0.15)

DISTRICTS: tuple[str, ...] = (
    "Dongcheng District", "Xicheng District", "Nanshan District", "Beihu District",
    "Zhongshan District", "Gaoxin District", "Jingkai District", "Xinhua District",
    "Qingshan District", "Baiyun District", "Jinshui District", "Yuhua District",
    "Tianhe District", "Wuhou District", "Jiangbei District", "Binhu District",
    "Longgang District", "Xihu District", "Huli District", "Shizhong District",
)  # fmt: skip
ROADS: tuple[str, ...] = (
    "Renmin Road", "Jiefang Road", "Zhongshan Road", "Jianshe Road", "Heping Road",
    "Xinhua Road", "Changjiang Road", "Huanghe Road", "Wenhua Road", "Yingbin Road",
    "Shengli Road", "Dongfeng Road", "Chaoyang Road", "Jinqiao Road", "Kexue Avenue",
    "Century Avenue", "Binjiang Road", "Xueyuan Road", "Gongye Road", "Nanjing Road",
    "Beijing Road", "Hubin Road", "Qingnian Road", "Hongqi Road", "Minzhu Road",
    "Guangming Road", "Xingfu Road", "Fuqiang Road", "Yan'an Road", "Wuyi Road",
)  # fmt: skip
DISTRICTS_PER_CITY = 6


@dataclass(frozen=True, slots=True)
class Geography:
    """The cities of the day; arrays are indexed by city number."""

    names: tuple[str, ...]
    tier: I64
    """1 to 4."""
    buyer_share: F64
    """The share of buyers living in each city; sums to 1."""
    districts: I64
    """``(cities, DISTRICTS_PER_CITY)`` indices into :data:`DISTRICTS`."""

    def __len__(self) -> int:
        return len(self.names)


def build_geography(rng: np.random.Generator) -> Geography:
    """The fixed list of cities, with buyer shares and districts jittered by ``rng``."""
    names: list[str] = []
    tiers: list[int] = []
    shares: list[float] = []
    for tier, cities in enumerate(_CITIES_BY_TIER, start=1):
        jitter = rng.lognormal(0.0, 0.4, size=len(cities))
        tier_share = _BUYER_SHARE_BY_TIER[tier - 1] * jitter / jitter.sum()
        names.extend(cities)
        tiers.extend([tier] * len(cities))
        shares.extend(float(s) for s in tier_share)
    districts = np.stack(
        [
            rng.choice(len(DISTRICTS), size=DISTRICTS_PER_CITY, replace=False)
            for _ in range(len(names))
        ]
    ).astype(np.int64)
    share = np.asarray(shares, dtype=np.float64)
    return Geography(
        names=tuple(names),
        tier=np.asarray(tiers, dtype=np.int64),
        buyer_share=share / share.sum(),
        districts=districts,
    )
