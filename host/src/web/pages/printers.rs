//! The printer page (打印机配置与校准): a prefecture's printer profiles with their offsets, and
//! calibration prints that show how far a printer is off.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::chrome::Chrome;
use super::session::SignedIn;
use super::{PageError, render};
use crate::config::prefecture::PrinterProfile;
use crate::domain::rejection::Rejection;
use crate::issuing::{InvoiceScope, invoice_scope};
use crate::web::AppState;
use crate::web::api::print::{calibration_prefecture, parse_format, printed_response};

#[derive(Debug, Default, Deserialize)]
pub struct PrinterQuery {
    #[serde(default)]
    prefecture_code: String,
    #[serde(default)]
    format: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "printers.html")]
struct PrintersPage {
    chrome: Chrome,
    /// The prefecture shown; empty while a province-wide user has not picked one.
    prefecture_code: String,
    /// Whether the user may pick any prefecture.
    province_wide: bool,
    profiles: Vec<PrinterProfile>,
    plugins_enabled: bool,
}

impl PrintersPage {
    /// Formats an offset in millimetres with its sign, e.g. `+1.5` or `-0.5`.
    fn offset(&self, millimetres: &f64) -> String {
        format!("{millimetres:+.1}")
    }
}

/// Returns the prefecture the user works in, or the one a province-wide user requested.
async fn chosen_prefecture(state: &AppState, signed_in: &SignedIn, requested: &str) -> Result<Option<String>, PageError> {
    let requested = Some(requested.trim().to_string()).filter(|code| !code.is_empty());
    if invoice_scope(&signed_in.user) == InvoiceScope::All && requested.is_none() {
        return Ok(None);
    }
    match calibration_prefecture(state, &signed_in.user, requested).await {
        Ok(code) => Ok(Some(code)),
        Err(err) => Err(PageError::from(err.0)),
    }
}

pub async fn list(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<PrinterQuery>) -> Result<Response, PageError> {
    let prefecture_code = chosen_prefecture(&state, &signed_in, &query.prefecture_code).await?;
    let profiles = match (state.plugins.as_deref(), &prefecture_code) {
        (Some(host), Some(code)) => host.printer_profiles(code),
        _ => Vec::new(),
    };
    Ok(render(&PrintersPage {
        chrome: Chrome::new(&signed_in, "/printers"),
        province_wide: invoice_scope(&signed_in.user) == InvoiceScope::All,
        prefecture_code: prefecture_code.unwrap_or_default(),
        profiles,
        plugins_enabled: state.plugins.is_some(),
    }))
}

pub async fn calibration(State(state): State<AppState>, signed_in: SignedIn, Path(profile): Path<String>, Query(query): Query<PrinterQuery>) -> Result<Response, PageError> {
    let format = parse_format(query.format.as_deref())?;
    let Some(host) = state.plugins.as_deref() else {
        return Err(PageError::message(503, "本服务未启用打印插件，请联系系统管理员"));
    };
    let Some(prefecture_code) = chosen_prefecture(&state, &signed_in, &query.prefecture_code).await? else {
        return Err(Rejection::new(422, "field_required", Some("prefecture_code"), "请先选择地市").into());
    };
    let printed = host.print_calibration(&prefecture_code, format, Some(&profile)).await.map_err(Rejection::from)?;
    Ok(printed_response(printed, &format!("calibration-{prefecture_code}-{profile}")))
}
