//! Sign-in passwords for the web pages, stored as argon2id PHC strings in `user_passwords`.
//! The hash is never part of a user row or a ledger payload.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Longest password accepted, in bytes; argon2 would take more, but a longer one is a paste error.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Hashes a password with argon2id, default parameters and a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| StoreError::Corrupt(format!("failed to hash password: {err}")))
}

/// Returns true when `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(err) => {
            tracing::warn!(error = %err, "stored password hash is malformed");
            false
        }
    }
}

/// Inserts or replaces a user's password hash.
pub async fn set(conn: &mut AnyConnection, username: &str, password_hash: &str, updated_at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO user_passwords (username, password_hash, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
    )
    .bind(username.to_string())
    .bind(password_hash.to_string())
    .bind(updated_at.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Returns the stored hash of a user's password, if the user has one.
pub async fn get(pool: &AnyPool, username: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT password_hash FROM user_passwords WHERE username = $1")
        .bind(username.to_string())
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("password_hash")?),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_same_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse ", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
