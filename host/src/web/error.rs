//! The API's error body: `{"error": {"code", "field", "message", "details"?}}` with a stable English
//! code and a Chinese message that names the field and the fix.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::rejection::Rejection;
use crate::issuing::IssuingError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError(pub IssuingError);

impl From<IssuingError> for ApiError {
    fn from(err: IssuingError) -> ApiError {
        ApiError(err)
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        ApiError(IssuingError::Rejected(rejection))
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError(IssuingError::Store(err))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        ApiError(IssuingError::Store(StoreError::Database(err)))
    }
}

pub fn rejection_response(rejection: &Rejection) -> Response {
    let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    (status, axum::Json(json!({ "error": rejection }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            IssuingError::Rejected(rejection) => rejection_response(&rejection),
            IssuingError::IdempotencyConflict => rejection_response(&Rejection::new(
                409,
                "idempotency_key_reused",
                None,
                "此 Idempotency-Key 已用于内容不同的请求；重试请发送与首次完全相同的请求，新请求请使用新的键",
            )),
            IssuingError::Store(err) => {
                tracing::error!(error = %err, "request failed with a storage error");
                rejection_response(&Rejection::new(500, "internal_error", None, "服务器内部错误，请稍后重试；如持续出现请联系系统管理员"))
            }
            IssuingError::Unavailable => {
                tracing::error!("request failed: writer task stopped");
                rejection_response(&Rejection::new(503, "service_unavailable", None, "服务正在停止或暂不可用，请稍后重试"))
            }
        }
    }
}
