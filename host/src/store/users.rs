//! Users, their roles and scopes, and their API tokens (stored as SHA-256 hashes only).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Issues, voids and credits for one dealer, and reads only that dealer's invoices.
    DealerClerk,
    /// Manages one dealer's clerks and reads that dealer's invoices and stock; issues nothing.
    DealerAdmin,
    /// Looks invoices up in one prefecture, or in the whole province.
    Officer,
    /// Manages the dealers, stock and users of one prefecture and switches it from pilot to live.
    PrefectureAdmin,
    /// Province administrator: manages dealers, stock and users everywhere. Stored as `admin`,
    /// the name this role had before the other administrator roles existed; `province_admin` is
    /// accepted as a synonym on input.
    #[serde(alias = "province_admin")]
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DealerClerk => "dealer_clerk",
            Role::DealerAdmin => "dealer_admin",
            Role::Officer => "officer",
            Role::PrefectureAdmin => "prefecture_admin",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "dealer_clerk" => Some(Role::DealerClerk),
            "dealer_admin" => Some(Role::DealerAdmin),
            "officer" => Some(Role::Officer),
            "prefecture_admin" => Some(Role::PrefectureAdmin),
            "admin" | "province_admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub dealer_id: Option<String>,
    pub prefecture_code: Option<String>,
    pub created_at: String,
}

impl User {
    pub fn entity_key(&self) -> String {
        format!("user:{}", self.username)
    }
}

const COLUMNS: &str = "username, display_name, role, dealer_id, prefecture_code, created_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("invalid role {role}")))?,
        dealer_id: row.try_get("dealer_id")?,
        prefecture_code: row.try_get("prefecture_code")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, user: &User) -> Result<(), StoreError> {
    sqlx::query(&format!("INSERT INTO users ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.role.as_str())
        .bind(user.dealer_id.clone())
        .bind(user.prefecture_code.clone())
        .bind(user.created_at.clone())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, username: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(pool: &AnyPool) -> Result<Vec<User>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY username")).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// Hashes a bearer token for storage and lookup. Tokens carry 256 random bits, so a plain SHA-256
/// is enough; a slow password hash would only slow every request.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a new random bearer token (`mvis_` and 64 hex digits).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("mvis_{}", hex::encode(bytes))
}

pub async fn insert_token(conn: &mut AnyConnection, username: &str, token_hash: &str, created_at: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO api_tokens (token_hash, username, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash.to_string())
        .bind(username.to_string())
        .bind(created_at.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Finds the user a bearer token belongs to.
pub async fn user_for_token(pool: &AnyPool, token: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(
        "SELECT u.username, u.display_name, u.role, u.dealer_id, u.prefecture_code, u.created_at \
         FROM api_tokens t JOIN users u ON u.username = t.username WHERE t.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}
