//! Invoice routes: issue, look up, search, void, credit, history.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::{idempotency_claim, output_response, paging};
use crate::domain::invoice::invoice_entity_key;
use crate::domain::rejection::Rejection;
use crate::issuing::{InvoiceView, restrict_search};
use crate::store::invoices::{self, InvoiceFilter};
use crate::store::ledger;
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::draft::{parse_draft, parse_object};
use crate::web::error::ApiError;

fn record_invoice(code: &str, number: &str) {
    let span = tracing::Span::current();
    span.record("invoice_code", code);
    span.record("invoice_number", number);
}

pub async fn issue(State(state): State<AppState>, Authenticated(actor): Authenticated, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let claim = idempotency_claim(&headers, &actor.username, "/api/v1/invoices", &body)?;
    let draft = parse_draft(&body)?;
    let output = state.issuing.issue(&actor, draft, claim).await?;
    Ok(output_response(output))
}

pub async fn get_one(State(state): State<AppState>, Authenticated(actor): Authenticated, Path((code, number)): Path<(String, String)>) -> Result<Json<InvoiceView>, ApiError> {
    record_invoice(&code, &number);
    let invoice = state.issuing.find_invoice(&actor, &code, &number).await?;
    Ok(Json(InvoiceView::new(invoice)))
}

pub async fn history(State(state): State<AppState>, Authenticated(actor): Authenticated, Path((code, number)): Path<(String, String)>) -> Result<Json<serde_json::Value>, ApiError> {
    record_invoice(&code, &number);
    state.issuing.find_invoice(&actor, &code, &number).await?;
    let entries = ledger::history(state.issuing.store().pool(), &invoice_entity_key(&code, &number)).await?;
    Ok(Json(json!({ "entries": entries })))
}

/// Returns the purchase tax (车辆购置税) of an invoice as the prefecture's rule scripts compute it.
pub async fn purchase_tax(State(state): State<AppState>, Authenticated(actor): Authenticated, Path((code, number)): Path<(String, String)>) -> Result<Json<serde_json::Value>, ApiError> {
    record_invoice(&code, &number);
    let invoice = state.issuing.find_invoice(&actor, &code, &number).await?;
    let tax = state.issuing.purchase_tax(&invoice).await?;
    Ok(Json(json!({ "invoice_code": code, "invoice_number": number, "purchase_tax": tax })))
}

/// Query parameters of `GET /invoices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    vin: Option<String>,
    dealer_id: Option<String>,
    prefecture_code: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

fn parse_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Rejection> {
    let Some(value) = value.filter(|value| !value.is_empty()) else { return Ok(None) };
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Rejection::new(422, "date_invalid", Some(field), format!("{field} 日期“{value}”格式不正确，应为 YYYY-MM-DD，例如 2017-07-19")))
}

pub async fn search(State(state): State<AppState>, Authenticated(actor): Authenticated, query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(query) = query.map_err(|err| Rejection::new(422, "query_invalid", None, format!("查询参数有误：{err}；可用参数 vin, dealer_id, prefecture_code, from, to, page, page_size")))?;
    let (page, page_size) = paging(query.page, query.page_size)?;
    let mut filter = InvoiceFilter {
        vin: query.vin.filter(|vin| !vin.is_empty()).map(|vin| vin.trim().to_uppercase()),
        dealer_id: query.dealer_id.filter(|id| !id.is_empty()),
        prefecture_code: query.prefecture_code.filter(|code| !code.is_empty()),
        from: parse_date("from", query.from.as_deref())?,
        to: parse_date("to", query.to.as_deref())?,
    };

    // Scope: dealer users see only the own dealer; officers and prefecture administrators only the
    // own prefecture unless provincial.
    if !restrict_search(&actor, &mut filter) {
        return Ok(Json(json!({ "page": page, "page_size": page_size, "total": 0, "invoices": [] })));
    }

    let found = invoices::search(state.issuing.store().pool(), &filter, page, page_size).await?;
    let views: Vec<InvoiceView> = found.invoices.into_iter().map(InvoiceView::new).collect();
    Ok(Json(json!({ "page": page, "page_size": page_size, "total": found.total, "invoices": views })))
}

pub async fn void(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    record_invoice(&code, &number);
    let path = format!("/api/v1/invoices/{code}/{number}/void");
    let claim = idempotency_claim(&headers, &actor.username, &path, &body)?;
    let output = state.issuing.void(&actor, &code, &number, claim).await?;
    Ok(output_response(output))
}

pub async fn credit(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    record_invoice(&code, &number);
    let path = format!("/api/v1/invoices/{code}/{number}/credit");
    let claim = idempotency_claim(&headers, &actor.username, &path, &body)?;
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        let object = parse_object(&body)?;
        if let Some(key) = object.keys().find(|key| *key != "reason") {
            return Err(Rejection::new(422, "unknown_field", Some(key), format!("未知字段 {key}：冲红请求只接受 reason（冲红原因）")).into());
        }
        match object.get("reason") {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(reason)) => reason.clone(),
            Some(_) => return Err(Rejection::new(422, "field_type_invalid", Some("reason"), "冲红原因 reason 应为字符串").into()),
        }
    };
    let output = state.issuing.credit(&actor, &code, &number, reason, claim).await?;
    Ok(output_response(output))
}
