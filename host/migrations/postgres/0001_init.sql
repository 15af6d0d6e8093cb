-- Initial schema (PostgreSQL). Money is integer fen; VAT rates are basis points (1300 = 13 %).

CREATE TABLE prefectures (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_2008   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    pilot       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE dealers (
    dealer_id           TEXT PRIMARY KEY,
    prefecture_code     TEXT NOT NULL REFERENCES prefectures(code),
    taxpayer_id         TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    seller_kind         TEXT NOT NULL,
    phone               TEXT NOT NULL DEFAULT '',
    address             TEXT NOT NULL DEFAULT '',
    bank                TEXT NOT NULL DEFAULT '',
    account             TEXT NOT NULL DEFAULT '',
    tax_authority_name  TEXT NOT NULL DEFAULT '',
    tax_authority_code  TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);

CREATE TABLE stock_ranges (
    range_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_code    TEXT NOT NULL,
    start_number    BIGINT NOT NULL,
    end_number      BIGINT NOT NULL,
    next_number     BIGINT NOT NULL,
    dealer_id       TEXT NOT NULL REFERENCES dealers(dealer_id),
    state           TEXT NOT NULL,
    allocated_at    TEXT NOT NULL,
    allocated_by    TEXT NOT NULL,
    CHECK (start_number <= end_number),
    CHECK (next_number >= start_number AND next_number <= end_number + 1)
);
CREATE INDEX stock_ranges_by_dealer ON stock_ranges (dealer_id, state, range_id);
CREATE INDEX stock_ranges_by_code ON stock_ranges (invoice_code, start_number);

CREATE TABLE invoices (
    invoice_code                TEXT NOT NULL,
    invoice_number              TEXT NOT NULL,
    kind                        TEXT NOT NULL,
    status                      TEXT NOT NULL,
    issue_date                  TEXT NOT NULL,
    issued_at                   TEXT NOT NULL,
    machine_number              TEXT NOT NULL,
    dealer_id                   TEXT NOT NULL,
    prefecture_code             TEXT NOT NULL,
    range_id                    BIGINT NOT NULL,
    buyer_name                  TEXT NOT NULL,
    buyer_id                    TEXT NOT NULL,
    vehicle_type                TEXT NOT NULL,
    brand_model                 TEXT NOT NULL,
    origin                      TEXT NOT NULL,
    certificate_number          TEXT NOT NULL,
    import_certificate_number   TEXT NOT NULL,
    inspection_number           TEXT NOT NULL,
    engine_number               TEXT NOT NULL,
    vin                         TEXT NOT NULL,
    total_amount                BIGINT NOT NULL,
    total_amount_uppercase      TEXT NOT NULL,
    vat_rate                    BIGINT NOT NULL,
    vat_amount                  BIGINT NOT NULL,
    price_excluding_vat         BIGINT NOT NULL,
    seller_name                 TEXT NOT NULL,
    seller_tax_id               TEXT NOT NULL,
    seller_phone                TEXT NOT NULL,
    seller_address              TEXT NOT NULL,
    seller_bank                 TEXT NOT NULL,
    seller_account              TEXT NOT NULL,
    tax_authority_name          TEXT NOT NULL,
    tax_authority_code          TEXT NOT NULL,
    tax_payment_voucher_number  TEXT NOT NULL,
    tonnage                     TEXT NOT NULL,
    seating_capacity            BIGINT,
    issuer                      TEXT NOT NULL,
    issuer_username             TEXT NOT NULL,
    remarks                     TEXT NOT NULL,
    original_invoice_code       TEXT NOT NULL,
    original_invoice_number     TEXT NOT NULL,
    credit_invoice_code         TEXT NOT NULL,
    credit_invoice_number       TEXT NOT NULL,
    voided_at                   TEXT NOT NULL,
    findings                    TEXT NOT NULL,
    PRIMARY KEY (invoice_code, invoice_number)
);
CREATE INDEX invoices_by_vin ON invoices (vin);
CREATE INDEX invoices_by_dealer ON invoices (dealer_id, issue_date);
CREATE INDEX invoices_by_prefecture ON invoices (prefecture_code, issue_date);
-- One vehicle, one invoice: at most one live normal invoice per VIN.
CREATE UNIQUE INDEX invoices_one_live_per_vin ON invoices (vin) WHERE kind = 'normal' AND status = 'issued';

CREATE TABLE users (
    username        TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    dealer_id       TEXT,
    prefecture_code TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES users(username),
    created_at  TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    username        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status BIGINT NOT NULL,
    response_body   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (username, idempotency_key)
);

CREATE TABLE ledger (
    seq         BIGINT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX ledger_by_entity ON ledger (entity_key, seq);

-- The newest ledger entry; writers update this row first, which serialises appends.
CREATE TABLE ledger_head (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);
INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
