//! Browser sessions of the web pages. The cookie carries 256 random bits; the table stores only
//! their SHA-256, so a copy of the database cannot be replayed as a cookie.

use sqlx::{AnyPool, Row};

use super::StoreError;
use super::users::{self, User};

/// A live session: the user it belongs to and the CSRF token its forms must echo.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: String,
}

/// Stores a new session. `expires_at` is RFC 3339 in UTC, so text order is time order.
pub async fn insert(pool: &AnyPool, session_hash: &str, username: &str, csrf_token: &str, created_at: &str, expires_at: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO web_sessions (session_hash, username, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(session_hash.to_string())
        .bind(username.to_string())
        .bind(csrf_token.to_string())
        .bind(created_at.to_string())
        .bind(expires_at.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

/// Finds the session with this hash if it has not expired at `now` (RFC 3339, UTC).
pub async fn find(pool: &AnyPool, session_hash: &str, now: &str) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query("SELECT username, csrf_token, expires_at FROM web_sessions WHERE session_hash = $1 AND expires_at > $2")
        .bind(session_hash.to_string())
        .bind(now.to_string())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let username: String = row.try_get("username")?;
    let mut conn = pool.acquire().await?;
    let Some(user) = users::get(&mut conn, &username).await? else { return Ok(None) };
    Ok(Some(Session { user, csrf_token: row.try_get("csrf_token")?, expires_at: row.try_get("expires_at")? }))
}

pub async fn delete(pool: &AnyPool, session_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_sessions WHERE session_hash = $1").bind(session_hash.to_string()).execute(pool).await?;
    Ok(())
}

/// Ends every session of a user, e.g. after a password change.
pub async fn delete_for_user(pool: &AnyPool, username: &str) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM web_sessions WHERE username = $1").bind(username.to_string()).execute(pool).await?;
    Ok(result.rows_affected())
}

/// Removes sessions that expired before `now`; returns how many.
pub async fn delete_expired(pool: &AnyPool, now: &str) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1").bind(now.to_string()).execute(pool).await?;
    Ok(result.rows_affected())
}
