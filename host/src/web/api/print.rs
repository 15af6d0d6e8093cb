//! Printing routes: an invoice through the prefecture's printer driver, and the calibration page
//! of a printer profile.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::rejection::Rejection;
use crate::plugins::bindings::PrintMode;
use crate::plugins::{PluginHost, PrintFormat, Printed};
use crate::issuing::{InvoiceScope, invoice_scope};
use crate::store::dealers;
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::error::ApiError;

/// Query of `GET /invoices/{code}/{number}/print`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintQuery {
    format: Option<String>,
    mode: Option<String>,
    profile: Option<String>,
}

/// Query of `GET /printer-profiles/{profile}/calibration`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationQuery {
    format: Option<String>,
    prefecture_code: Option<String>,
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query_rejection(err: axum::extract::rejection::QueryRejection, known: &str) -> Rejection {
    Rejection::new(422, "query_invalid", None, format!("查询参数有误：{err}；可用参数 {known}"))
}

pub(crate) fn parse_format(format: Option<&str>) -> Result<PrintFormat, Rejection> {
    let text = format.unwrap_or("pdf");
    PrintFormat::parse(text).ok_or_else(|| Rejection::new(422, "print_format_invalid", Some("format"), format!("打印格式“{text}”无效，应为 pdf 或 escp")))
}

pub(crate) fn parse_mode(mode: Option<&str>) -> Result<PrintMode, Rejection> {
    match mode.unwrap_or("overlay") {
        "overlay" => Ok(PrintMode::Overlay),
        "preview" => Ok(PrintMode::Preview),
        other => Err(Rejection::new(422, "print_mode_invalid", Some("mode"), format!("打印方式“{other}”无效，应为 overlay（套打）或 preview（预览）"))),
    }
}

fn plugin_host(state: &AppState) -> Result<&PluginHost, Rejection> {
    state.plugins.as_deref().ok_or_else(|| Rejection::new(503, "plugins_unavailable", None, "本服务未启用打印插件，请联系系统管理员"))
}

/// Builds the response: PDF to show inline, or ESC/P bytes to save and send to the printer.
pub(crate) fn printed_response(printed: Printed, file_stem: &str) -> Response {
    let (content_type, disposition) = match printed.format {
        PrintFormat::Pdf => ("application/pdf", format!("inline; filename=\"{file_stem}.pdf\"")),
        PrintFormat::Escp => ("application/octet-stream", format!("attachment; filename=\"{file_stem}.prn\"")),
    };
    let plugin = format!("{} {}", printed.plugin_id, printed.plugin_version);
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition), (header::HeaderName::from_static("x-mvis-plugin"), plugin)], printed.bytes)
        .into_response()
}

pub async fn print_invoice(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((code, number)): Path<(String, String)>,
    query: QueryResult<PrintQuery>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|err| query_rejection(err, "format, mode, profile"))?;
    let span = tracing::Span::current();
    span.record("invoice_code", code.as_str());
    span.record("invoice_number", number.as_str());

    let format = parse_format(query.format.as_deref())?;
    let mode = parse_mode(query.mode.as_deref())?;
    let host = plugin_host(&state)?;
    let invoice = state.issuing.find_invoice(&actor, &code, &number).await?;
    let printed = host.print_invoice(&invoice, format, mode, query.profile.as_deref()).await.map_err(Rejection::from)?;
    Ok(printed_response(printed, &format!("{code}-{number}")))
}

pub async fn print_calibration(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(profile): Path<String>,
    query: QueryResult<CalibrationQuery>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|err| query_rejection(err, "format, prefecture_code"))?;
    let format = parse_format(query.format.as_deref())?;
    let host = plugin_host(&state)?;
    let prefecture_code = calibration_prefecture(&state, &actor, query.prefecture_code).await?;
    let printed = host.print_calibration(&prefecture_code, format, Some(&profile)).await.map_err(Rejection::from)?;
    Ok(printed_response(printed, &format!("calibration-{prefecture_code}-{profile}")))
}

/// Returns the prefecture whose profile is printed, by the actor's scope: a dealer's users get their
/// dealer's prefecture and prefecture users their own. Users who see the whole province name one
/// with `prefecture_code`.
pub(crate) async fn calibration_prefecture(state: &AppState, actor: &crate::issuing::Actor, asked: Option<String>) -> Result<String, ApiError> {
    match invoice_scope(actor) {
        InvoiceScope::Dealer(dealer_id) => {
            let mut conn = state.issuing.store().pool().acquire().await.map_err(crate::store::StoreError::from)?;
            let dealer = dealers::get(&mut conn, &dealer_id).await?.ok_or_else(|| Rejection::not_found("本单位的登记信息"))?;
            Ok(dealer.prefecture_code)
        }
        InvoiceScope::Prefecture(code) => Ok(code),
        InvoiceScope::All => asked.ok_or_else(|| Rejection::new(422, "field_required", Some("prefecture_code"), "请用 prefecture_code 参数指明地市代码，例如 420100").into()),
        InvoiceScope::Nothing => Err(Rejection::new(403, "role_not_allowed", None, "当前账号没有所属销货单位或地市，无法打印校准页；请联系管理员").into()),
    }
}
