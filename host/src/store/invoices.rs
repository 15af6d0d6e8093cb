//! Invoice rows: insert, status changes, lookups and searches.

use chrono::NaiveDate;
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;
use super::rows::{INVOICE_COLUMNS, INVOICE_COLUMN_COUNT, bind_invoice, invoice_from_row, placeholders};
use crate::domain::invoice::Invoice;

pub async fn insert(conn: &mut AnyConnection, invoice: &Invoice) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES ({})", placeholders(INVOICE_COLUMN_COUNT));
    bind_invoice(sqlx::query(&sql), invoice).execute(&mut *conn).await?;
    Ok(())
}

/// Rewrites the mutable columns of an existing invoice (status and the links set by void and credit).
pub async fn update_state(conn: &mut AnyConnection, invoice: &Invoice) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE invoices SET status = $1, voided_at = $2, credit_invoice_code = $3, credit_invoice_number = $4 \
         WHERE invoice_code = $5 AND invoice_number = $6",
    )
    .bind(invoice.status.as_str())
    .bind(invoice.voided_at.clone())
    .bind(invoice.credit_invoice_code.clone())
    .bind(invoice.credit_invoice_number.clone())
    .bind(invoice.invoice_code.clone())
    .bind(invoice.invoice_number.clone())
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() != 1 {
        return Err(StoreError::Corrupt(format!("invoice {}/{} vanished during update", invoice.invoice_code, invoice.invoice_number)));
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, invoice_code: &str, invoice_number: &str) -> Result<Option<Invoice>, StoreError> {
    let row = sqlx::query(&format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE invoice_code = $1 AND invoice_number = $2"))
        .bind(invoice_code.to_string())
        .bind(invoice_number.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(invoice_from_row).transpose()
}

/// Returns the live normal invoice of a VIN, if any (one vehicle, one invoice).
pub async fn live_for_vin(conn: &mut AnyConnection, vin: &str) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT invoice_code, invoice_number FROM invoices WHERE vin = $1 AND kind = 'normal' AND status = 'issued' LIMIT 1",
    )
    .bind(vin.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("invoice_code")?, row.try_get("invoice_number")?))),
        None => Ok(None),
    }
}

/// Search criteria; `None` means "any". Scope fields are set by the caller from the user's role.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub vin: Option<String>,
    pub dealer_id: Option<String>,
    pub prefecture_code: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub struct InvoicePage {
    pub invoices: Vec<Invoice>,
    pub total: i64,
}

/// Returns one page (1-based) of invoices matching `filter`, newest first.
pub async fn search(pool: &AnyPool, filter: &InvoiceFilter, page: i64, page_size: i64) -> Result<InvoicePage, StoreError> {
    let mut conditions = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut add = |condition: &str, value: String| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("${}", values.len())));
    };
    if let Some(vin) = &filter.vin {
        add("vin = ?", vin.clone());
    }
    if let Some(dealer_id) = &filter.dealer_id {
        add("dealer_id = ?", dealer_id.clone());
    }
    if let Some(prefecture_code) = &filter.prefecture_code {
        add("prefecture_code = ?", prefecture_code.clone());
    }
    if let Some(from) = filter.from {
        add("issue_date >= ?", from.to_string());
    }
    if let Some(to) = filter.to {
        add("issue_date <= ?", to.to_string());
    }
    let where_clause = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };

    let count_sql = format!("SELECT COUNT(*) AS total FROM invoices {where_clause}");
    let mut count_query = sqlx::query(&count_sql);
    for value in &values {
        count_query = count_query.bind(value.clone());
    }
    let total: i64 = count_query.fetch_one(pool).await?.try_get("total")?;

    let page_sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices {where_clause} ORDER BY issued_at DESC, invoice_code DESC, invoice_number DESC \
         LIMIT {page_size} OFFSET {}",
        (page - 1) * page_size
    );
    let mut page_query = sqlx::query(&page_sql);
    for value in &values {
        page_query = page_query.bind(value.clone());
    }
    let rows = page_query.fetch_all(pool).await?;
    let invoices = rows.iter().map(invoice_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(InvoicePage { invoices, total })
}

/// Counts the invoices whose numbers came from a range, for `ledger verify`.
pub async fn count_in_range(pool: &AnyPool, range_id: i64) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) AS issued FROM invoices WHERE range_id = $1").bind(range_id).fetch_one(pool).await?;
    Ok(row.try_get("issued")?)
}

/// Returns a prefecture's invoices with issue dates in `from..=to`, by code and number, for the
/// purchase-tax export. Voided and credited invoices are included: the export carries their status.
pub async fn in_period(pool: &AnyPool, prefecture_code: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<Invoice>, StoreError> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE prefecture_code = $1 AND issue_date >= $2 AND issue_date <= $3 \
         ORDER BY invoice_code, invoice_number"
    );
    let rows = sqlx::query(&sql).bind(prefecture_code.to_string()).bind(from.to_string()).bind(to.to_string()).fetch_all(pool).await?;
    rows.iter().map(invoice_from_row).collect()
}
