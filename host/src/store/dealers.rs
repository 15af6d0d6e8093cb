//! Dealers (销货单位): taxpayer registration data that every invoice's seller block comes from.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;
use crate::domain::vat::SellerKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dealer {
    pub dealer_id: String,
    pub prefecture_code: String,
    pub taxpayer_id: String,
    pub name: String,
    pub seller_kind: SellerKind,
    pub phone: String,
    pub address: String,
    pub bank: String,
    pub account: String,
    pub tax_authority_name: String,
    pub tax_authority_code: String,
    pub created_at: String,
    /// Registration data from CTAIS; `None` for dealers registered by hand. Left out of the JSON
    /// when absent, so ledger entries written before these fields existed still match the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
}

/// A dealer's tax registration as imported from CTAIS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// `active` (正常), `abnormal` (非正常户) or `deregistered` (注销).
    pub status: String,
    /// YYYY-MM-DD
    pub registered_on: String,
}

impl Dealer {
    pub fn entity_key(&self) -> String {
        format!("dealer:{}", self.dealer_id)
    }
}

const COLUMNS: &str = "dealer_id, prefecture_code, taxpayer_id, name, seller_kind, phone, address, bank, account, \
    tax_authority_name, tax_authority_code, created_at, registration_status, registered_on, source";

/// `source` of a dealer imported from CTAIS; hand-registered dealers have `manual`.
const SOURCE_CTAIS: &str = "ctais";
const SOURCE_MANUAL: &str = "manual";

fn seller_kind_text(kind: SellerKind) -> &'static str {
    match kind {
        SellerKind::General => "general",
        SellerKind::SmallScale => "small_scale",
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Dealer, StoreError> {
    let kind: String = row.try_get("seller_kind")?;
    let status: Option<String> = row.try_get("registration_status")?;
    let registered_on: Option<String> = row.try_get("registered_on")?;
    let source: String = row.try_get("source")?;
    let registration = match (status, registered_on, source.as_str()) {
        (Some(status), Some(registered_on), SOURCE_CTAIS) => Some(Registration { status, registered_on }),
        (None, None, SOURCE_MANUAL) => None,
        _ => return Err(StoreError::Corrupt(format!("dealer registration columns are inconsistent (source {source})"))),
    };
    Ok(Dealer {
        dealer_id: row.try_get("dealer_id")?,
        prefecture_code: row.try_get("prefecture_code")?,
        taxpayer_id: row.try_get("taxpayer_id")?,
        name: row.try_get("name")?,
        seller_kind: match kind.as_str() {
            "general" => SellerKind::General,
            "small_scale" => SellerKind::SmallScale,
            other => return Err(StoreError::Corrupt(format!("invalid seller_kind {other}"))),
        },
        phone: row.try_get("phone")?,
        address: row.try_get("address")?,
        bank: row.try_get("bank")?,
        account: row.try_get("account")?,
        tax_authority_name: row.try_get("tax_authority_name")?,
        tax_authority_code: row.try_get("tax_authority_code")?,
        created_at: row.try_get("created_at")?,
        registration,
    })
}

pub async fn insert(conn: &mut AnyConnection, dealer: &Dealer) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO dealers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"))
        .bind(dealer.dealer_id.clone())
        .bind(dealer.prefecture_code.clone())
        .bind(dealer.taxpayer_id.clone())
        .bind(dealer.name.clone())
        .bind(seller_kind_text(dealer.seller_kind))
        .bind(dealer.phone.clone())
        .bind(dealer.address.clone())
        .bind(dealer.bank.clone())
        .bind(dealer.account.clone())
        .bind(dealer.tax_authority_name.clone())
        .bind(dealer.tax_authority_code.clone())
        .bind(dealer.created_at.clone())
        .bind(dealer.registration.as_ref().map(|registration| registration.status.clone()))
        .bind(dealer.registration.as_ref().map(|registration| registration.registered_on.clone()))
        .bind(if dealer.registration.is_some() { SOURCE_CTAIS } else { SOURCE_MANUAL })
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, dealer_id: &str) -> Result<Option<Dealer>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM dealers WHERE dealer_id = $1"))
        .bind(dealer_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_taxpayer_id(conn: &mut AnyConnection, taxpayer_id: &str) -> Result<Option<Dealer>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM dealers WHERE taxpayer_id = $1"))
        .bind(taxpayer_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Lists dealers, optionally of one prefecture.
pub async fn list(pool: &AnyPool, prefecture_code: Option<&str>) -> Result<Vec<Dealer>, StoreError> {
    let rows = match prefecture_code {
        Some(code) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM dealers WHERE prefecture_code = $1 ORDER BY dealer_id"))
                .bind(code.to_string())
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query(&format!("SELECT {COLUMNS} FROM dealers ORDER BY dealer_id")).fetch_all(pool).await?,
    };
    rows.iter().map(from_row).collect()
}
