//! Prefecture-level divisions (GB/T 2260 codes) that dealers and officers belong to.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

/// Province-level code: an officer with this code reads every prefecture.
pub const PROVINCE_CODE: &str = "420000";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefecture {
    pub code: String,
    pub name: String,
    pub name_2008: String,
    pub kind: String,
    pub pilot: bool,
}

pub async fn upsert(conn: &mut AnyConnection, prefecture: &Prefecture) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO prefectures (code, name, name_2008, kind, pilot) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_2008 = excluded.name_2008, \
         kind = excluded.kind, pilot = excluded.pilot",
    )
    .bind(prefecture.code.clone())
    .bind(prefecture.name.clone())
    .bind(prefecture.name_2008.clone())
    .bind(prefecture.kind.clone())
    .bind(i64::from(prefecture.pilot))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list(pool: &AnyPool) -> Result<Vec<Prefecture>, StoreError> {
    let rows = sqlx::query("SELECT code, name, name_2008, kind, pilot FROM prefectures ORDER BY code").fetch_all(pool).await?;
    rows.iter().map(prefecture_from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, code: &str) -> Result<Option<Prefecture>, StoreError> {
    let row = sqlx::query("SELECT code, name, name_2008, kind, pilot FROM prefectures WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(prefecture_from_row).transpose()
}

/// Returns when a prefecture switched from pilot to live (RFC 3339), or "" while it is not live.
pub async fn live_since(conn: &mut AnyConnection, code: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT live_since FROM prefectures WHERE code = $1").bind(code.to_string()).fetch_one(&mut *conn).await?;
    Ok(row.try_get("live_since")?)
}

/// Records the switch to live (初始化设置) at `live_since`, or back to pilot with "".
pub async fn set_live_since(conn: &mut AnyConnection, code: &str, live_since: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE prefectures SET live_since = $1 WHERE code = $2").bind(live_since.to_string()).bind(code.to_string()).execute(&mut *conn).await?;
    Ok(())
}

/// Lists every prefecture with its `live_since` ("" while not live).
pub async fn list_with_live_since(pool: &AnyPool) -> Result<Vec<(Prefecture, String)>, StoreError> {
    let rows = sqlx::query("SELECT code, name, name_2008, kind, pilot, live_since FROM prefectures ORDER BY code").fetch_all(pool).await?;
    rows.iter().map(|row| Ok((prefecture_from_row(row)?, row.try_get("live_since")?))).collect()
}

fn prefecture_from_row(row: &sqlx::any::AnyRow) -> Result<Prefecture, StoreError> {
    Ok(Prefecture {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        name_2008: row.try_get("name_2008")?,
        kind: row.try_get("kind")?,
        pilot: row.try_get::<i64, _>("pilot")? != 0,
    })
}

pub async fn exists(conn: &mut AnyConnection, code: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT code FROM prefectures WHERE code = $1").bind(code.to_string()).fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}

/// Parses the prefecture table (`code,name_2008,name_now,kind,pilot`, with a header line).
pub fn parse_csv(text: &str) -> Result<Vec<Prefecture>, String> {
    let mut prefectures = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [code, name_2008, name, kind, pilot] = fields[..] else {
            return Err(format!("line {}: expected 5 comma-separated fields, found {}", index + 1, fields.len()));
        };
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("line {}: invalid prefecture code {code}", index + 1));
        }
        prefectures.push(Prefecture {
            code: code.to_string(),
            name: name.to_string(),
            name_2008: name_2008.to_string(),
            kind: kind.to_string(),
            pilot: pilot == "yes",
        });
    }
    Ok(prefectures)
}
