//! Purchase-tax declarations (车辆购置税申报): which invoices an officer has marked as used in a
//! declaration, with the purchase tax the rule scripts computed at that moment.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;
use crate::domain::money::Fen;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationState {
    Declared,
    /// Withdrawn by an officer; the invoice may be voided or declared again.
    Revoked,
}

impl DeclarationState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationState::Declared => "declared",
            DeclarationState::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<DeclarationState> {
        match text {
            "declared" => Some(DeclarationState::Declared),
            "revoked" => Some(DeclarationState::Revoked),
            _ => None,
        }
    }
}

/// One invoice's declaration. Its serialised form is what the ledger hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub invoice_code: String,
    pub invoice_number: String,
    /// 申报编号 as the purchase-tax office assigned it.
    pub declaration_number: String,
    pub state: DeclarationState,
    pub prefecture_code: String,
    /// 计税价格 computed by the prefecture's rule scripts when the declaration was marked.
    pub taxable_price: Fen,
    /// 应纳税额 after reliefs, computed at the same moment.
    pub purchase_tax: Fen,
    pub declared_at: String,
    pub declared_by: String,
    pub revoked_at: String,
    pub revoked_by: String,
    pub revoke_reason: String,
}

impl Declaration {
    pub fn entity_key(&self) -> String {
        declaration_entity_key(&self.invoice_code, &self.invoice_number)
    }

    pub fn is_live(&self) -> bool {
        self.state == DeclarationState::Declared
    }
}

pub fn declaration_entity_key(invoice_code: &str, invoice_number: &str) -> String {
    format!("declaration:{invoice_code}/{invoice_number}")
}

const COLUMNS: &str = "invoice_code, invoice_number, declaration_number, state, prefecture_code, taxable_price, purchase_tax, \
    declared_at, declared_by, revoked_at, revoked_by, revoke_reason";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Declaration, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Declaration {
        invoice_code: row.try_get("invoice_code")?,
        invoice_number: row.try_get("invoice_number")?,
        declaration_number: row.try_get("declaration_number")?,
        state: DeclarationState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown declaration state {state}")))?,
        prefecture_code: row.try_get("prefecture_code")?,
        taxable_price: Fen(row.try_get("taxable_price")?),
        purchase_tax: Fen(row.try_get("purchase_tax")?),
        declared_at: row.try_get("declared_at")?,
        declared_by: row.try_get("declared_by")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}

/// Inserts a declaration, or overwrites the revoked one of the same invoice.
pub async fn upsert(conn: &mut AnyConnection, declaration: &Declaration) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM declarations WHERE invoice_code = $1 AND invoice_number = $2")
        .bind(declaration.invoice_code.clone())
        .bind(declaration.invoice_number.clone())
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("INSERT INTO declarations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
        .bind(declaration.invoice_code.clone())
        .bind(declaration.invoice_number.clone())
        .bind(declaration.declaration_number.clone())
        .bind(declaration.state.as_str())
        .bind(declaration.prefecture_code.clone())
        .bind(declaration.taxable_price.0)
        .bind(declaration.purchase_tax.0)
        .bind(declaration.declared_at.clone())
        .bind(declaration.declared_by.clone())
        .bind(declaration.revoked_at.clone())
        .bind(declaration.revoked_by.clone())
        .bind(declaration.revoke_reason.clone())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, invoice_code: &str, invoice_number: &str) -> Result<Option<Declaration>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM declarations WHERE invoice_code = $1 AND invoice_number = $2"))
        .bind(invoice_code.to_string())
        .bind(invoice_number.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Returns the invoice that a live declaration number marks, if any.
pub async fn live_by_number(conn: &mut AnyConnection, declaration_number: &str) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT invoice_code, invoice_number FROM declarations WHERE declaration_number = $1 AND state = 'declared'")
        .bind(declaration_number.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("invoice_code")?, row.try_get("invoice_number")?))),
        None => Ok(None),
    }
}

/// Lists every declaration in key order, for `ledger verify`.
pub async fn list(pool: &AnyPool) -> Result<Vec<Declaration>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM declarations ORDER BY invoice_code, invoice_number")).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}
