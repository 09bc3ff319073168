-- The trust program (issue 4): real-name checks, program memberships, the deposit ledger,
-- buyer claims, returns and refunds, per-SKU return exclusions, and the search index.
-- Times are integer microseconds UTC; money is fen. Only CREATE ... IF NOT EXISTS here.

-- One row per submission; a shop's current check is its latest. The clear number is never
-- stored: ``digest`` is an HMAC whose key lives outside this file, ``masked`` is for display.
CREATE TABLE IF NOT EXISTS identity_checks (
    check_id     TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops(shop_id),
    kind         TEXT NOT NULL CHECK (kind IN ('resident_id', 'uscc')),
    legal_name   TEXT NOT NULL,
    masked       TEXT NOT NULL,
    digest       BLOB NOT NULL CHECK (length(digest) = 32),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected', 'revoked', 'withdrawn')),
    note         TEXT,
    submitted_at INTEGER NOT NULL,
    decided_at   INTEGER
);
CREATE INDEX IF NOT EXISTS identity_checks_by_shop ON identity_checks(shop_id, submitted_at);
CREATE INDEX IF NOT EXISTS identity_checks_by_digest ON identity_checks(digest);

-- Joining and leaving a program: intervals [joined_at, left_at). At most one open per shop.
CREATE TABLE IF NOT EXISTS trust_memberships (
    shop_id   TEXT NOT NULL REFERENCES shops(shop_id),
    program   TEXT NOT NULL CHECK (program IN ('deposit', 'returns')),
    joined_at INTEGER NOT NULL,
    left_at   INTEGER,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE UNIQUE INDEX IF NOT EXISTS trust_memberships_open
    ON trust_memberships(shop_id, program) WHERE left_at IS NULL;
CREATE INDEX IF NOT EXISTS trust_memberships_by_shop ON trust_memberships(shop_id, program, joined_at);

-- The deposit ledger: double entry, immutable. Balances are sums of entries.
CREATE TABLE IF NOT EXISTS ledger_transactions (
    txn_id   TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    shop_id  TEXT NOT NULL,
    ref      TEXT,
    at       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_entries (
    txn_id  TEXT NOT NULL REFERENCES ledger_transactions(txn_id),
    line_no INTEGER NOT NULL,
    account TEXT NOT NULL,
    fen     INTEGER NOT NULL CHECK (fen <> 0),
    PRIMARY KEY (txn_id, line_no)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_entries_by_account ON ledger_entries(account, fen);
CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a correcting transaction'); END;
CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a correcting transaction'); END;
CREATE TRIGGER IF NOT EXISTS ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger transactions are immutable'); END;
CREATE TRIGGER IF NOT EXISTS ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger transactions are immutable'); END;

-- Buyer claims against a shop's deposit; one open claim per order.
CREATE TABLE IF NOT EXISTS trust_claims (
    claim_id    TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders(order_id),
    buyer_id    TEXT NOT NULL,
    shop_id     TEXT NOT NULL,
    description TEXT NOT NULL,
    asked_fen   INTEGER NOT NULL CHECK (asked_fen > 0),
    status      TEXT NOT NULL CHECK (status IN ('open', 'awarded', 'dismissed')),
    awarded_fen INTEGER NOT NULL DEFAULT 0 CHECK (awarded_fen >= 0),
    txn_id      TEXT REFERENCES ledger_transactions(txn_id),
    note        TEXT,
    filed_at    INTEGER NOT NULL,
    decided_at  INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS trust_claims_one_open
    ON trust_claims(order_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS trust_claims_by_shop ON trust_claims(shop_id, status);

-- Return requests; one open request per order.
CREATE TABLE IF NOT EXISTS trust_returns (
    return_id    TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(order_id),
    buyer_id     TEXT NOT NULL,
    shop_id      TEXT NOT NULL,
    route        TEXT NOT NULL CHECK (route IN ('no_reason', 'merchant_decides')),
    why          TEXT NOT NULL,
    reason       TEXT,
    status       TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'refunded')),
    note         TEXT,
    requested_at INTEGER NOT NULL,
    approved_at  INTEGER,
    closed_at    INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS trust_returns_one_open
    ON trust_returns(order_id) WHERE status IN ('requested', 'approved');
CREATE INDEX IF NOT EXISTS trust_returns_by_shop ON trust_returns(shop_id, status);
CREATE INDEX IF NOT EXISTS trust_returns_due ON trust_returns(status, approved_at);

-- Refunds paid on an order; their sum never exceeds what the buyer paid (guarded on insert).
CREATE TABLE IF NOT EXISTS trust_refunds (
    refund_id TEXT PRIMARY KEY,
    order_id  TEXT NOT NULL REFERENCES orders(order_id),
    return_id TEXT REFERENCES trust_returns(return_id),
    fen       INTEGER NOT NULL CHECK (fen > 0),
    at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS trust_refunds_by_order ON trust_refunds(order_id);

-- Goods the law lets a shop exclude from no-reason returns, set by the merchant per SKU.
CREATE TABLE IF NOT EXISTS sku_return_policies (
    sku_id           TEXT PRIMARY KEY REFERENCES skus(sku_id),
    returnable       INTEGER NOT NULL CHECK (returnable IN (0, 1)),
    exclusion_reason TEXT,
    CHECK ((returnable = 1) = (exclusion_reason IS NULL))
) WITHOUT ROWID;

-- Full-text search over SKU name, category and shop name, kept in step by triggers.
CREATE VIRTUAL TABLE IF NOT EXISTS sku_search USING fts5(
    sku_id UNINDEXED, name, category, shop_name, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS sku_search_on_insert AFTER INSERT ON skus
BEGIN
    INSERT INTO sku_search (sku_id, name, category, shop_name)
    SELECT new.sku_id, new.name, replace(new.category, '_', ' '), s.name
    FROM shops s WHERE s.shop_id = new.shop_id;
END;
CREATE TRIGGER IF NOT EXISTS sku_search_on_rename AFTER UPDATE OF name, category, shop_id ON skus
BEGIN
    DELETE FROM sku_search WHERE sku_id = old.sku_id;
    INSERT INTO sku_search (sku_id, name, category, shop_name)
    SELECT new.sku_id, new.name, replace(new.category, '_', ' '), s.name
    FROM shops s WHERE s.shop_id = new.shop_id;
END;
CREATE TRIGGER IF NOT EXISTS sku_search_on_delete AFTER DELETE ON skus
BEGIN
    DELETE FROM sku_search WHERE sku_id = old.sku_id;
END;
CREATE TRIGGER IF NOT EXISTS sku_search_on_shop_rename AFTER UPDATE OF name ON shops
BEGIN
    UPDATE sku_search SET shop_name = new.name
    WHERE sku_id IN (SELECT sku_id FROM skus WHERE shop_id = new.shop_id);
END;
