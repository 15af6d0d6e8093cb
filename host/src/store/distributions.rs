//! Stock sale records (发票发售) imported from CTAIS: the date, the selling officer and the tax
//! office behind a stock range that an import allocated.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

/// One imported sale record; its serialised form is what the ledger hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDistribution {
    pub range_id: i64,
    pub taxpayer_id: String,
    pub tax_authority_code: String,
    /// 发售日期, YYYY-MM-DD.
    pub distributed_on: String,
    /// 发售人员; empty when CTAIS did not name one.
    pub clerk: String,
    pub imported_at: String,
    pub imported_by: String,
}

impl StockDistribution {
    pub fn entity_key(&self) -> String {
        format!("distribution:{}", self.range_id)
    }
}

const COLUMNS: &str = "range_id, taxpayer_id, tax_authority_code, distributed_on, clerk, imported_at, imported_by";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StockDistribution, StoreError> {
    Ok(StockDistribution {
        range_id: row.try_get("range_id")?,
        taxpayer_id: row.try_get("taxpayer_id")?,
        tax_authority_code: row.try_get("tax_authority_code")?,
        distributed_on: row.try_get("distributed_on")?,
        clerk: row.try_get("clerk")?,
        imported_at: row.try_get("imported_at")?,
        imported_by: row.try_get("imported_by")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, distribution: &StockDistribution) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO stock_distributions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(distribution.range_id)
        .bind(distribution.taxpayer_id.clone())
        .bind(distribution.tax_authority_code.clone())
        .bind(distribution.distributed_on.clone())
        .bind(distribution.clerk.clone())
        .bind(distribution.imported_at.clone())
        .bind(distribution.imported_by.clone())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Lists every sale record by range, for `ledger verify`.
pub async fn list(pool: &AnyPool) -> Result<Vec<StockDistribution>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM stock_distributions ORDER BY range_id")).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}
