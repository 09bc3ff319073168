-- Fulfilment (issue 5): partner-store details, pickup codes, shipments, carrier events,
-- wrong-code attempts. Times are integer microseconds UTC, as in schema.sql.
CREATE TABLE IF NOT EXISTS partner_store_details (
    store_id      TEXT PRIMARY KEY REFERENCES partner_stores(store_id),
    address       TEXT NOT NULL,
    opening_hours TEXT NOT NULL
);
-- Only what derives and finds a code is kept: the salt (the code is HMAC(key, order, salt))
-- and a keyed hash of the code for lookups. Neither gives the code away without the key.
CREATE TABLE IF NOT EXISTS pickup_codes (
    order_id     TEXT PRIMARY KEY,
    store_id     TEXT NOT NULL,
    salt         TEXT NOT NULL,
    lookup_hash  BLOB NOT NULL UNIQUE,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'collected', 'expired', 'cancelled')),
    placed_at    INTEGER NOT NULL,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    collected_at INTEGER,
    collected_by TEXT
);
CREATE INDEX IF NOT EXISTS pickups_waiting ON pickup_codes(state, store_id, placed_at);
CREATE INDEX IF NOT EXISTS pickups_expiring ON pickup_codes(state, expires_at);
CREATE TABLE IF NOT EXISTS shipments (
    order_id        TEXT PRIMARY KEY,
    carrier_id      TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                    ('awaiting_handover', 'picked_up', 'in_transit', 'delivered', 'failed')),
    placed_at       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    status_at       INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (carrier_id, tracking_number)
);
CREATE INDEX IF NOT EXISTS shipments_by_status ON shipments(status, status_at);
CREATE INDEX IF NOT EXISTS shipments_unshipped ON shipments(status, placed_at);
CREATE INDEX IF NOT EXISTS shipments_handover ON shipments(carrier_id, status, placed_at);
-- Replay protection: a carrier event id is taken once.
CREATE TABLE IF NOT EXISTS carrier_events (
    carrier_id  TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    reported_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (carrier_id, event_id)
) WITHOUT ROWID;
-- Wrong pickup codes, for the sliding-window limits per clerk and per store.
CREATE TABLE IF NOT EXISTS pickup_wrong_codes (
    clerk_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wrong_codes_by_clerk ON pickup_wrong_codes(clerk_id, at);
CREATE INDEX IF NOT EXISTS wrong_codes_by_store ON pickup_wrong_codes(store_id, at);
