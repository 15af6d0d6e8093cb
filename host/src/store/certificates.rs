//! Certificates of conformity (机动车整车出厂合格证) imported from CTAIS, one per VIN, kept for
//! comparing invoices with the manufacturer's data.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub vin: String,
    pub certificate_number: String,
    pub brand_model: String,
    pub vehicle_type: String,
    pub engine_number: String,
    pub manufacturer_name: String,
    /// YYYY-MM-DD
    pub production_date: String,
    /// YYYY-MM-DD
    pub issued_on: String,
    /// Decimal string in tonnes; empty when not given.
    pub tonnage: String,
    pub seating_capacity: Option<i64>,
    /// The prefecture whose import brought the certificate in.
    pub prefecture_code: String,
    pub imported_at: String,
    pub imported_by: String,
}

impl Certificate {
    pub fn entity_key(&self) -> String {
        format!("certificate:{}", self.vin)
    }
}

const COLUMNS: &str = "vin, certificate_number, brand_model, vehicle_type, engine_number, manufacturer_name, production_date, issued_on, \
    tonnage, seating_capacity, prefecture_code, imported_at, imported_by";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Certificate, StoreError> {
    Ok(Certificate {
        vin: row.try_get("vin")?,
        certificate_number: row.try_get("certificate_number")?,
        brand_model: row.try_get("brand_model")?,
        vehicle_type: row.try_get("vehicle_type")?,
        engine_number: row.try_get("engine_number")?,
        manufacturer_name: row.try_get("manufacturer_name")?,
        production_date: row.try_get("production_date")?,
        issued_on: row.try_get("issued_on")?,
        tonnage: row.try_get("tonnage")?,
        seating_capacity: row.try_get::<Option<i64>, _>("seating_capacity")?,
        prefecture_code: row.try_get("prefecture_code")?,
        imported_at: row.try_get("imported_at")?,
        imported_by: row.try_get("imported_by")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, certificate: &Certificate) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO conformity_certificates ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
        .bind(certificate.vin.clone())
        .bind(certificate.certificate_number.clone())
        .bind(certificate.brand_model.clone())
        .bind(certificate.vehicle_type.clone())
        .bind(certificate.engine_number.clone())
        .bind(certificate.manufacturer_name.clone())
        .bind(certificate.production_date.clone())
        .bind(certificate.issued_on.clone())
        .bind(certificate.tonnage.clone())
        .bind(certificate.seating_capacity)
        .bind(certificate.prefecture_code.clone())
        .bind(certificate.imported_at.clone())
        .bind(certificate.imported_by.clone())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Returns the certificate stored for a VIN or, failing that, under a certificate number.
pub async fn find(conn: &mut AnyConnection, vin: &str, certificate_number: &str) -> Result<Option<Certificate>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM conformity_certificates WHERE vin = $1 OR certificate_number = $2 ORDER BY vin LIMIT 1"))
        .bind(vin.to_string())
        .bind(certificate_number.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get(pool: &AnyPool, vin: &str) -> Result<Option<Certificate>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM conformity_certificates WHERE vin = $1")).bind(vin.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(pool: &AnyPool) -> Result<Vec<Certificate>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM conformity_certificates ORDER BY vin")).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}
