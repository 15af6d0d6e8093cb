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
use crate::issuing::{AdminScope, NewDealer, NewStockRange, NewUser, admin_scope, area_admin_scope};
use crate::store::users::User;
use crate::store::{dealers, prefectures, stock, users};
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::draft::parse_typed;
use crate::web::error::ApiError;


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
    let dealers = match area_admin_scope(&actor)? {
        AdminScope::Prefecture(own) if query.prefecture_code.as_ref().is_some_and(|asked| *asked != own) => Vec::new(),
        AdminScope::Prefecture(own) => dealers::list(state.issuing.store().pool(), Some(&own)).await?,
        _ => dealers::list(state.issuing.store().pool(), query.prefecture_code.as_deref()).await?,
    };
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
    let scope = area_admin_scope(&actor)?;
    let pool = state.issuing.store().pool();
    let mut ranges = stock::list(pool, query.dealer_id.as_deref()).await?;
    if let AdminScope::Prefecture(own) = &scope {
        let own_dealers: Vec<String> = dealers::list(pool, Some(own)).await?.into_iter().map(|dealer| dealer.dealer_id).collect();
        ranges.retain(|range| own_dealers.contains(&range.dealer_id));
    }
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
    let warning = stock::low_stock_warning(remaining);
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
    let scope = admin_scope(&actor)?;
    let pool = state.issuing.store().pool();
    let all_dealers = dealers::list(pool, None).await?;
    let dealer_prefecture = |user: &User| {
        let dealer = all_dealers.iter().find(|dealer| Some(&dealer.dealer_id) == user.dealer_id.as_ref());
        dealer.map(|dealer| dealer.prefecture_code.clone())
    };
    let users: Vec<_> = users::list(pool).await?.into_iter().filter(|user| scope.covers_user(user, dealer_prefecture(user).as_deref())).collect();
    Ok(Json(json!({ "users": users })))
}

/// Creates a token. The response carries the token itself, so it is never stored for idempotent
/// replay: a retried request makes a second token rather than keeping the first one in the database.
pub async fn create_token(State(state): State<AppState>, Authenticated(actor): Authenticated, Path(username): Path<String>) -> Result<Response, ApiError> {
    Ok(output_response(state.issuing.create_token(&actor, &username, None).await?))
}
