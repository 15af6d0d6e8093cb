//! Preview of a draft: the same checks and VAT split as issuing, without taking a number. The
//! issue form calls it as the clerk types and shows it on the confirmation page.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Actor, Issuing, IssuingError, issue};
use crate::domain::invoice::{Finding, InvoiceDraft};
use crate::domain::money::Fen;
use crate::domain::vat::VatRate;

/// The content an invoice issued from this draft now would carry, apart from its code and number.
#[derive(Clone, Debug, Serialize)]
pub struct DraftPreview {
    pub issue_date: NaiveDate,
    pub seller_name: String,
    pub seller_tax_id: String,
    pub total_amount: Fen,
    pub total_amount_uppercase: String,
    pub vat_rate: VatRate,
    pub vat_amount: Fen,
    pub price_excluding_vat: Fen,
    /// Warnings and flags; blocking findings make `preview` return a rejection instead.
    pub findings: Vec<Finding>,
    /// The draft as it would be stored, with surrounding blanks trimmed.
    pub draft: InvoiceDraft,
}

impl Issuing {
    /// Runs every check that [`Issuing::issue`] runs before it takes a number, and returns the
    /// computed amounts. A draft that previews cleanly can still be rejected when issued, for
    /// reasons only the write transaction can check: the VIN already invoiced, or the stock used up.
    pub async fn preview(&self, actor: &Actor, draft: InvoiceDraft) -> Result<DraftPreview, IssuingError> {
        let (validated, dealer) = issue::prepare(self, actor, draft).await?.into_checked();
        Ok(DraftPreview {
            issue_date: validated.issue_date,
            seller_name: dealer.name,
            seller_tax_id: dealer.taxpayer_id,
            total_amount: validated.total_amount,
            total_amount_uppercase: validated.total_amount_uppercase,
            vat_rate: validated.vat_rate,
            vat_amount: validated.vat_amount,
            price_excluding_vat: validated.price_excluding_vat,
            findings: validated.findings,
            draft: validated.draft,
        })
    }
}
