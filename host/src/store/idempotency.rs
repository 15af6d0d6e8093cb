//! Idempotency keys: a retried POST with the same key gets the first response, a different request
//! under the same key gets 409. Only successful responses are stored, because a refused request
//! changed nothing and may be retried once its cause is fixed.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::StoreError;
use super::writer::JobOutput;

/// A request's claim on a key: who sent it, the key, and a hash of method, path and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub username: String,
    pub key: String,
    pub request_hash: String,
}

impl IdempotencyClaim {
    pub fn new(username: &str, key: &str, method: &str, path: &str, body: &[u8]) -> IdempotencyClaim {
        let mut hasher = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes(), body] {
            hasher.update(part.len().to_le_bytes());
            hasher.update(part);
        }
        IdempotencyClaim { username: username.to_string(), key: key.to_string(), request_hash: hex::encode(hasher.finalize()) }
    }
}

pub enum StoredResponse {
    Same(JobOutput),
    Different,
}

pub async fn find(conn: &mut AnyConnection, claim: &IdempotencyClaim) -> Result<Option<StoredResponse>, StoreError> {
    let row = sqlx::query(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE username = $1 AND idempotency_key = $2",
    )
    .bind(claim.username.clone())
    .bind(claim.key.clone())
    .fetch_optional(&mut *conn)
    .await?;

    let Some(row) = row else { return Ok(None) };
    let request_hash: String = row.try_get("request_hash")?;
    if request_hash != claim.request_hash {
        return Ok(Some(StoredResponse::Different));
    }
    let status: i64 = row.try_get("response_status")?;
    let body: String = row.try_get("response_body")?;
    let status = u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("invalid stored response status {status}")))?;
    Ok(Some(StoredResponse::Same(JobOutput { status, body })))
}

pub async fn store(conn: &mut AnyConnection, claim: &IdempotencyClaim, output: &JobOutput, created_at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (username, idempotency_key, request_hash, response_status, response_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(claim.username.clone())
    .bind(claim.key.clone())
    .bind(claim.request_hash.clone())
    .bind(i64::from(output.status))
    .bind(output.body.clone())
    .bind(created_at.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
