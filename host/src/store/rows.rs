//! Mapping between stored rows and domain records, shared by reads and the writer.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::StoreError;
use crate::domain::invoice::{Finding, Invoice, InvoiceKind, InvoiceStatus};
use crate::domain::money::Fen;
use crate::domain::vat::VatRate;

/// Every invoice column, in the order [`bind_invoice`] binds them.
pub const INVOICE_COLUMNS: &str = "invoice_code, invoice_number, kind, status, issue_date, issued_at, machine_number, \
    dealer_id, prefecture_code, range_id, buyer_name, buyer_id, vehicle_type, brand_model, origin, certificate_number, \
    import_certificate_number, inspection_number, engine_number, vin, total_amount, total_amount_uppercase, vat_rate, \
    vat_amount, price_excluding_vat, seller_name, seller_tax_id, seller_phone, seller_address, seller_bank, \
    seller_account, tax_authority_name, tax_authority_code, tax_payment_voucher_number, tonnage, seating_capacity, \
    issuer, issuer_username, remarks, original_invoice_code, original_invoice_number, credit_invoice_code, \
    credit_invoice_number, voided_at, findings, brand, purchase_tax";

/// Number of columns in [`INVOICE_COLUMNS`].
pub const INVOICE_COLUMN_COUNT: usize = 47;

/// Returns `$1, $2, …, $n`; both backends accept numbered placeholders.
pub fn placeholders(count: usize) -> String {
    (1..=count).map(|index| format!("${index}")).collect::<Vec<_>>().join(", ")
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds every column of `invoice` in [`INVOICE_COLUMNS`] order.
pub fn bind_invoice<'q>(query: AnyQuery<'q>, invoice: &Invoice) -> AnyQuery<'q> {
    let findings = serde_json::to_string(&invoice.findings).expect("findings serialise to JSON");
    query
        .bind(invoice.invoice_code.clone())
        .bind(invoice.invoice_number.clone())
        .bind(invoice.kind.as_str())
        .bind(invoice.status.as_str())
        .bind(invoice.issue_date.to_string())
        .bind(invoice.issued_at.clone())
        .bind(invoice.machine_number.clone())
        .bind(invoice.dealer_id.clone())
        .bind(invoice.prefecture_code.clone())
        .bind(invoice.range_id)
        .bind(invoice.buyer_name.clone())
        .bind(invoice.buyer_id.clone())
        .bind(invoice.vehicle_type.clone())
        .bind(invoice.brand_model.clone())
        .bind(invoice.origin.clone())
        .bind(invoice.certificate_number.clone())
        .bind(invoice.import_certificate_number.clone())
        .bind(invoice.inspection_number.clone())
        .bind(invoice.engine_number.clone())
        .bind(invoice.vin.clone())
        .bind(invoice.total_amount.0)
        .bind(invoice.total_amount_uppercase.clone())
        .bind(i64::from(invoice.vat_rate.basis_points()))
        .bind(invoice.vat_amount.0)
        .bind(invoice.price_excluding_vat.0)
        .bind(invoice.seller_name.clone())
        .bind(invoice.seller_tax_id.clone())
        .bind(invoice.seller_phone.clone())
        .bind(invoice.seller_address.clone())
        .bind(invoice.seller_bank.clone())
        .bind(invoice.seller_account.clone())
        .bind(invoice.tax_authority_name.clone())
        .bind(invoice.tax_authority_code.clone())
        .bind(invoice.tax_payment_voucher_number.clone())
        .bind(invoice.tonnage.clone())
        .bind(invoice.seating_capacity)
        .bind(invoice.issuer.clone())
        .bind(invoice.issuer_username.clone())
        .bind(invoice.remarks.clone())
        .bind(invoice.original_invoice_code.clone())
        .bind(invoice.original_invoice_number.clone())
        .bind(invoice.credit_invoice_code.clone())
        .bind(invoice.credit_invoice_number.clone())
        .bind(invoice.voided_at.clone())
        .bind(findings)
        .bind(invoice.brand.clone())
        .bind(invoice.purchase_tax.0)
}

fn corrupt(column: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("invalid {column} value {value}"))
}

/// Reads an invoice row selected with [`INVOICE_COLUMNS`].
pub fn invoice_from_row(row: &AnyRow) -> Result<Invoice, StoreError> {
    let text = |column: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(column)?) };
    let integer = |column: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(column)?) };

    let kind_text = text("kind")?;
    let status_text = text("status")?;
    let issue_date_text = text("issue_date")?;
    let vat_rate_points = integer("vat_rate")?;
    let findings_text = text("findings")?;

    Ok(Invoice {
        invoice_code: text("invoice_code")?,
        invoice_number: text("invoice_number")?,
        kind: InvoiceKind::parse(&kind_text).ok_or_else(|| corrupt("kind", &kind_text))?,
        status: InvoiceStatus::parse(&status_text).ok_or_else(|| corrupt("status", &status_text))?,
        issue_date: issue_date_text.parse().map_err(|_| corrupt("issue_date", &issue_date_text))?,
        issued_at: text("issued_at")?,
        machine_number: text("machine_number")?,
        dealer_id: text("dealer_id")?,
        prefecture_code: text("prefecture_code")?,
        range_id: integer("range_id")?,
        buyer_name: text("buyer_name")?,
        buyer_id: text("buyer_id")?,
        vehicle_type: text("vehicle_type")?,
        brand_model: text("brand_model")?,
        brand: text("brand")?,
        origin: text("origin")?,
        certificate_number: text("certificate_number")?,
        import_certificate_number: text("import_certificate_number")?,
        inspection_number: text("inspection_number")?,
        engine_number: text("engine_number")?,
        vin: text("vin")?,
        total_amount: Fen(integer("total_amount")?),
        total_amount_uppercase: text("total_amount_uppercase")?,
        vat_rate: u32::try_from(vat_rate_points)
            .ok()
            .and_then(|points| VatRate::from_basis_points(points).ok())
            .ok_or_else(|| corrupt("vat_rate", vat_rate_points))?,
        vat_amount: Fen(integer("vat_amount")?),
        price_excluding_vat: Fen(integer("price_excluding_vat")?),
        purchase_tax: Fen(integer("purchase_tax")?),
        seller_name: text("seller_name")?,
        seller_tax_id: text("seller_tax_id")?,
        seller_phone: text("seller_phone")?,
        seller_address: text("seller_address")?,
        seller_bank: text("seller_bank")?,
        seller_account: text("seller_account")?,
        tax_authority_name: text("tax_authority_name")?,
        tax_authority_code: text("tax_authority_code")?,
        tax_payment_voucher_number: text("tax_payment_voucher_number")?,
        tonnage: text("tonnage")?,
        seating_capacity: row.try_get::<Option<i64>, _>("seating_capacity")?,
        issuer: text("issuer")?,
        issuer_username: text("issuer_username")?,
        remarks: text("remarks")?,
        original_invoice_code: text("original_invoice_code")?,
        original_invoice_number: text("original_invoice_number")?,
        credit_invoice_code: text("credit_invoice_code")?,
        credit_invoice_number: text("credit_invoice_number")?,
        voided_at: text("voided_at")?,
        findings: serde_json::from_str::<Vec<Finding>>(&findings_text).map_err(|_| corrupt("findings", &findings_text))?,
    })
}
