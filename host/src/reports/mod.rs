//! Statistical reports: monthly counts and amounts by prefecture, dealer, brand or vehicle type,
//! read from the `invoice_monthly_totals` and `invoice_daily_totals` tables that database triggers
//! keep exact (migration 0006). A report reads one row per month and group for whole months and
//! one per day and group for a partial first or last month, never the invoices themselves.
//!
//! This module builds the typed table; `plugins::reporting` renders it through a report-format
//! plugin, and `web` serves it.

pub mod monthly;
pub mod table;

pub use monthly::{Dimension, MonthlyRequest, ReportScope, monthly_report, report_scope};
pub use table::{Cell, Column, ColumnKind, ReportTable};

/// Failure of a report, as the API returns it.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("rejected: {0}")]
    Rejected(crate::domain::rejection::Rejection),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<crate::domain::rejection::Rejection> for ReportError {
    fn from(rejection: crate::domain::rejection::Rejection) -> ReportError {
        ReportError::Rejected(rejection)
    }
}

impl From<sqlx::Error> for ReportError {
    fn from(err: sqlx::Error) -> ReportError {
        ReportError::Store(crate::store::StoreError::Database(err))
    }
}

impl From<ReportError> for crate::issuing::IssuingError {
    fn from(err: ReportError) -> crate::issuing::IssuingError {
        match err {
            ReportError::Rejected(rejection) => crate::issuing::IssuingError::Rejected(rejection),
            ReportError::Store(err) => crate::issuing::IssuingError::Store(err),
        }
    }
}
