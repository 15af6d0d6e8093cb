//! Administration routes (dealers, stock, users, tokens) and the clerk's own stock view.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{idempotency_claim, output_response};
use crate::domain::rejection::Rejection;
use crate::issuing::{NewDealer, NewStockRange, NewUser};
use crate::store::users::Role;
use crate::store::{dealers, prefectures, stock, users};
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::draft::parse_typed;
use crate::web::error::ApiError;

/// Remaining numbers below which the stock view warns the clerk to order more.
const LOW_STOCK_THRESHOLD: i64 = 50;

fn require_admin(role: Role) -> Result<(), Rejection> {
    if role == Role::Admin { Ok(()) } else { Err(Rejection::new(403, "role_not_allowed", None, "此操作需要管理员权限，请联系系统管理员")) }
}

pub async fn create_dealer(State(state): State<AppState>, Authenticated(actor): Authenticated, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let claim = idempotency_claim(&headers, &actor.username, "/api/v1/admin/dealers", &body)?;
    let dealer: NewDealer = parse_typed(&body)?;
    Ok(output_response(state.issuing.create_dealer(&actor, dealer, claim).await?))
}

#[derive(Debug, Deserialize)]
pub struct DealerQuery {
    prefecture_code: Option<String>,
}

pub async fn list_dealers(State(state): State<AppState>, Authenticated(actor): Authenticated, Query(query): Query<DealerQuery>) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(actor.role)?;
    let dealers = dealers::list(state.issuing.store().pool(), query.prefecture_code.as_deref()).await?;
    Ok(Json(json!({ "dealers": dealers })))
}

pub async fn allocate_stock(State(state): State<AppState>, Authenticated(actor): Authenticated, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let claim = idempotency_claim(&headers, &actor.username, "/api/v1/admin/stock-ranges", &body)?;
    let range: NewStockRange = parse_typed(&body)?;
    Ok(output_response(state.issuing.allocate_stock(&actor, range, claim).await?))
}

#[derive(Debug, Deserialize)]
pub struct StockQuery {
    dealer_id: Option<String>,
}

pub async fn list_stock(State(state): State<AppState>, Authenticated(actor): Authenticated, Query(query): Query<StockQuery>) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(actor.role)?;
    let ranges = stock::list(state.issuing.store().pool(), query.dealer_id.as_deref()).await?;
    let views: Vec<_> = ranges.iter().map(stock::StockRange::view).collect();
    Ok(Json(json!({ "stock_ranges": views })))
}

pub async fn return_stock(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(range_id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let claim = idempotency_claim(&headers, &actor.username, &format!("/api/v1/admin/stock-ranges/{range_id}/return"), &body)?;
    Ok(output_response(state.issuing.return_stock(&actor, range_id, claim).await?))
}

/// Lists the clerk's own ranges with the total remaining and a low-stock warning.
pub async fn own_stock(State(state): State<AppState>, Authenticated(actor): Authenticated) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(dealer_id) = actor.dealer_id.as_deref() else {
        return Err(Rejection::new(403, "role_not_allowed", None, "只有开票员可以查看本单位发票库存").into());
    };
    let ranges = stock::list(state.issuing.store().pool(), Some(dealer_id)).await?;
    let remaining: i64 = ranges.iter().map(stock::StockRange::remaining).sum();
    let views: Vec<_> = ranges.iter().map(stock::StockRange::view).collect();
    let warning = (remaining < LOW_STOCK_THRESHOLD).then(|| format!("剩余发票仅 {remaining} 份，请及时向主管税务机关领购"));
    Ok(Json(json!({ "dealer_id": dealer_id, "remaining": remaining, "warning": warning, "stock_ranges": views })))
}

pub async fn prefectures(State(state): State<AppState>, Authenticated(_actor): Authenticated) -> Result<Json<serde_json::Value>, ApiError> {
    let prefectures = prefectures::list(state.issuing.store().pool()).await?;
    Ok(Json(json!({ "prefectures": prefectures })))
}

pub async fn create_user(State(state): State<AppState>, Authenticated(actor): Authenticated, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let claim = idempotency_claim(&headers, &actor.username, "/api/v1/admin/users", &body)?;
    let user: NewUser = parse_typed(&body)?;
    Ok(output_response(state.issuing.create_user(&actor, user, claim).await?))
}

pub async fn list_users(State(state): State<AppState>, Authenticated(actor): Authenticated) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(actor.role)?;
    let users = users::list(state.issuing.store().pool()).await?;
    Ok(Json(json!({ "users": users })))
}

/// Creates a token. The response carries the token itself, so it is never stored for idempotent
/// replay: a retried request makes a second token rather than keeping the first one in the database.
pub async fn create_token(State(state): State<AppState>, Authenticated(actor): Authenticated, Path(username): Path<String>) -> Result<Response, ApiError> {
    Ok(output_response(state.issuing.create_token(&actor, &username, None).await?))
}
