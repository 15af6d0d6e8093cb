//! CTAIS exchange over the API: importing a file for a prefecture, and the purchase-tax export.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::rejection::Rejection;
use crate::issuing::{ImportOptions, ImportReport, InvoiceScope, invoice_scope};
use crate::plugins::PluginHost;
use crate::plugins::bindings::invoice_record;
use crate::plugins::ctais::{ExchangeFile, InvoiceExport, RecordKind};
use crate::store::invoices;
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::error::ApiError;

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query_rejection(err: axum::extract::rejection::QueryRejection, known: &str) -> Rejection {
    Rejection::new(422, "query_invalid", None, format!("查询参数有误：{err}；可用参数 {known}"))
}

fn plugin_host(state: &AppState) -> Result<&PluginHost, Rejection> {
    state.plugins.as_deref().ok_or_else(|| Rejection::new(503, "plugins_unavailable", None, "本服务未启用插件，暂时不能交换 CTAIS 数据；请联系系统管理员"))
}

/// Query of `POST /admin/imports/{kind}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    prefecture_code: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    load_valid_only: bool,
}

/// Imports the file in the request body; the report lists every rejected line.
pub async fn import(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(kind): Path<String>,
    query: QueryResult<ImportQuery>,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let Query(query) = query.map_err(|err| query_rejection(err, "prefecture_code, dry_run, load_valid_only"))?;
    let kind = match kind.as_str() {
        "taxpayers" => RecordKind::TaxpayerRegistrations,
        "stock" => RecordKind::StockDistributions,
        "certificates" => RecordKind::ConformityCertificates,
        other => return Err(Rejection::new(404, "import_kind_invalid", Some("kind"), format!("导入类别“{other}”无效，应为 taxpayers、stock 或 certificates")).into()),
    };
    // Checked before the adapter runs as well as in the job, so a user outside the scope costs no plugin call.
    crate::issuing::area_admin_scope(&actor)?;

    let plugins = plugin_host(&state)?;
    let file = ExchangeFile { file_name: format!("{}.txt", crate::plugins::ctais::kind_name(kind)), content: body.to_vec() };
    let decoded = plugins.ctais_decode(&query.prefecture_code, kind, file).await.map_err(Rejection::from)?;
    let options = ImportOptions { dry_run: query.dry_run, load_valid_only: query.load_valid_only };
    let report = state.issuing.import_ctais(&actor, &query.prefecture_code, decoded.file, options, Arc::new(AtomicU64::new(0))).await?;
    Ok(Json(report))
}

/// Query of `GET /exports/invoices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    prefecture_code: String,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

/// Returns the purchase-tax export of a prefecture's invoices issued from `from` to `to` (inclusive).
pub async fn export_invoices(State(state): State<AppState>, Authenticated(actor): Authenticated, query: QueryResult<ExportQuery>) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|err| query_rejection(err, "prefecture_code, from, to（YYYY-MM-DD）"))?;
    let to = query.to.unwrap_or(query.from);
    let allowed = match invoice_scope(&actor) {
        InvoiceScope::All => true,
        InvoiceScope::Prefecture(own) => own == query.prefecture_code,
        InvoiceScope::Dealer(_) | InvoiceScope::Nothing => false,
    };
    if !allowed {
        return Err(Rejection::new(403, "outside_scope", Some("prefecture_code"), format!("您无权导出地市 {} 的发票", query.prefecture_code)).into());
    }
    if to < query.from {
        return Err(Rejection::new(422, "period_invalid", Some("to"), format!("终止日期 {to} 早于起始日期 {}，请核对", query.from)).into());
    }

    let plugins = plugin_host(&state)?;
    let invoices = invoices::in_period(state.issuing.store().pool(), &query.prefecture_code, query.from, to).await?;
    let export = InvoiceExport {
        prefecture_code: query.prefecture_code.clone(),
        period_from: query.from.to_string(),
        period_to: to.to_string(),
        invoices: invoices.iter().map(invoice_record).collect(),
    };
    let file = plugins.ctais_encode(export).await.map_err(Rejection::from)?;
    let disposition = format!("attachment; filename=\"{}\"", file.file_name.replace('"', ""));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_DISPOSITION, disposition)], file.content).into_response())
}
