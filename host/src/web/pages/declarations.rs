//! Officers' forms on the invoice detail page: mark an invoice declared for purchase tax, or revoke
//! the declaration.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::invoices::detail_page;
use super::session::SignedIn;
use super::{PageError, page_redirect, render, with_status};
use crate::issuing::IssuingError;
use crate::store::writer::JobOutput;
use crate::web::AppState;

#[derive(Debug, Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    declaration_number: String,
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

/// Redirects to the detail page with a notice, or shows the page again with the rejection.
async fn after(state: &AppState, signed_in: &SignedIn, code: &str, number: &str, result: Result<JobOutput, IssuingError>, notice: &str) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(page_redirect(&format!("/invoices/{code}/{number}?notice={notice}"))),
        Err(IssuingError::Rejected(rejection)) if rejection.status != 404 => {
            Ok(with_status(rejection.status, render(&detail_page(state, signed_in, code, number, "", rejection.message).await?)))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn declare(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, axum::Form(form): axum::Form<DeclareForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let result = state.issuing.declare(&signed_in.user, &code, &number, &form.declaration_number, None).await;
    after(&state, &signed_in, &code, &number, result, "declared").await
}

pub async fn revoke(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, axum::Form(form): axum::Form<RevokeForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let result = state.issuing.revoke_declaration(&signed_in.user, &code, &number, &form.reason, None).await;
    after(&state, &signed_in, &code, &number, result, "declaration_revoked").await
}
