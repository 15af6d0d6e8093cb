-- Data received from CTAIS (中国税收征管信息系统) through a prefecture's CTAIS adapter (sqlite).

-- Taxpayer registrations become dealers. Columns stay NULL for dealers registered by hand, and
-- source tells where the row came from: 'manual' (mvis dealer add, the API) or 'ctais'.
ALTER TABLE dealers ADD COLUMN registration_status TEXT;
ALTER TABLE dealers ADD COLUMN registered_on TEXT;
ALTER TABLE dealers ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';

-- Certificates of conformity (机动车整车出厂合格证), one per vehicle, for comparing invoices with
-- the manufacturer's data. Dates are YYYY-MM-DD; tonnage is a decimal string, '' when not given.
CREATE TABLE conformity_certificates (
    vin                 TEXT PRIMARY KEY,
    certificate_number  TEXT NOT NULL UNIQUE,
    brand_model         TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    engine_number       TEXT NOT NULL,
    manufacturer_name   TEXT NOT NULL,
    production_date     TEXT NOT NULL,
    issued_on           TEXT NOT NULL,
    tonnage             TEXT NOT NULL,
    seating_capacity    INTEGER,
    prefecture_code     TEXT NOT NULL,
    imported_at         TEXT NOT NULL,
    imported_by         TEXT NOT NULL
);
