-- Statistical reports (SQLite): the brand and purchase tax of each invoice, and daily and monthly
-- totals that triggers keep exact on every write to `invoices`, so reports never scan the invoices.
-- Reports read whole months from the monthly table and the days of a partial month from the daily one.
--
-- What an invoice contributes to the totals:
-- - a normal invoice adds 1 to invoice_count and its amounts, also after it is credited;
-- - a credit (红字) invoice adds 1 to credit_count and its amounts, which are negative, on its own
--   issue date, so the sale is cancelled in the month of the credit;
-- - a voided invoice contributes nothing; voiding removes what the invoice had added.

-- 品牌: the part of 厂牌型号 before 牌 ("大众汽车牌SVW71617BM" is 大众汽车); without 牌, the part
-- before the first space. The host computes it the same way (domain::invoice::brand_of) when it issues.
ALTER TABLE invoices ADD COLUMN brand TEXT NOT NULL DEFAULT '';
-- 车辆购置税应纳税额 in fen, from the prefecture's `purchase_tax` rule at issue; negative on credit invoices.
-- TODO: rows issued before this migration keep 0 here; recompute them with the rules of their issue date.
ALTER TABLE invoices ADD COLUMN purchase_tax INTEGER NOT NULL DEFAULT 0;

UPDATE invoices SET brand = CASE
    WHEN instr(brand_model, '牌') > 0 THEN trim(substr(brand_model, 1, instr(brand_model, '牌') - 1))
    WHEN instr(trim(brand_model), ' ') > 0 THEN substr(trim(brand_model), 1, instr(trim(brand_model), ' ') - 1)
    ELSE trim(brand_model)
END;

CREATE TABLE invoice_daily_totals (
    issue_date          TEXT NOT NULL,
    prefecture_code     TEXT NOT NULL,
    dealer_id           TEXT NOT NULL,
    brand               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    invoice_count       INTEGER NOT NULL,
    credit_count        INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    vat_amount          INTEGER NOT NULL,
    price_excluding_vat INTEGER NOT NULL,
    purchase_tax        INTEGER NOT NULL,
    PRIMARY KEY (issue_date, prefecture_code, dealer_id, brand, vehicle_type)
) WITHOUT ROWID; -- stored in key order, so a date range is one sequential read
CREATE INDEX invoice_daily_totals_by_prefecture ON invoice_daily_totals (prefecture_code, issue_date);

CREATE TABLE invoice_monthly_totals (
    issue_month         TEXT NOT NULL, -- YYYY-MM
    prefecture_code     TEXT NOT NULL,
    dealer_id           TEXT NOT NULL,
    brand               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    invoice_count       INTEGER NOT NULL,
    credit_count        INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    vat_amount          INTEGER NOT NULL,
    price_excluding_vat INTEGER NOT NULL,
    purchase_tax        INTEGER NOT NULL,
    PRIMARY KEY (issue_month, prefecture_code, dealer_id, brand, vehicle_type)
) WITHOUT ROWID;
CREATE INDEX invoice_monthly_totals_by_prefecture ON invoice_monthly_totals (prefecture_code, issue_month);

INSERT INTO invoice_daily_totals
SELECT issue_date, prefecture_code, dealer_id, brand, vehicle_type,
       SUM(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END), SUM(CASE WHEN kind = 'credit' THEN 1 ELSE 0 END),
       SUM(total_amount), SUM(vat_amount), SUM(price_excluding_vat), SUM(purchase_tax)
FROM invoices
WHERE status <> 'voided'
GROUP BY issue_date, prefecture_code, dealer_id, brand, vehicle_type;

INSERT INTO invoice_monthly_totals
SELECT substr(issue_date, 1, 7), prefecture_code, dealer_id, brand, vehicle_type,
       SUM(invoice_count), SUM(credit_count), SUM(total_amount), SUM(vat_amount), SUM(price_excluding_vat), SUM(purchase_tax)
FROM invoice_daily_totals
GROUP BY substr(issue_date, 1, 7), prefecture_code, dealer_id, brand, vehicle_type;

CREATE TRIGGER invoices_daily_totals_insert AFTER INSERT ON invoices
WHEN NEW.status <> 'voided'
BEGIN
    INSERT INTO invoice_daily_totals VALUES (
        NEW.issue_date, NEW.prefecture_code, NEW.dealer_id, NEW.brand, NEW.vehicle_type,
        CASE WHEN NEW.kind = 'credit' THEN 0 ELSE 1 END, CASE WHEN NEW.kind = 'credit' THEN 1 ELSE 0 END,
        NEW.total_amount, NEW.vat_amount, NEW.price_excluding_vat, NEW.purchase_tax)
    ON CONFLICT (issue_date, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
    INSERT INTO invoice_monthly_totals VALUES (
        substr(NEW.issue_date, 1, 7), NEW.prefecture_code, NEW.dealer_id, NEW.brand, NEW.vehicle_type,
        CASE WHEN NEW.kind = 'credit' THEN 0 ELSE 1 END, CASE WHEN NEW.kind = 'credit' THEN 1 ELSE 0 END,
        NEW.total_amount, NEW.vat_amount, NEW.price_excluding_vat, NEW.purchase_tax)
    ON CONFLICT (issue_month, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
END;

-- An update takes the old contribution out and puts the new one in. The WHEN clauses skip updates
-- that change nothing the totals depend on, such as issued -> credited.
CREATE TRIGGER invoices_daily_totals_update_old AFTER UPDATE ON invoices
WHEN OLD.status <> 'voided' AND (
    NEW.status = 'voided' OR OLD.kind IS NOT NEW.kind OR OLD.issue_date IS NOT NEW.issue_date
    OR OLD.prefecture_code IS NOT NEW.prefecture_code OR OLD.dealer_id IS NOT NEW.dealer_id OR OLD.brand IS NOT NEW.brand
    OR OLD.vehicle_type IS NOT NEW.vehicle_type OR OLD.total_amount IS NOT NEW.total_amount OR OLD.vat_amount IS NOT NEW.vat_amount
    OR OLD.price_excluding_vat IS NOT NEW.price_excluding_vat OR OLD.purchase_tax IS NOT NEW.purchase_tax)
BEGIN
    INSERT INTO invoice_daily_totals VALUES (
        OLD.issue_date, OLD.prefecture_code, OLD.dealer_id, OLD.brand, OLD.vehicle_type,
        CASE WHEN OLD.kind = 'credit' THEN 0 ELSE -1 END, CASE WHEN OLD.kind = 'credit' THEN -1 ELSE 0 END,
        -OLD.total_amount, -OLD.vat_amount, -OLD.price_excluding_vat, -OLD.purchase_tax)
    ON CONFLICT (issue_date, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
    INSERT INTO invoice_monthly_totals VALUES (
        substr(OLD.issue_date, 1, 7), OLD.prefecture_code, OLD.dealer_id, OLD.brand, OLD.vehicle_type,
        CASE WHEN OLD.kind = 'credit' THEN 0 ELSE -1 END, CASE WHEN OLD.kind = 'credit' THEN -1 ELSE 0 END,
        -OLD.total_amount, -OLD.vat_amount, -OLD.price_excluding_vat, -OLD.purchase_tax)
    ON CONFLICT (issue_month, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
END;

CREATE TRIGGER invoices_daily_totals_update_new AFTER UPDATE ON invoices
WHEN NEW.status <> 'voided' AND (
    OLD.status = 'voided' OR OLD.kind IS NOT NEW.kind OR OLD.issue_date IS NOT NEW.issue_date
    OR OLD.prefecture_code IS NOT NEW.prefecture_code OR OLD.dealer_id IS NOT NEW.dealer_id OR OLD.brand IS NOT NEW.brand
    OR OLD.vehicle_type IS NOT NEW.vehicle_type OR OLD.total_amount IS NOT NEW.total_amount OR OLD.vat_amount IS NOT NEW.vat_amount
    OR OLD.price_excluding_vat IS NOT NEW.price_excluding_vat OR OLD.purchase_tax IS NOT NEW.purchase_tax)
BEGIN
    INSERT INTO invoice_daily_totals VALUES (
        NEW.issue_date, NEW.prefecture_code, NEW.dealer_id, NEW.brand, NEW.vehicle_type,
        CASE WHEN NEW.kind = 'credit' THEN 0 ELSE 1 END, CASE WHEN NEW.kind = 'credit' THEN 1 ELSE 0 END,
        NEW.total_amount, NEW.vat_amount, NEW.price_excluding_vat, NEW.purchase_tax)
    ON CONFLICT (issue_date, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
    INSERT INTO invoice_monthly_totals VALUES (
        substr(NEW.issue_date, 1, 7), NEW.prefecture_code, NEW.dealer_id, NEW.brand, NEW.vehicle_type,
        CASE WHEN NEW.kind = 'credit' THEN 0 ELSE 1 END, CASE WHEN NEW.kind = 'credit' THEN 1 ELSE 0 END,
        NEW.total_amount, NEW.vat_amount, NEW.price_excluding_vat, NEW.purchase_tax)
    ON CONFLICT (issue_month, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
END;

CREATE TRIGGER invoices_daily_totals_delete AFTER DELETE ON invoices
WHEN OLD.status <> 'voided'
BEGIN
    INSERT INTO invoice_daily_totals VALUES (
        OLD.issue_date, OLD.prefecture_code, OLD.dealer_id, OLD.brand, OLD.vehicle_type,
        CASE WHEN OLD.kind = 'credit' THEN 0 ELSE -1 END, CASE WHEN OLD.kind = 'credit' THEN -1 ELSE 0 END,
        -OLD.total_amount, -OLD.vat_amount, -OLD.price_excluding_vat, -OLD.purchase_tax)
    ON CONFLICT (issue_date, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
    INSERT INTO invoice_monthly_totals VALUES (
        substr(OLD.issue_date, 1, 7), OLD.prefecture_code, OLD.dealer_id, OLD.brand, OLD.vehicle_type,
        CASE WHEN OLD.kind = 'credit' THEN 0 ELSE -1 END, CASE WHEN OLD.kind = 'credit' THEN -1 ELSE 0 END,
        -OLD.total_amount, -OLD.vat_amount, -OLD.price_excluding_vat, -OLD.purchase_tax)
    ON CONFLICT (issue_month, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        credit_count = credit_count + excluded.credit_count,
        total_amount = total_amount + excluded.total_amount,
        vat_amount = vat_amount + excluded.vat_amount,
        price_excluding_vat = price_excluding_vat + excluded.price_excluding_vat,
        purchase_tax = purchase_tax + excluded.purchase_tax;
END;
