-- megasale on SQLite. Times are integer microseconds since the Unix epoch, UTC. Money is fen.
-- CHECK constraints are the last line of defence behind the guards inside each write.
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('operator', 'merchant', 'buyer', 'clerk', 'analyst')),
    name       TEXT NOT NULL,
    store_id   TEXT,
    created_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash BLOB PRIMARY KEY,          -- SHA-256 of the bearer token; the token itself is never kept
    account_id TEXT NOT NULL REFERENCES accounts(account_id)
);
CREATE TABLE IF NOT EXISTS shops (
    shop_id     TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES accounts(account_id),
    name        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shops_by_merchant ON shops(merchant_id);
CREATE TABLE IF NOT EXISTS skus (
    sku_id         TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops(shop_id),
    name           TEXT NOT NULL,
    category       TEXT NOT NULL,
    list_price_fen INTEGER NOT NULL CHECK (list_price_fen > 0),
    stock_left     INTEGER NOT NULL CHECK (stock_left >= 0)
);
CREATE INDEX IF NOT EXISTS skus_by_shop ON skus(shop_id);
CREATE TABLE IF NOT EXISTS partner_stores (
    store_id  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    chain     TEXT NOT NULL,
    city      TEXT NOT NULL,
    city_tier INTEGER NOT NULL CHECK (city_tier BETWEEN 1 AND 4)
);
CREATE TABLE IF NOT EXISTS promotions (
    promotion_id              TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    starts_at                 INTEGER NOT NULL,
    ends_at                   INTEGER NOT NULL,
    budget_fen                INTEGER NOT NULL CHECK (budget_fen >= 0),
    budget_left_fen           INTEGER NOT NULL CHECK (budget_left_fen >= 0),
    max_subsidy_per_order_fen INTEGER,
    CHECK (budget_left_fen <= budget_fen)
);
CREATE TABLE IF NOT EXISTS promotion_items (
    promotion_id    TEXT NOT NULL REFERENCES promotions(promotion_id),
    sku_id          TEXT NOT NULL REFERENCES skus(sku_id),
    promo_price_fen INTEGER NOT NULL CHECK (promo_price_fen > 0),
    limit_per_buyer INTEGER NOT NULL CHECK (limit_per_buyer > 0),
    PRIMARY KEY (promotion_id, sku_id)
);
CREATE TABLE IF NOT EXISTS subsidy_rules (
    promotion_id TEXT NOT NULL REFERENCES promotions(promotion_id),
    sku_id       TEXT,
    category     TEXT,
    fen_per_unit INTEGER NOT NULL CHECK (fen_per_unit >= 0),
    CHECK ((sku_id IS NULL) <> (category IS NULL))
);
CREATE TABLE IF NOT EXISTS orders (
    order_id        TEXT PRIMARY KEY,
    buyer_id        TEXT NOT NULL,
    shop_id         TEXT NOT NULL,
    promotion_id    TEXT NOT NULL,
    status          TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    subsidy_fen     INTEGER NOT NULL CHECK (subsidy_fen >= 0 AND subsidy_fen <= amount_fen),
    fulfilment      TEXT NOT NULL CHECK (fulfilment IN ('pickup', 'shipping')),
    pickup_store_id TEXT,
    ship_address    TEXT,
    ip              TEXT NOT NULL,
    device_id       TEXT,
    payment_id      TEXT,
    placed_at       INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    status_at       INTEGER,             -- when the status last changed
    released_at     INTEGER,             -- when stock, subsidy and limit were given back (once)
    received_at     INTEGER              -- when the buyer had the goods (collected or delivered)
);
-- No index by buyer: a buyer's orders are listed through idempotency_keys (its primary key
-- starts with buyer_id, and each row's answer names its order), and each random-keyed index
-- written per order is another page in every commit.
DROP INDEX IF EXISTS orders_by_buyer;
CREATE TABLE IF NOT EXISTS order_lines (
    order_id        TEXT NOT NULL REFERENCES orders(order_id),
    line_no         INTEGER NOT NULL,
    sku_id          TEXT NOT NULL,
    category        TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_fen  INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL,
    subsidy_fen     INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;
-- What the order writer keeps per buyer, in one B-tree keyed by buyer: the idempotency keys it
-- has used (kind 0: `name` is the key, `value` the number of its first answer in `responses`)
-- and the units it has bought per promotion and SKU (kind 1: `name` is the promotion, `sku_id`
-- the SKU, `value` the units, guarded against the item's limit per buyer). Buyers come at
-- random, so each order dirties a leaf page somewhere in this tree, and every page a commit
-- touches is written whole (to the WAL, then again by the checkpoint). A buyer's rows sit
-- together, so an order's key row and its limit rows share one leaf page: in two tables keyed
-- by buyer they dirtied a page in each (2.56 WAL frames per order between them, 1.60 now). The
-- rows are as small as they can be: what the first request under a key was (its body's hash),
-- the order it placed, if any, and the answer byte for byte are appended to `responses` in
-- order instead, many to a page. Read them through the views below.
CREATE TABLE IF NOT EXISTS buyer_rows (
    buyer_id TEXT NOT NULL,
    kind     INTEGER NOT NULL CHECK (kind IN (0, 1)),  -- 0: idempotency key, 1: units bought
    name     TEXT NOT NULL,                            -- the key, or the promotion
    sku_id   TEXT NOT NULL,                            -- '' for a key, or the SKU
    value    INTEGER NOT NULL CHECK (value >= 0),      -- responses.response_id, or units
    PRIMARY KEY (buyer_id, kind, name, sku_id)
) WITHOUT ROWID;
-- (a database from before buyer_rows has tables of these names until it is migrated, and
-- CREATE VIEW IF NOT EXISTS then leaves them be; the migration makes the views)
CREATE VIEW IF NOT EXISTS idempotency_keys (buyer_id, key, response_id) AS
    SELECT buyer_id, name, value FROM buyer_rows WHERE kind = 0;
CREATE VIEW IF NOT EXISTS buyer_limits (promotion_id, buyer_id, sku_id, bought) AS
    SELECT name, buyer_id, sku_id, value FROM buyer_rows WHERE kind = 1;
CREATE TABLE IF NOT EXISTS responses (
    response_id  INTEGER PRIMARY KEY,
    request_hash BLOB NOT NULL,          -- SHA-256 of the first request's body
    order_id     TEXT,                   -- the order it placed, if any
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
-- The outbox: written in the same transaction as the change it tells of. Events are never
-- deleted, so the rowid's max + 1 never reuses a seq; AUTOINCREMENT would only add a page of
-- sqlite_sequence to every commit.
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    payload     BLOB NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    consumer TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL CHECK (seq >= 0)
);
