-- Brushing review: rings, the orders they name, the subsidies they hold, and subsidy payouts.
CREATE TABLE IF NOT EXISTS rings (
    ring_id    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    score      REAL NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('flagged', 'confirmed', 'cleared')),
    flagged_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL DEFAULT 1,
    evidence   BLOB NOT NULL,
    ruled_at   INTEGER,
    ruled_by   TEXT
);
CREATE INDEX IF NOT EXISTS rings_by_status ON rings(status, flagged_at);
CREATE TABLE IF NOT EXISTS ring_orders (
    ring_id  TEXT NOT NULL REFERENCES rings(ring_id),
    order_id TEXT NOT NULL REFERENCES orders(order_id),
    PRIMARY KEY (ring_id, order_id)
) WITHOUT ROWID;
-- One hold per order at most: the first ring that names an unpaid order holds its subsidy.
CREATE TABLE IF NOT EXISTS subsidy_holds (
    order_id TEXT PRIMARY KEY REFERENCES orders(order_id),
    ring_id  TEXT NOT NULL REFERENCES rings(ring_id),
    held_fen INTEGER NOT NULL CHECK (held_fen >= 0),
    status   TEXT NOT NULL CHECK (status IN ('held', 'released', 'forfeited')),
    held_at  INTEGER NOT NULL,
    ruled_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_by_ring ON subsidy_holds(ring_id);
-- A subsidy is paid out to the shop at most once per order.
CREATE TABLE IF NOT EXISTS subsidy_payouts (
    order_id   TEXT PRIMARY KEY REFERENCES orders(order_id),
    shop_id    TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    paid_at    INTEGER NOT NULL
) WITHOUT ROWID;
