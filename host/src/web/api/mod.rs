//! JSON routes under `/api/v1`.

mod admin;
mod ctais;
mod declarations;
mod invoices;
pub(crate) mod print;
pub(crate) mod reports;
mod runtime;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;
use crate::domain::rejection::Rejection;
use crate::store::idempotency::IdempotencyClaim;
use crate::store::writer::JobOutput;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(super::openapi::document))
        .route("/invoices", post(invoices::issue).get(invoices::search))
        .route("/invoices/{code}/{number}", get(invoices::get_one))
        .route("/invoices/{code}/{number}/history", get(invoices::history))
        .route("/invoices/{code}/{number}/purchase-tax", get(invoices::purchase_tax))
        .route("/invoices/{code}/{number}/void", post(invoices::void))
        .route("/invoices/{code}/{number}/credit", post(invoices::credit))
        .route("/invoices/{code}/{number}/declaration", get(declarations::get_declaration).post(declarations::declare))
        .route("/invoices/{code}/{number}/declaration/revoke", post(declarations::revoke))
        .route("/invoices/{code}/{number}/print", get(print::print_invoice))
        .route("/printer-profiles/{profile}/calibration", get(print::print_calibration))
        .route("/reports/monthly", get(reports::monthly))
        .route("/stock", get(admin::own_stock))
        .route("/prefectures", get(admin::prefectures))
        .route("/admin/dealers", post(admin::create_dealer).get(admin::list_dealers))
        .route("/admin/stock-ranges", post(admin::allocate_stock).get(admin::list_stock))
        .route("/admin/stock-ranges/{range_id}/return", post(admin::return_stock))
        .route("/admin/users", post(admin::create_user).get(admin::list_users))
        .route("/admin/users/{username}/tokens", post(admin::create_token))
        .route("/admin/runtime", get(runtime::runtime))
        .route("/admin/imports/{kind}", post(ctais::import))
        .route("/exports/invoices", get(ctais::export_invoices))
}

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// Reads the `Idempotency-Key` header into a claim over method, path and body.
fn idempotency_claim(headers: &HeaderMap, username: &str, path: &str, body: &Bytes) -> Result<Option<IdempotencyClaim>, Rejection> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS);
    match key {
        Some(key) => Ok(Some(IdempotencyClaim::new(username, key, "POST", path, body))),
        None => Err(Rejection::new(
            400,
            "idempotency_key_invalid",
            None,
            format!("Idempotency-Key 应为 1 至 {MAX_IDEMPOTENCY_KEY_CHARS} 个可见 ASCII 字符，例如一个 UUID"),
        )),
    }
}

/// Turns a job's stored output into a response; a replay gets the same bytes as the first response.
fn output_response(output: JobOutput) -> Response {
    let status = StatusCode::from_u16(output.status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json")], output.body).into_response()
}

/// Reads the `page` and `page_size` query parameters.
fn paging(page: Option<i64>, page_size: Option<i64>) -> Result<(i64, i64), Rejection> {
    let page = page.unwrap_or(1);
    let page_size = page_size.unwrap_or(50);
    if page < 1 {
        return Err(Rejection::new(422, "page_invalid", Some("page"), "page 应为从 1 开始的页码"));
    }
    if !(1..=200).contains(&page_size) {
        return Err(Rejection::new(422, "page_size_invalid", Some("page_size"), "page_size 应在 1 至 200 之间"));
    }
    Ok((page, page_size))
}
