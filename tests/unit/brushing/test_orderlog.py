"""Reading the brief's order log: formats, aliases, times, missing values and bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from megasale.brushing import log_times
from megasale.brushing.frame import MISSING, Names, by_shop_and_time
from megasale.brushing.orderlog import OrderLogError, read_order_log, table_from_frames

FULL_HEADER = (
    "order_id,created_at,buyer_id,shop_id,sku_id,quantity,amount_fen,subsidy_fen,ip,device_id,"
    "payment_id,phone,address,pickup_store_id,picked_up_at,buyer_registered_at"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_csv_log_is_read_into_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "orders.csv",
        FULL_HEADER + "\n"
        "o1,2026-11-11T00:00:05+08:00,b1,s1,k1,2,300000,8000,1.2.3.4,d1,p1,13800138000,"
        '"Hangzhou, Xihu District, Wenhua Road No. 1, Building 7, Unit 2, Room 1502",'
        "st1,2026-11-11T00:10:05+08:00,2026-11-01T00:00:00+08:00\n"
        "o2,2026-11-11 00:00:06,b2,s1,k1,1,150000,8000,1.2.3.9,,,,,,,\n",
    )
    table = read_order_log(path)
    assert table.order_ids.tolist() == ["o1", "o2"]
    assert table.created.tolist() == [1_794_326_405_000_000, 1_794_355_206_000_000]
    assert table.quantity is not None and table.quantity.tolist() == [2, 1]
    assert table.gmv_fen() == 450_000 and table.subsidy_total_fen() == 16_000
    assert table.subnet is not None and table.subnet.tolist() == [0, 0]
    assert table.device is not None and table.device.tolist() == [0, -1]
    assert table.picked_up is not None and table.picked_up.tolist() == [
        1_794_327_005_000_000,
        -1,
    ]
    assert table.names["building"].tolist() == [
        "hangzhou, xihu district, wenhua road no. 1, building 7"
    ]


def test_the_shopee_columns_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "shopee.csv",
        "orderid,shopid,userid,event_time\n31076582227611,93950878,30530270,2019-12-27 00:23:03\n",
    )
    table = read_order_log(path)
    assert table.shop_names.tolist() == ["93950878"]
    assert table.buyer_names.tolist() == ["30530270"]
    assert table.sku is None and table.ip is None


def test_times_without_an_offset_are_taken_in_the_local_zone(tmp_path: Path) -> None:
    path = write(
        tmp_path, "o.csv", "order_id,created_at,buyer_id,shop_id\n1,2026-11-11 00:00:00,b,s\n"
    )
    utc = read_order_log(path).created[0]
    shanghai = read_order_log(path, local_timezone="Asia/Shanghai").created[0]
    assert utc - shanghai == 8 * 3_600_000_000


def test_utc_designator_and_fractions_are_understood(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n1,2026-11-11T00:00:00.250Z,b,s\n"
        "2,2026-11-11T08:00:00+0800,b,s\n",
    )
    created = read_order_log(path).created
    assert created[0] - created[1] == 250_000


def test_json_lines_with_numbers_and_blank_lines_are_read(tmp_path: Path) -> None:
    rows = [
        {"order_id": 1, "created_at": "2026-11-11T00:00:00+08:00", "buyer_id": 5, "shop_id": "s"},
        {"order_id": 2, "created_at": "2026-11-11T00:01:00+08:00", "buyer_id": 6, "shop_id": "s",
         "amount_fen": 12300},
    ]  # fmt: skip
    path = write(tmp_path, "o.jsonl", json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n")
    table = read_order_log(path)
    assert table.buyer_names.tolist() == ["5", "6"]
    assert table.amount_fen is not None and table.amount_fen.tolist() == [0, 12300]


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "order_id,created_at,buyer_id\n1,2026-11-11 00:00:00,b\n")
    with pytest.raises(OrderLogError, match=r"o\.csv, line 1, column shop_id: required"):
        read_order_log(path)


def test_an_empty_required_cell_names_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n1,2026-11-11 00:00:00,b,s\n2,2026-11-11 00:00:00,,s\n",
    )
    with pytest.raises(OrderLogError, match=r"line 3, column buyer_id: empty"):
        read_order_log(path)


def test_a_bad_time_names_its_line_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n1,2026-11-11 00:00:00,b,s\n2,11/11/2026,b,s\n",
    )
    with pytest.raises(OrderLogError, match=r"line 3, column created_at: not a time.*11/11/2026"):
        read_order_log(path)


def test_an_impossible_date_is_a_bad_time(tmp_path: Path) -> None:
    path = write(
        tmp_path, "o.csv", "order_id,created_at,buyer_id,shop_id\n1,2026-02-30 00:00:00,b,s\n"
    )
    with pytest.raises(OrderLogError, match="line 2, column created_at"):
        read_order_log(path)


def test_money_must_be_whole_fen(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id,amount_fen\n1,2026-11-11 00:00:00,b,s,12.5\n",
    )
    with pytest.raises(OrderLogError, match=r"line 2, column amount_fen: not a whole number"):
        read_order_log(path)


def test_a_quantity_of_zero_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id,quantity\n1,2026-11-11 00:00:00,b,s,0\n",
    )
    with pytest.raises(OrderLogError, match=r"column quantity"):
        read_order_log(path)


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n1,2026-11-11 00:00:00,b,s\n2,2026-11-11 00:00:00,b,s,x\n",
    )
    with pytest.raises(OrderLogError, match=r"line 3"):
        read_order_log(path)


def test_a_broken_json_line_names_its_line(tmp_path: Path) -> None:
    good = '{"order_id": 1, "created_at": "2026-11-11 00:00:00", "buyer_id": 1, "shop_id": 1}'
    path = write(tmp_path, "o.jsonl", good + "\n\n" + '{"order_id": 2,' + "\n")
    with pytest.raises(OrderLogError, match=r"line 3: not JSON"):
        read_order_log(path)


def test_a_bad_json_row_is_located_past_blank_lines(tmp_path: Path) -> None:
    good = '{"order_id": 1, "created_at": "2026-11-11 00:00:00", "buyer_id": 1, "shop_id": 1}'
    bad = '{"order_id": 2, "created_at": "yesterday", "buyer_id": 1, "shop_id": 1}'
    path = write(tmp_path, "o.jsonl", good + "\n\n\n" + bad + "\n")
    with pytest.raises(OrderLogError, match=r"line 4, column created_at"):
        read_order_log(path)


def test_equal_identifiers_share_a_code_that_names_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n"
        + "".join(f"{i},2026-11-11 00:00:0{i},{b},s\n" for i, b in enumerate("zyzx")),
    )
    table = read_order_log(path)
    assert table.buyer_names[table.buyer].tolist() == ["z", "y", "z", "x"]
    assert sorted(table.buyer_names.tolist()) == ["x", "y", "z"]
    assert np.all(table.shop == 0)


def test_a_table_built_from_columns_in_memory_is_the_table_read_from_the_log(
    tmp_path: Path,
) -> None:
    rows = [
        (
            "o1",
            "2026-11-11T00:00:01+08:00",
            "b1",
            "s1",
            "1.2.3.4",
            "13800138000",
            "A Rd No. 1 Unit 1",
        ),
        ("o2", "2026-11-11T00:00:02+08:00", "b2", "s1", "1.2.3.9", "13800131111", ""),
        ("o3", "2026-11-11T00:00:03+08:00", "b1", "s2", "", "13900000000", "A Rd No. 1 Unit 2"),
    ]
    header = "order_id,created_at,buyer_id,shop_id,ip,phone,address"
    path = write(tmp_path, "o.csv", header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    read = read_order_log(path)
    text = pl.DataFrame(
        {name: [r[i] or None for r in rows] for i, name in enumerate(header.split(","))}
    ).drop("created_at")
    parsed = pl.DataFrame({"created_at": read.created.tolist()})
    built = table_from_frames(text, parsed)
    for view in ("buyer", "shop", "ip", "subnet", "phone", "phone_block", "building"):
        assert getattr(built, view).tolist() == getattr(read, view).tolist()
    assert built.subnet.tolist() == [0, 0, MISSING]
    assert built.building.tolist() == [0, MISSING, 0]
    assert built.names["building"][0] == "a rd no. 1"
    assert built.buyer_names.tolist() == read.buyer_names.tolist()


def test_names_picked_out_lazily_read_like_a_list() -> None:
    column = pl.Series(["x", "y", "z", "y"])
    lazy, eager = Names(column, np.array([2, 0, 1])), Names(["z", "x", "y"])
    assert len(lazy) == 3 and lazy[0] == "z" and lazy[-1] == "y"
    assert lazy[np.array([2, 0])].tolist() == eager[np.array([2, 0])].tolist() == ["y", "z"]
    assert lazy[np.array([True, False, True])].tolist() == ["z", "y"]
    assert lazy.tolist() == eager.tolist() == ["z", "x", "y"]


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), max_size=30),
    st.booleans(),
)
def test_rows_by_shop_and_time_are_the_lexsort(rows: list[tuple[int, int]], wide: bool) -> None:
    shop = np.array([s * (70_000 if wide else 1) for s, _ in rows], dtype=np.int32)
    created = np.array([t for _, t in rows], dtype=np.int64)
    expected = np.lexsort((created, shop)).tolist()
    assert by_shop_and_time(shop, created).tolist() == expected
    in_time = np.argsort(created, kind="stable")
    assert (
        by_shop_and_time(shop[in_time], created[in_time]).tolist()
        == np.lexsort((created[in_time], shop[in_time])).tolist()
    )


def test_a_hash_collision_between_buyers_is_caught_and_they_stay_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import megasale.brushing.orderlog as orderlog

    def everything_collides(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(hashes.size, dtype=np.int32), np.zeros(1, dtype=np.int64)

    monkeypatch.setattr(orderlog, "_hash_ranks", everything_collides)
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n"
        + "".join(f"{i},2026-11-11 00:00:0{i},{b},s\n" for i, b in enumerate("zyzx")),
    )
    table = read_order_log(path)
    assert table.buyer_names[table.buyer].tolist() == ["z", "y", "z", "x"]
    assert table.n_buyers == 3


@settings(deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.integers(0, 3))
def test_codes_are_the_ranks_of_the_hashes_with_their_first_rows(
    values: list[int], shared_high_bits: int
) -> None:
    import megasale.brushing.orderlog as orderlog

    hashes = np.array(values, dtype=np.uint64)
    if shared_high_bits:
        # Distinct hashes with equal high bits: the packed sort alone would misorder them.
        hashes = (hashes % np.uint64(shared_high_bits * 7 + 1)) | np.uint64(0xABC << 50)
    codes, first = orderlog._hash_ranks(hashes)
    _, expected_first, expected_codes = np.unique(hashes, return_index=True, return_inverse=True)
    assert codes.tolist() == expected_codes.tolist()
    assert first.tolist() == expected_first.tolist()


def _times(values: list[str | None]) -> list[int | None]:
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    return frame.select(log_times.aware_time("t"))["t"].to_list()


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 9999),
            st.integers(0, 13),
            st.integers(0, 32),
            st.integers(0, 25),
            st.integers(0, 61),
            st.integers(0, 61),
            st.integers(0, 999),
            st.sampled_from("+-"),
            st.integers(0, 25),
            st.integers(0, 61),
        ),
        max_size=20,
    )
)
def test_usual_times_are_read_as_polars_reads_them_and_the_rest_is_left_to_it(
    parts: list[tuple[int, int, int, int, int, int, int, str, int, int]],
) -> None:
    texts = [
        f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}{sign}{oh:02d}:{om:02d}"
        for y, mo, d, h, mi, s, ms, sign, oh, om in parts
    ]
    texts += ["2026-11-10T20:00:00.000+0800", "2026-11-10 20:00:00.000+08:00", ""]
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    chars = frame.select(log_times.layout_bytes("t"))["t"].to_numpy()
    values, valid = log_times.fixed_width_times(chars)
    expected = _times(texts)
    for value, ok, want in zip(values.tolist(), valid.tolist(), expected, strict=True):
        if ok:
            assert value == want  # never a time polars would refuse or read otherwise
    for (y, *_, s, _ms, _sign, oh, om), ok, want in zip(parts, valid, expected, strict=False):
        if want is not None and y >= 1 and s <= 59 and oh <= 23 and om <= 59:
            assert ok  # every real time in the usual spelling takes the fast path
    assert valid[-3:].tolist() == [False, False, False]


def test_times_polars_reads_but_the_fast_path_refuses_are_still_read(tmp_path: Path) -> None:
    spellings = [
        "2026-11-10T20:00:00.000+08:00",
        "2026-11-10T20:00:00.000+0800",
        "2026-11-10T20:00:00.123456+08:00",
        "2026-11-10T20:00:00Z",
        "2024-02-29T23:59:59.999-05:30",
    ]
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n"
        + "".join(f"o{i},{t},b,s\n" for i, t in enumerate(spellings)),
    )
    table = read_order_log(path)
    expected = _times(spellings)
    expected[3] = _times(["2026-11-10T20:00:00+00:00"])[0]
    assert table.created.tolist() == expected
    assert table.created[1] == table.created[0] == table.created[2] - 123_456


def test_a_day_that_does_not_exist_in_the_usual_spelling_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "order_id,created_at,buyer_id,shop_id\n"
        "o1,2026-02-28T10:00:00.000+08:00,b,s\n"
        "o2,2026-02-29T10:00:00.000+08:00,b,s\n",
    )
    with pytest.raises(OrderLogError, match=r"line 3, column created_at: not a time"):
        read_order_log(path)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint64])
@pytest.mark.parametrize("size", [0, 5, 70_000])
def test_large_integer_arrays_sort_as_numpy_sorts_them(dtype: type, size: int) -> None:
    from megasale.brushing.frame import distinct, sort_integers

    values = np.random.default_rng(size).integers(0, 1_000, size).astype(dtype)
    assert sort_integers(values).tolist() == np.sort(values).tolist()
    assert distinct(values).tolist() == np.unique(values).tolist()


def test_small_pages_switch_numpy_huge_pages_off_until_the_last_block_ends() -> None:
    from megasale.brushing.frame import small_pages

    switch = np._core.multiarray._set_madvise_hugepage
    before = switch(True)
    try:
        with small_pages():
            with small_pages():
                assert switch(False) is False
            assert switch(False) is False
        assert switch(True) is True
    finally:
        switch(before)
