//! The append-only ledger: every state change, chained by SHA-256 so that an edit anywhere shows.
//!
//! Entry hash = SHA-256 over length-prefixed fields (seq, recorded_at, actor, action, entity_key,
//! payload, prev_hash). The payload is the canonical JSON of every stored field of the entity after
//! the change, so `verify` can compare the live rows with the newest entry of each entity.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::StoreError;

/// Hash that the first entry chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The newest entry's sequence number and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerHead {
    pub seq: i64,
    pub hash: String,
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LedgerEntry {
    pub seq: i64,
    pub recorded_at: String,
    pub actor: String,
    pub action: String,
    pub entity_key: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl LedgerEntry {
    pub fn computed_hash(&self) -> String {
        entry_hash(&self.seq.to_string(), &self.recorded_at, &self.actor, &self.action, &self.entity_key, &self.payload, &self.prev_hash)
    }
}

/// Hashes the canonical bytes of an entry: each field as `<byte length>:<bytes>\n`, so no two
/// different entries share bytes.
pub fn entry_hash(seq: &str, recorded_at: &str, actor: &str, action: &str, entity_key: &str, payload: &str, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    for field in [seq, recorded_at, actor, action, entity_key, payload, prev_hash] {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Takes the write lock on the head row and reads it. Updating the row first makes PostgreSQL hold
/// its row lock and SQLite take the write lock at once, so appends from several processes serialise.
pub async fn lock_head(conn: &mut AnyConnection) -> Result<LedgerHead, StoreError> {
    sqlx::query("UPDATE ledger_head SET seq = seq WHERE id = 1").execute(&mut *conn).await?;
    let row = sqlx::query("SELECT seq, hash FROM ledger_head WHERE id = 1").fetch_one(&mut *conn).await?;
    Ok(LedgerHead { seq: row.try_get("seq")?, hash: row.try_get("hash")? })
}

pub async fn store_head(conn: &mut AnyConnection, head: &LedgerHead) -> Result<(), StoreError> {
    sqlx::query("UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.seq)
        .bind(head.hash.clone())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts the next entry after `head` and advances `head` in memory; the caller stores the head
/// once per transaction with [`store_head`].
pub async fn append(
    conn: &mut AnyConnection,
    head: &mut LedgerHead,
    recorded_at: &str,
    actor: &str,
    action: &str,
    entity_key: &str,
    payload: String,
) -> Result<(), StoreError> {
    let seq = head.seq + 1;
    let hash = entry_hash(&seq.to_string(), recorded_at, actor, action, entity_key, &payload, &head.hash);
    sqlx::query(
        "INSERT INTO ledger (seq, recorded_at, actor, action, entity_key, payload, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(recorded_at.to_string())
    .bind(actor.to_string())
    .bind(action.to_string())
    .bind(entity_key.to_string())
    .bind(payload)
    .bind(head.hash.clone())
    .bind(hash.clone())
    .execute(&mut *conn)
    .await?;
    *head = LedgerHead { seq, hash };
    Ok(())
}

pub(crate) fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        seq: row.try_get("seq")?,
        recorded_at: row.try_get("recorded_at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        entity_key: row.try_get("entity_key")?,
        payload: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Returns an entity's entries, oldest first (an invoice's history).
pub async fn history(pool: &sqlx::AnyPool, entity_key: &str) -> Result<Vec<LedgerEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, recorded_at, actor, action, entity_key, payload, prev_hash, hash FROM ledger \
         WHERE entity_key = $1 ORDER BY seq",
    )
    .bind(entity_key.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::entry_hash;

    #[test]
    fn entry_hash_separates_fields() {
        let joined = entry_hash("1", "t", "ab", "c", "k", "p", "h");
        let shifted = entry_hash("1", "t", "a", "bc", "k", "p", "h");
        assert_ne!(joined, shifted);
        assert_eq!(joined.len(), 64);
    }
}
