-- The CTAIS sale record (发票发售) behind a stock range that an import allocated: when and by whom
-- the tax office sold it. Ranges allocated by hand have no row here. Kept apart from stock_ranges
-- so the allocation that the ledger records for every range keeps its fields.
CREATE TABLE stock_distributions (
    range_id            BIGINT PRIMARY KEY REFERENCES stock_ranges (range_id),
    taxpayer_id         TEXT NOT NULL,
    tax_authority_code  TEXT NOT NULL,
    distributed_on      TEXT NOT NULL,
    clerk               TEXT NOT NULL,
    imported_at         TEXT NOT NULL,
    imported_by         TEXT NOT NULL
);
