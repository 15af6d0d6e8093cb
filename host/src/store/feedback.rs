//! The feedback window (信息传递反馈窗口): problems and suggestions from users, answered and closed
//! by province staff.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use super::StoreError;

/// State of an item: open until answered, answered until closed by province staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    Open,
    Answered,
    Closed,
}

impl FeedbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackStatus::Open => "open",
            FeedbackStatus::Answered => "answered",
            FeedbackStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<FeedbackStatus> {
        match text {
            "open" => Some(FeedbackStatus::Open),
            "answered" => Some(FeedbackStatus::Answered),
            "closed" => Some(FeedbackStatus::Closed),
            _ => None,
        }
    }
}

/// One stored item; its serialised form is the ledger payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub feedback_id: i64,
    pub submitted_by: String,
    pub category: String,
    pub body: String,
    pub status: FeedbackStatus,
    pub answer: String,
    pub answered_by: String,
    pub submitted_at: String,
    pub answered_at: String,
}

impl Feedback {
    pub fn entity_key(&self) -> String {
        format!("feedback:{}", self.feedback_id)
    }
}

const COLUMNS: &str = "feedback_id, submitted_by, category, body, status, answer, answered_by, submitted_at, answered_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Feedback, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Feedback {
        feedback_id: row.try_get("feedback_id")?,
        submitted_by: row.try_get("submitted_by")?,
        category: row.try_get("category")?,
        body: row.try_get("body")?,
        status: FeedbackStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("invalid feedback status {status}")))?,
        answer: row.try_get("answer")?,
        answered_by: row.try_get("answered_by")?,
        submitted_at: row.try_get("submitted_at")?,
        answered_at: row.try_get("answered_at")?,
    })
}

/// Inserts a new open item and returns it with its id.
pub async fn insert(conn: &mut AnyConnection, submitted_by: &str, category: &str, body: &str, submitted_at: &str) -> Result<Feedback, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO feedback (submitted_by, category, body, status, submitted_at) VALUES ($1, $2, $3, 'open', $4) RETURNING {COLUMNS}"
    ))
    .bind(submitted_by.to_string())
    .bind(category.to_string())
    .bind(body.to_string())
    .bind(submitted_at.to_string())
    .fetch_one(&mut *conn)
    .await?;
    from_row(&row)
}

pub async fn get(conn: &mut AnyConnection, feedback_id: i64) -> Result<Option<Feedback>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM feedback WHERE feedback_id = $1")).bind(feedback_id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Rewrites the answer and status of an existing item.
pub async fn update(conn: &mut AnyConnection, feedback: &Feedback) -> Result<(), StoreError> {
    sqlx::query("UPDATE feedback SET status = $1, answer = $2, answered_by = $3, answered_at = $4 WHERE feedback_id = $5")
        .bind(feedback.status.as_str())
        .bind(feedback.answer.clone())
        .bind(feedback.answered_by.clone())
        .bind(feedback.answered_at.clone())
        .bind(feedback.feedback_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Lists items newest first: one user's, or everyone's when `submitted_by` is None.
pub async fn list(pool: &AnyPool, submitted_by: Option<&str>) -> Result<Vec<Feedback>, StoreError> {
    let rows = match submitted_by {
        Some(username) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM feedback WHERE submitted_by = $1 ORDER BY feedback_id DESC"))
                .bind(username.to_string())
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query(&format!("SELECT {COLUMNS} FROM feedback ORDER BY feedback_id DESC")).fetch_all(pool).await?,
    };
    rows.iter().map(from_row).collect()
}
