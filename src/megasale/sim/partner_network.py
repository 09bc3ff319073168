"""The seeded partner-store network of the reference day, generated deterministically.

About 300 big-box stores of the national chains in tier-1/2 cities, and about 2,000 small
appliance shops in tier-3/4 towns, with plausible addresses and opening hours. The same seed
gives the same network byte for byte, so demos and benchmarks agree on store ids.
``megasale import-stores --generated`` loads it; :func:`network_csv` writes it as the CSV that
``import-stores`` reads.
"""

from __future__ import annotations

import csv
import io
import random

from megasale.domain.catalog import PartnerStore
from megasale.domain.fulfilment import STORE_COLUMNS, StoreRecord
from megasale.services.fulfilment import Fulfilment
from megasale.services.ports import Account

__all__ = [
    "BIG_BOX_STORES",
    "SMALL_SHOPS",
    "generate_network",
    "load_partner_network",
    "network_csv",
]

BIG_BOX_STORES = 300
SMALL_SHOPS = 2_000

#: (city, tier, code); tier-1 cities get more stores
_BIG_CITIES = (
    ("Beijing", 1, "bj"), ("Shanghai", 1, "sh"), ("Guangzhou", 1, "gz"), ("Shenzhen", 1, "sz"),
    ("Chengdu", 2, "cd"), ("Hangzhou", 2, "hz"), ("Wuhan", 2, "wh"), ("Xi'an", 2, "xa"),
    ("Chongqing", 2, "cq"), ("Nanjing", 2, "nj"), ("Tianjin", 2, "tj"), ("Suzhou", 2, "su"),
    ("Changsha", 2, "cs"), ("Zhengzhou", 2, "zz"), ("Dongguan", 2, "dg"), ("Qingdao", 2, "qd"),
    ("Shenyang", 2, "sy"), ("Ningbo", 2, "nb"), ("Kunming", 2, "km"), ("Hefei", 2, "hf"),
    ("Foshan", 2, "fs"), ("Wuxi", 2, "wx"), ("Xiamen", 2, "xm"), ("Fuzhou", 2, "fz"),
    ("Jinan", 2, "jn"), ("Dalian", 2, "dl"), ("Harbin", 2, "hb"), ("Changchun", 2, "cc"),
    ("Shijiazhuang", 2, "sj"), ("Nanning", 2, "nn"), ("Guiyang", 2, "gy"), ("Nanchang", 2, "nc"),
)  # fmt: skip
_SMALL_TOWNS = (
    ("Leshan", 3), ("Yibin", 3), ("Mianyang", 3), ("Zigong", 3), ("Luzhou", 3), ("Deyang", 3),
    ("Nanchong", 3), ("Dazhou", 3), ("Suining", 3), ("Neijiang", 3), ("Ganzhou", 3),
    ("Jiujiang", 3), ("Shangrao", 3), ("Yichang", 3), ("Xiangyang", 3), ("Jingzhou", 3),
    ("Hengyang", 3), ("Zhuzhou", 3), ("Yueyang", 3), ("Changde", 3), ("Luoyang", 3),
    ("Nanyang", 3), ("Xinxiang", 3), ("Shangqiu", 3), ("Zhoukou", 3), ("Fuyang", 3),
    ("Bengbu", 3), ("Wuhu", 3), ("Anqing", 3), ("Zunyi", 3), ("Qujing", 3), ("Liuzhou", 3),
    ("Guilin", 3), ("Yulin", 3), ("Baoding", 3), ("Handan", 3), ("Xingtai", 3), ("Cangzhou", 3),
    ("Linyi", 3), ("Jining", 3), ("Heze", 3), ("Weifang", 3), ("Yancheng", 3), ("Huai'an", 3),
    ("Lianyungang", 3), ("Jianyang", 4), ("Emeishan", 4), ("Jiangyou", 4), ("Langzhong", 4),
    ("Renshou", 4), ("Xuanwei", 4), ("Ruijin", 4), ("Jinggangshan", 4), ("Liuyang", 4),
    ("Lengshuijiang", 4), ("Dengzhou", 4), ("Xiangcheng", 4), ("Yongcheng", 4), ("Jieshou", 4),
    ("Tongcheng", 4), ("Renhuai", 4), ("Beiliu", 4), ("Dingzhou", 4), ("Wu'an", 4),
    ("Zoucheng", 4), ("Shouguang", 4), ("Dongtai", 4), ("Pizhou", 4), ("Yiwu", 4),
    ("Zhuji", 4), ("Jinjiang", 4), ("Shishi", 4), ("Puning", 4), ("Xingning", 4),
)  # fmt: skip
_CHAINS = (("Suning", "su"), ("Gome", "gm"), ("JD Mall", "jd"), ("Haier Experience", "he"))
_DISTRICTS = ("Central", "East", "West", "North", "South", "High-Tech Zone", "Old Town", "New Area")
_ROADS = (
    "Renmin Road", "Jiefang Road", "Zhongshan Road", "Jianshe Road", "Heping Street",
    "Xinhua Road", "Changjiang Road", "Chaoyang Street", "Wenhua Road", "Shengli Road",
)  # fmt: skip
_SHOP_WORDS = ("Home Electric", "Appliance House", "Electric World", "Appliance Centre")
_SHOP_PREFIX = ("Xinxing", "Hongda", "Jinyuan", "Fuli", "Anxin", "Huamei", "Lianhe", "Changsheng")


def _hours(rng: random.Random, big: bool) -> str:
    opens = rng.choice((9, 10) if big else (8, 9))
    closes = rng.choice((21, 22) if big else (19, 20, 21))
    return f"{opens:02d}:00-{closes:02d}:{rng.choice(('00', '30'))}"


def generate_network(seed: int = 11) -> list[StoreRecord]:
    """~300 big-box tier-1/2 stores then ~2,000 small tier-3/4 shops, the same for a seed."""
    rng = random.Random(seed)
    records: list[StoreRecord] = []
    weights = [4 if tier == 1 else 1 for _, tier, _ in _BIG_CITIES]
    per_city: dict[str, int] = {}
    for _ in range(BIG_BOX_STORES):
        city, tier, code = rng.choices(_BIG_CITIES, weights)[0]
        chain, chain_code = rng.choice(_CHAINS)
        n = per_city[code] = per_city.get(code, 0) + 1
        district = rng.choice(_DISTRICTS)
        records.append(
            StoreRecord(
                PartnerStore(
                    f"bb-{code}-{chain_code}-{n:03d}",
                    f"{chain} {city} {district}",
                    chain,
                    city,
                    tier,
                ),
                f"{rng.randint(1, 888)} {rng.choice(_ROADS)}, {district} District, {city}",
                _hours(rng, big=True),
            )
        )
    for i in range(SMALL_SHOPS):
        town, tier = rng.choice(_SMALL_TOWNS)
        name = f"{town} {rng.choice(_SHOP_PREFIX)} {rng.choice(_SHOP_WORDS)}"
        records.append(
            StoreRecord(
                PartnerStore(f"ss-{i + 1:05d}", name, "Independent", town, tier),
                f"{rng.randint(1, 300)} {rng.choice(_ROADS)}, {town}",
                _hours(rng, big=False),
            )
        )
    return records


def network_csv(records: list[StoreRecord]) -> str:
    """``records`` as the CSV ``megasale import-stores`` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STORE_COLUMNS)
    for r in records:
        s = r.store
        writer.writerow(
            [s.store_id, s.name, s.chain, s.city, s.city_tier, r.address, r.opening_hours]
        )
    return out.getvalue()


def load_partner_network(fulfilment: Fulfilment, operator: Account, seed: int = 11) -> int:
    """Import the generated network (about 0.1 s): for seeding demos and simulations."""
    return fulfilment.import_stores(operator, network_csv(generate_network(seed)))
