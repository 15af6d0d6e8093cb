-- Statistical reports (PostgreSQL): the brand and purchase tax of each invoice, and daily and
-- monthly totals that a trigger keeps exact on every write to `invoices`, so reports never scan the
-- invoices. Reports read whole months from the monthly table and partial months from the daily one.
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
ALTER TABLE invoices ADD COLUMN purchase_tax BIGINT NOT NULL DEFAULT 0;

UPDATE invoices SET brand = CASE
    WHEN strpos(brand_model, '牌') > 0 THEN btrim(substr(brand_model, 1, strpos(brand_model, '牌') - 1), ' ')
    WHEN strpos(btrim(brand_model, ' '), ' ') > 0 THEN split_part(btrim(brand_model, ' '), ' ', 1)
    ELSE btrim(brand_model, ' ')
END;

CREATE TABLE invoice_daily_totals (
    issue_date          TEXT NOT NULL,
    prefecture_code     TEXT NOT NULL,
    dealer_id           TEXT NOT NULL,
    brand               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    invoice_count       BIGINT NOT NULL,
    credit_count        BIGINT NOT NULL,
    total_amount        BIGINT NOT NULL,
    vat_amount          BIGINT NOT NULL,
    price_excluding_vat BIGINT NOT NULL,
    purchase_tax        BIGINT NOT NULL,
    PRIMARY KEY (issue_date, prefecture_code, dealer_id, brand, vehicle_type)
);
CREATE INDEX invoice_daily_totals_by_prefecture ON invoice_daily_totals (prefecture_code, issue_date);

CREATE TABLE invoice_monthly_totals (
    issue_month         TEXT NOT NULL, -- YYYY-MM
    prefecture_code     TEXT NOT NULL,
    dealer_id           TEXT NOT NULL,
    brand               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    invoice_count       BIGINT NOT NULL,
    credit_count        BIGINT NOT NULL,
    total_amount        BIGINT NOT NULL,
    vat_amount          BIGINT NOT NULL,
    price_excluding_vat BIGINT NOT NULL,
    purchase_tax        BIGINT NOT NULL,
    PRIMARY KEY (issue_month, prefecture_code, dealer_id, brand, vehicle_type)
);
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

-- Adds one invoice's contribution to both tables, times `sign` (1 to add, -1 to take it out).
CREATE FUNCTION invoice_totals_add(invoice invoices, sign BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    normal_delta BIGINT := CASE WHEN invoice.kind = 'credit' THEN 0 ELSE sign END;
    credit_delta BIGINT := CASE WHEN invoice.kind = 'credit' THEN sign ELSE 0 END;
BEGIN
    INSERT INTO invoice_daily_totals VALUES (
        invoice.issue_date, invoice.prefecture_code, invoice.dealer_id, invoice.brand, invoice.vehicle_type,
        normal_delta, credit_delta,
        sign * invoice.total_amount, sign * invoice.vat_amount, sign * invoice.price_excluding_vat, sign * invoice.purchase_tax)
    ON CONFLICT (issue_date, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_daily_totals.invoice_count + EXCLUDED.invoice_count,
        credit_count = invoice_daily_totals.credit_count + EXCLUDED.credit_count,
        total_amount = invoice_daily_totals.total_amount + EXCLUDED.total_amount,
        vat_amount = invoice_daily_totals.vat_amount + EXCLUDED.vat_amount,
        price_excluding_vat = invoice_daily_totals.price_excluding_vat + EXCLUDED.price_excluding_vat,
        purchase_tax = invoice_daily_totals.purchase_tax + EXCLUDED.purchase_tax;
    INSERT INTO invoice_monthly_totals VALUES (
        substr(invoice.issue_date, 1, 7), invoice.prefecture_code, invoice.dealer_id, invoice.brand, invoice.vehicle_type,
        normal_delta, credit_delta,
        sign * invoice.total_amount, sign * invoice.vat_amount, sign * invoice.price_excluding_vat, sign * invoice.purchase_tax)
    ON CONFLICT (issue_month, prefecture_code, dealer_id, brand, vehicle_type) DO UPDATE SET
        invoice_count = invoice_monthly_totals.invoice_count + EXCLUDED.invoice_count,
        credit_count = invoice_monthly_totals.credit_count + EXCLUDED.credit_count,
        total_amount = invoice_monthly_totals.total_amount + EXCLUDED.total_amount,
        vat_amount = invoice_monthly_totals.vat_amount + EXCLUDED.vat_amount,
        price_excluding_vat = invoice_monthly_totals.price_excluding_vat + EXCLUDED.price_excluding_vat,
        purchase_tax = invoice_monthly_totals.purchase_tax + EXCLUDED.purchase_tax;
END;
$$;

-- An update takes the old contribution out and puts the new one in, unless it changes nothing the
-- totals depend on, such as issued -> credited.
CREATE FUNCTION invoices_maintain_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND (OLD.status = 'voided') = (NEW.status = 'voided')
        AND (OLD.kind, OLD.issue_date, OLD.prefecture_code, OLD.dealer_id, OLD.brand, OLD.vehicle_type,
             OLD.total_amount, OLD.vat_amount, OLD.price_excluding_vat, OLD.purchase_tax)
            IS NOT DISTINCT FROM
            (NEW.kind, NEW.issue_date, NEW.prefecture_code, NEW.dealer_id, NEW.brand, NEW.vehicle_type,
             NEW.total_amount, NEW.vat_amount, NEW.price_excluding_vat, NEW.purchase_tax) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.status <> 'voided' THEN
            PERFORM invoice_totals_add(OLD, -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.status <> 'voided' THEN
            PERFORM invoice_totals_add(NEW, 1);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER invoices_totals AFTER INSERT OR UPDATE OR DELETE ON invoices
FOR EACH ROW EXECUTE FUNCTION invoices_maintain_totals();
