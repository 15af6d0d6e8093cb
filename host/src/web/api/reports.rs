//! Report routes: `GET /reports/monthly` as JSON, or as a document from a report-format plugin.
//! The pages' report downloads call [`monthly_response`] too.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;
use tracing::Instrument;

use crate::domain::rejection::Rejection;
use crate::issuing::{Actor, IssuingError};
use crate::reports::{Dimension, MonthlyRequest, ReportScope, ReportTable, monthly_report, report_scope};
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::error::ApiError;

/// Query of `GET /reports/monthly`. Every field is optional; see [`MonthlyQuery::check`] for the defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthlyQuery {
    #[serde(default)]
    pub dimension: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub prefecture: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// A checked query: the report to build and the format to deliver it in.
pub struct CheckedQuery {
    pub request: MonthlyRequest,
    /// `json`, or the `[report] format` of a report-format plugin such as `csv`.
    pub format: String,
}

fn bad_request(code: &str, field: &str, message: String) -> Rejection {
    Rejection::new(400, code, Some(field), message)
}

fn parse_date(field: &str, label: &str, text: &str) -> Result<NaiveDate, Rejection> {
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|_| text.len() == 10);
    parsed.ok_or_else(|| bad_request("date_invalid", field, format!("{label}“{text}”无效，应为 YYYY-MM-DD 格式的日期，例如 2026-01-31")))
}

/// Returns the field's trimmed text, or `None` when it is absent or blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

impl MonthlyQuery {
    /// Checks the query for `actor`. Defaults: dimension `prefecture`, format `json`, `to` today and
    /// `from` the first day of the eleventh month before `to`'s, so twelve months show.
    pub fn check(&self, actor: &Actor, today: NaiveDate) -> Result<CheckedQuery, Rejection> {
        let dimension_text = given(&self.dimension).unwrap_or("prefecture");
        let dimension = Dimension::parse(dimension_text).ok_or_else(|| {
            bad_request("dimension_invalid", "dimension", format!("统计维度“{dimension_text}”无效，应为 prefecture（地市）、dealer（销货单位）、brand（品牌）或 vehicle_type（车辆类型）"))
        })?;

        let to = match given(&self.to) {
            Some(text) => parse_date("to", "截止日期", text)?,
            None => today,
        };
        let from = match given(&self.from) {
            Some(text) => parse_date("from", "起始日期", text)?,
            None => to.with_day(1).expect("day 1 exists") - Months::new(11),
        };
        if from > to {
            return Err(bad_request("date_range_invalid", "from", format!("起始日期 {from} 晚于截止日期 {to}，请调整日期范围")));
        }

        let prefecture = given(&self.prefecture);
        if let Some(code) = prefecture
            && (code.len() != 6 || !code.bytes().all(|byte| byte.is_ascii_digit()))
        {
            return Err(bad_request("prefecture_invalid", "prefecture", format!("地市代码“{code}”无效，应为 6 位数字，例如 420100")));
        }

        let format = given(&self.format).unwrap_or("json").to_string();
        if format.len() > 16 || !format.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()) {
            return Err(bad_request("report_format_invalid", "format", format!("报表格式“{format}”无效，应为 json、csv、xlsx 或 html")));
        }

        let scope = report_scope(actor, prefecture)?;
        Ok(CheckedQuery { request: MonthlyRequest { dimension, from, to, scope }, format })
    }
}

/// Builds the report table for a checked query.
pub async fn monthly_table(state: &AppState, request: &MonthlyRequest) -> Result<ReportTable, IssuingError> {
    let generated_at = state.issuing.clock().now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(monthly_report(state.issuing.store().pool(), request, generated_at).await?)
}

/// Builds the response for a checked query: the table as JSON, or the plugin's document.
pub async fn monthly_response(state: &AppState, checked: &CheckedQuery) -> Result<Response, ApiError> {
    let request = &checked.request;
    let span = tracing::info_span!("report", report = "monthly", dimension = request.dimension.as_str(), format = %checked.format, from = %request.from, to = %request.to);
    render_monthly(state, checked).instrument(span).await
}

async fn render_monthly(state: &AppState, checked: &CheckedQuery) -> Result<Response, ApiError> {
    let table = monthly_table(state, &checked.request).await?;
    if checked.format == "json" {
        return Ok(Json(table.to_json()).into_response());
    }

    let host = state.plugins.as_deref().ok_or_else(|| Rejection::new(503, "plugins_unavailable", Some("format"), "本服务未启用报表插件，只能使用 format=json；请联系系统管理员"))?;
    let prefecture = match &checked.request.scope {
        ReportScope::Province { prefecture_code } => prefecture_code.clone(),
        ReportScope::Prefecture(code) => Some(code.clone()),
        ReportScope::Dealer(_) => None,
    };
    let (plugin_id, settings) = host.choose_report_format(prefecture.as_deref(), &checked.format).map_err(Rejection::from)?;
    let rendered = host.render_report(&plugin_id, &table, settings).await.map_err(Rejection::from)?;

    let file_name = safe_file_name(&rendered.file_name, &checked.format);
    let headers = [
        (header::CONTENT_TYPE, rendered.media_type.clone()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        (header::HeaderName::from_static("x-mvis-plugin"), format!("{} {}", rendered.plugin_id, rendered.plugin_version)),
    ];
    Ok((headers, rendered.content).into_response())
}

/// Keeps a plugin's file name only when it is plain ASCII, so it cannot break the header.
fn safe_file_name(name: &str, format: &str) -> String {
    let plain = !name.is_empty() && name.len() <= 100 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'));
    if plain { name.to_string() } else { format!("report.{format}") }
}

pub async fn monthly(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    query: Result<Query<MonthlyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|err| Rejection::new(400, "query_invalid", None, format!("查询参数有误：{err}；可用参数 dimension、from、to、prefecture、format")))?;
    let checked = query.check(&actor, state.issuing.clock().today())?;
    monthly_response(&state, &checked).await
}
