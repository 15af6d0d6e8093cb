//! Purchase-tax declaration routes: read, mark and revoke an invoice's declaration.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{idempotency_claim, output_response};
use crate::domain::rejection::Rejection;
use crate::store::declarations::Declaration;
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::draft::parse_object;
use crate::web::error::ApiError;

/// Reads the one string field a small request body carries; `label` names it in Chinese.
fn string_field(body: &[u8], name: &str, label: &str) -> Result<String, Rejection> {
    let object = parse_object(body)?;
    if let Some(key) = object.keys().find(|key| *key != name) {
        return Err(Rejection::new(422, "unknown_field", Some(key), format!("未知字段 {key}：此请求只接受 {name}（{label}）")));
    }
    match object.get(name) {
        Some(serde_json::Value::String(value)) => Ok(value.clone()),
        None | Some(serde_json::Value::Null) => Err(Rejection::new(422, "field_missing", Some(name), format!("缺少{label} {name}，请填写"))),
        Some(_) => Err(Rejection::new(422, "field_type_invalid", Some(name), format!("{label} {name} 应为字符串"))),
    }
}

pub async fn get_declaration(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
) -> Result<Json<Declaration>, ApiError> {
    match state.issuing.find_declaration(&actor, &code, &number).await? {
        Some(declaration) => Ok(Json(declaration)),
        None => Err(Rejection::new(404, "declaration_not_found", None, format!("发票代码 {code}、号码 {number} 的发票尚未登记车辆购置税申报")).into()),
    }
}

pub async fn declare(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/invoices/{code}/{number}/declaration");
    let claim = idempotency_claim(&headers, &actor.username, &path, &body)?;
    let declaration_number = string_field(&body, "declaration_number", "申报编号")?;
    let output = state.issuing.declare(&actor, &code, &number, &declaration_number, claim).await?;
    Ok(output_response(output))
}

pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/invoices/{code}/{number}/declaration/revoke");
    let claim = idempotency_claim(&headers, &actor.username, &path, &body)?;
    let reason = string_field(&body, "reason", "撤销原因")?;
    let output = state.issuing.revoke_declaration(&actor, &code, &number, &reason, claim).await?;
    Ok(output_response(output))
}
