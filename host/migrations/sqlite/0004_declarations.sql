-- Purchase-tax declarations (车辆购置税申报): an officer marks an invoice as used in a declaration.
-- One row per invoice. A revoked declaration keeps its row (state 'revoked') so the invoice may be
-- declared again, and the ledger keeps every change.
CREATE TABLE declarations (
    invoice_code        TEXT NOT NULL,
    invoice_number      TEXT NOT NULL,
    declaration_number  TEXT NOT NULL,
    state               TEXT NOT NULL,
    prefecture_code     TEXT NOT NULL,
    taxable_price       INTEGER NOT NULL,
    purchase_tax        INTEGER NOT NULL,
    declared_at         TEXT NOT NULL,
    declared_by         TEXT NOT NULL,
    revoked_at          TEXT NOT NULL,
    revoked_by          TEXT NOT NULL,
    revoke_reason       TEXT NOT NULL,
    PRIMARY KEY (invoice_code, invoice_number),
    FOREIGN KEY (invoice_code, invoice_number) REFERENCES invoices (invoice_code, invoice_number)
);
-- A declaration number names one vehicle's declaration, so it marks at most one invoice at a time.
CREATE UNIQUE INDEX declarations_live_number ON declarations (declaration_number) WHERE state = 'declared';
