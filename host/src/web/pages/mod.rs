//! Server-rendered pages in Simplified Chinese for dealers, officers and administrators. Every page
//! goes through the same use cases and scopes as the JSON API; templates live in `host/templates`
//! and the CSS and JavaScript in `host/assets`, compiled into the binary so no CDN is needed.

mod admin;
mod chrome;
mod declarations;
mod feedback;
mod invoices;
mod limiter;
mod printers;
mod reports;
mod runtime;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use crate::domain::rejection::Rejection;
use crate::issuing::IssuingError;
use crate::store::StoreError;

pub use session::SESSION_COOKIE;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::root))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/password", get(session::password_form).post(session::change_password))
        .route("/invoices", get(invoices::list))
        .route("/invoices/new", get(invoices::new_form).post(invoices::issue))
        .route("/invoices/new/check", post(invoices::check))
        .route("/invoices/new/edit", post(invoices::edit))
        .route("/invoices/preview", post(invoices::preview))
        .route("/invoices/{code}/{number}", get(invoices::detail))
        .route("/invoices/{code}/{number}/void", post(invoices::void))
        .route("/invoices/{code}/{number}/credit", post(invoices::credit))
        .route("/invoices/{code}/{number}/declaration", post(declarations::declare))
        .route("/invoices/{code}/{number}/declaration/revoke", post(declarations::revoke))
        .route("/invoices/{code}/{number}/print", get(invoices::print))
        .route("/stock", get(invoices::stock))
        .route("/printers", get(printers::list))
        .route("/printers/{profile}/calibration", get(printers::calibration))
        .route("/lookup", get(invoices::lookup))
        .route("/reports", get(reports::monthly))
        .route("/reports/monthly/download", get(reports::download))
        .route("/admin/dealers", get(admin::dealers).post(admin::create_dealer))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{username}/password", post(admin::reset_password))
        .route("/admin/stock", get(admin::stock).post(admin::allocate_stock))
        .route("/admin/stock/{range_id}/return", post(admin::return_stock))
        .route("/admin/prefectures", get(admin::prefectures))
        .route("/admin/prefectures/{code}/switch", post(admin::switch_prefecture))
        .route("/admin/runtime", get(runtime::runtime))
        .route("/feedback", get(feedback::list).post(feedback::submit))
        .route("/feedback/{feedback_id}", get(feedback::detail))
        .route("/feedback/{feedback_id}/answer", post(feedback::answer))
        .route("/feedback/{feedback_id}/close", post(feedback::close))
        .route("/assets/{name}", get(asset))
        .layer(axum::Extension(Arc::new(limiter::LoginLimiter::default())))
        .layer(middleware::from_fn(page_headers))
}

/// Adds headers every page needs: no caching of invoice data, no framing, and a content security
/// policy that allows only this server's own scripts and styles.
async fn page_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// The static files, compiled in.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../../assets/app.css")),
    ("issue-form.js", "text/javascript; charset=utf-8", include_str!("../../../assets/issue-form.js")),
];

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "max-age=300")], *body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A failed page request: a redirect to sign in, or an error page with a Chinese message.
#[derive(Debug)]
pub enum PageError {
    SignIn { next: String },
    Message { status: u16, message: String },
}

impl PageError {
    pub fn message(status: u16, message: impl Into<String>) -> PageError {
        PageError::Message { status, message: message.into() }
    }
}

impl From<Rejection> for PageError {
    fn from(rejection: Rejection) -> PageError {
        PageError::Message { status: rejection.status, message: rejection.message }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> PageError {
        PageError::from(IssuingError::Store(err))
    }
}

impl From<sqlx::Error> for PageError {
    fn from(err: sqlx::Error) -> PageError {
        PageError::from(StoreError::Database(err))
    }
}

impl From<IssuingError> for PageError {
    fn from(err: IssuingError) -> PageError {
        match err {
            IssuingError::Rejected(rejection) => rejection.into(),
            IssuingError::IdempotencyConflict => PageError::message(409, "此表单已提交过且内容不同，请返回重新填写"),
            IssuingError::Store(err) => {
                tracing::error!(error = %err, "page request failed with a storage error");
                PageError::message(500, "服务器内部错误，请稍后重试；如持续出现请联系系统管理员")
            }
            IssuingError::Unavailable => {
                tracing::error!("page request failed: writer task stopped");
                PageError::message(503, "服务正在停止或暂不可用，请稍后重试")
            }
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } if next.is_empty() || next == "/" => page_redirect("/login"),
            PageError::SignIn { next } => page_redirect(&format!("/login?next={}", percent_encode(&next))),
            PageError::Message { status, message } => {
                let mut response = render(&ErrorPage { status, message });
                *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                response
            }
        }
    }
}

/// Renders a template to an HTML response.
pub fn render(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "failed to render page template");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败，请联系系统管理员").into_response()
        }
    }
}

/// Sets the status of a rendered page, e.g. 422 for a form shown again with its errors.
pub fn with_status(status: u16, mut response: Response) -> Response {
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    response
}

/// Redirects with 303 See Other, so reloading the page after a form POST does not resubmit it.
pub fn page_redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_string())]).into_response()
}

/// Encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// The `notice` query parameter that a redirect after a form POST carries to name what was done.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    pub notice: String,
}

/// Returns the Chinese confirmation for a notice key, or "" for an unknown one.
pub fn notice_text(notice: &str) -> &'static str {
    match notice {
        "issued" => "发票已开具",
        "voided" => "发票已作废",
        "credited" => "红字发票已开具，原发票已冲红",
        "declared" => "车辆购置税申报已登记",
        "declaration_revoked" => "车辆购置税申报已撤销",
        "dealer_created" => "销货单位已登记",
        "user_created" => "用户已创建",
        "password_reset" => "密码已重置，该用户需用新密码重新登录",
        "stock_allocated" => "号码段已分配",
        "stock_returned" => "号码段已缴销",
        "switched_live" => "已切换为正式上线",
        "switched_pilot" => "已切换回试点",
        "feedback_submitted" => "反馈已提交，省局答复后可在此查看",
        "feedback_answered" => "答复已发送",
        "feedback_closed" => "反馈已关闭",
        _ => "",
    }
}
