//! Invoice stock (发票号码段): ranges of numbers under one invoice code, held by one dealer.
//!
//! Numbers are claimed with one conditional UPDATE on the range row, never a max()+1 read, so two
//! writers can never take the same number. Every number of a range ends issued (normal or credit),
//! or unused and returned with the range.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;
use crate::domain::invoice::format_invoice_number;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    Active,
    Exhausted,
    Returned,
}

impl StockState {
    pub fn as_str(self) -> &'static str {
        match self {
            StockState::Active => "active",
            StockState::Exhausted => "exhausted",
            StockState::Returned => "returned",
        }
    }

    fn parse(text: &str) -> Option<StockState> {
        match text {
            "active" => Some(StockState::Active),
            "exhausted" => Some(StockState::Exhausted),
            "returned" => Some(StockState::Returned),
            _ => None,
        }
    }
}

/// Remaining numbers below which the stock views warn the clerk to order more.
pub const LOW_STOCK_THRESHOLD: i64 = 50;

/// Returns the warning shown to a dealer whose remaining numbers run low.
pub fn low_stock_warning(remaining: i64) -> Option<String> {
    (remaining < LOW_STOCK_THRESHOLD).then(|| format!("剩余发票仅 {remaining} 份，请及时向主管税务机关领购"))
}

/// A stored range. Numbers are kept as integers and printed as 8 digits with leading zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockRange {
    pub range_id: i64,
    pub invoice_code: String,
    pub start_number: i64,
    pub end_number: i64,
    pub next_number: i64,
    pub dealer_id: String,
    pub state: StockState,
    pub allocated_at: String,
    pub allocated_by: String,
}

/// A range as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRangeView {
    pub range_id: i64,
    pub invoice_code: String,
    pub start_number: String,
    pub end_number: String,
    pub next_number: String,
    pub remaining: i64,
    pub dealer_id: String,
    pub state: StockState,
    pub allocated_at: String,
}

/// The fields of a range that never change after allocation; the ledger records these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StockAllocation {
    pub range_id: i64,
    pub invoice_code: String,
    pub start_number: i64,
    pub end_number: i64,
    pub dealer_id: String,
    pub allocated_at: String,
    pub allocated_by: String,
}

impl StockRange {
    pub fn entity_key(&self) -> String {
        stock_entity_key(self.range_id)
    }

    pub fn remaining(&self) -> i64 {
        match self.state {
            StockState::Active => self.end_number - self.next_number + 1,
            StockState::Exhausted | StockState::Returned => 0,
        }
    }

    pub fn allocation(&self) -> StockAllocation {
        StockAllocation {
            range_id: self.range_id,
            invoice_code: self.invoice_code.clone(),
            start_number: self.start_number,
            end_number: self.end_number,
            dealer_id: self.dealer_id.clone(),
            allocated_at: self.allocated_at.clone(),
            allocated_by: self.allocated_by.clone(),
        }
    }

    pub fn view(&self) -> StockRangeView {
        StockRangeView {
            range_id: self.range_id,
            invoice_code: self.invoice_code.clone(),
            start_number: format_invoice_number(self.start_number),
            end_number: format_invoice_number(self.end_number),
            next_number: format_invoice_number(self.next_number),
            remaining: self.remaining(),
            dealer_id: self.dealer_id.clone(),
            state: self.state,
            allocated_at: self.allocated_at.clone(),
        }
    }
}

pub fn stock_entity_key(range_id: i64) -> String {
    format!("stock:{range_id}")
}

const COLUMNS: &str = "range_id, invoice_code, start_number, end_number, next_number, dealer_id, state, allocated_at, allocated_by";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StockRange, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(StockRange {
        range_id: row.try_get("range_id")?,
        invoice_code: row.try_get("invoice_code")?,
        start_number: row.try_get("start_number")?,
        end_number: row.try_get("end_number")?,
        next_number: row.try_get("next_number")?,
        dealer_id: row.try_get("dealer_id")?,
        state: StockState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("invalid stock state {state}")))?,
        allocated_at: row.try_get("allocated_at")?,
        allocated_by: row.try_get("allocated_by")?,
    })
}

/// Returns ranges with the same invoice code whose numbers intersect `start..=end`.
pub async fn overlapping(conn: &mut AnyConnection, invoice_code: &str, start: i64, end: i64) -> Result<Vec<StockRange>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM stock_ranges WHERE invoice_code = $1 AND start_number <= $2 AND end_number >= $3 ORDER BY range_id"
    ))
    .bind(invoice_code.to_string())
    .bind(end)
    .bind(start)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Inserts a new active range and returns it with its id.
pub async fn insert(
    conn: &mut AnyConnection,
    invoice_code: &str,
    start: i64,
    end: i64,
    dealer_id: &str,
    allocated_at: &str,
    allocated_by: &str,
) -> Result<StockRange, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO stock_ranges (invoice_code, start_number, end_number, next_number, dealer_id, state, allocated_at, allocated_by) \
         VALUES ($1, $2, $3, $2, $4, 'active', $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(invoice_code.to_string())
    .bind(start)
    .bind(end)
    .bind(dealer_id.to_string())
    .bind(allocated_at.to_string())
    .bind(allocated_by.to_string())
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

/// A number taken from a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedNumber {
    pub range_id: i64,
    pub invoice_code: String,
    pub number: i64,
}

/// Takes the next number of the dealer's oldest active range. Returns None when the dealer has no
/// number left. The UPDATE re-checks the range's state and bound itself. A concurrent writer in
/// another process can therefore make it miss but never double-issue, and a miss is retried.
pub async fn claim_next(conn: &mut AnyConnection, dealer_id: &str) -> Result<Option<ClaimedNumber>, StoreError> {
    for _attempt in 0..8 {
        // One statement picks the oldest active range and takes its next number, so the usual case
        // costs a single round trip to the database.
        let claimed = sqlx::query(
            "UPDATE stock_ranges SET next_number = next_number + 1, \
             state = CASE WHEN next_number + 1 > end_number THEN 'exhausted' ELSE state END \
             WHERE range_id = (SELECT range_id FROM stock_ranges WHERE dealer_id = $1 AND state = 'active' ORDER BY range_id LIMIT 1) \
             AND state = 'active' AND next_number <= end_number \
             RETURNING range_id, invoice_code, next_number - 1 AS claimed_number",
        )
        .bind(dealer_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = claimed {
            return Ok(Some(ClaimedNumber {
                range_id: row.try_get("range_id")?,
                invoice_code: row.try_get("invoice_code")?,
                number: row.try_get("claimed_number")?,
            }));
        }

        let active = sqlx::query("SELECT range_id FROM stock_ranges WHERE dealer_id = $1 AND state = 'active' LIMIT 1")
            .bind(dealer_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        if active.is_none() {
            return Ok(None);
        }
    }
    Err(StoreError::Corrupt(format!("could not claim a number for dealer {dealer_id} after 8 attempts")))
}

pub async fn get(conn: &mut AnyConnection, range_id: i64) -> Result<Option<StockRange>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM stock_ranges WHERE range_id = $1"))
        .bind(range_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks an active range returned (缴销): its unused numbers `next_number..=end_number` are given back.
pub async fn mark_returned(conn: &mut AnyConnection, range_id: i64) -> Result<bool, StoreError> {
    let result = sqlx::query("UPDATE stock_ranges SET state = 'returned' WHERE range_id = $1 AND state = 'active'")
        .bind(range_id)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Lists ranges, optionally of one dealer.
pub async fn list(pool: &AnyPool, dealer_id: Option<&str>) -> Result<Vec<StockRange>, StoreError> {
    let rows = match dealer_id {
        Some(dealer_id) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM stock_ranges WHERE dealer_id = $1 ORDER BY range_id"))
                .bind(dealer_id.to_string())
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query(&format!("SELECT {COLUMNS} FROM stock_ranges ORDER BY range_id")).fetch_all(pool).await?,
    };
    rows.iter().map(from_row).collect()
}
