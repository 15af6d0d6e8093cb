//! Issuing a normal invoice: check the draft, then take the next number and store, in one job.

use tracing::{Instrument, info_span};

use super::scope::clerk_dealer;
use super::{Actor, InvoiceView, Issuing, IssuingError};
use crate::domain::invoice::{DraftContext, Finding, FindingLevel, Invoice, InvoiceDraft, InvoiceKind, InvoiceStatus, ValidatedDraft, brand_of, format_invoice_number, validate_draft};
use crate::domain::money::Fen;
use crate::domain::rejection::Rejection;
use crate::rules::{draft_map, validated_map};
use crate::store::dealers::{self, Dealer};
use crate::store::writer::{JobError, JobFuture, JobOutput, WriteContext, WriteJob};
use crate::store::{StoreError, invoices, stock};

#[derive(Clone)]
pub(super) struct IssueJob {
    validated: ValidatedDraft,
    dealer: Dealer,
    issuer: String,
    issuer_username: String,
    machine_number: String,
    purchase_tax: Fen,
}

pub(super) async fn prepare(issuing: &Issuing, actor: &Actor, draft: InvoiceDraft) -> Result<IssueJob, IssuingError> {
    let dealer_id = clerk_dealer(actor)?;
    let mut conn = issuing.store().pool().acquire().await.map_err(StoreError::from)?;
    let dealer = dealers::get(&mut conn, dealer_id)
        .await?
        .ok_or_else(|| Rejection::new(409, "dealer_not_found", None, format!("开票员所属销货单位 {dealer_id} 不存在，请联系管理员")))?;
    drop(conn);

    let issue_date = issuing.clock().today();
    let rules = issuing.script_set(&dealer.prefecture_code)?;
    let vat_rate = rules.vat_rate(draft_map(&draft, &dealer, issue_date))?;

    let context = DraftContext { issue_date, vat_rate, max_total_amount: issuing.settings().max_total_amount };
    let mut validated = validate_draft(draft, &context).map_err(Rejection::from_findings)?;

    // Prefecture rules run after the national checks, on the invoice with its computed amounts.
    let (errors, notes): (Vec<Finding>, Vec<Finding>) =
        rules.validate(validated_map(&validated, &dealer))?.into_iter().partition(|finding| finding.level == FindingLevel::Error);
    if !errors.is_empty() {
        return Err(Rejection::from_findings(errors).into());
    }
    validated.findings.extend(notes);
    let purchase_tax = rules.purchase_tax(validated_map(&validated, &dealer))?.payable;

    let settings = issuing.settings();
    Ok(IssueJob {
        validated,
        dealer,
        issuer: actor.display_name.clone(),
        issuer_username: actor.username.clone(),
        machine_number: settings.machine_number.clone(),
        purchase_tax,
    })
}

impl IssueJob {
    /// Returns the checked draft and its seller, for a preview that takes no number.
    pub(super) fn into_checked(self) -> (ValidatedDraft, Dealer) {
        (self.validated, self.dealer)
    }
}

impl WriteJob for IssueJob {
    fn name(&self) -> &'static str {
        "invoice.issue"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        let span = info_span!("invoice.issue", dealer_id = %self.dealer.dealer_id, invoice_code = tracing::field::Empty, invoice_number = tracing::field::Empty);
        Box::pin(async move { self.execute(ctx).await }.instrument(span))
    }
}

impl IssueJob {
    async fn execute(self, ctx: &mut WriteContext) -> Result<JobOutput, JobError> {
        let vin = self.validated.vin.as_str().to_string();
        if let Some((code, number)) = invoices::live_for_vin(ctx.conn(), &vin).await? {
            return Err(Rejection::new(
                409,
                "vin_already_invoiced",
                Some("vin"),
                format!("车辆识别代号 {vin} 已开具发票（代码 {code}，号码 {number}），一车一票：请先作废或冲红原发票"),
            )
            .into());
        }

        let Some(claimed) = stock::claim_next(ctx.conn(), &self.dealer.dealer_id).await? else {
            return Err(Rejection::new(409, "stock_exhausted", None, "本单位发票号码段已用完，请向主管税务机关领购新的发票").into());
        };

        let invoice_number = format_invoice_number(claimed.number);
        tracing::Span::current().record("invoice_code", claimed.invoice_code.as_str()).record("invoice_number", invoice_number.as_str());
        let invoice = self.into_invoice(claimed, invoice_number, ctx.now_rfc3339());

        invoices::insert(ctx.conn(), &invoice).await?;
        ctx.record(&invoice.issuer_username, "invoice.issued", &invoice.entity_key(), &invoice).await?;
        Ok(JobOutput::json(201, &InvoiceView::new(invoice)))
    }

    fn into_invoice(self, claimed: stock::ClaimedNumber, invoice_number: String, issued_at: String) -> Invoice {
        let validated = self.validated;
        let draft = validated.draft;
        let dealer = self.dealer;
        Invoice {
            invoice_code: claimed.invoice_code,
            invoice_number,
            kind: InvoiceKind::Normal,
            status: InvoiceStatus::Issued,
            issue_date: validated.issue_date,
            issued_at,
            machine_number: self.machine_number,
            dealer_id: dealer.dealer_id,
            prefecture_code: dealer.prefecture_code,
            range_id: claimed.range_id,
            buyer_name: draft.buyer_name,
            buyer_id: draft.buyer_id,
            vehicle_type: draft.vehicle_type,
            brand: brand_of(&draft.brand_model),
            brand_model: draft.brand_model,
            origin: draft.origin,
            certificate_number: draft.certificate_number,
            import_certificate_number: draft.import_certificate_number,
            inspection_number: draft.inspection_number,
            engine_number: draft.engine_number,
            vin: validated.vin.as_str().to_string(),
            total_amount: validated.total_amount,
            total_amount_uppercase: validated.total_amount_uppercase,
            vat_rate: validated.vat_rate,
            vat_amount: validated.vat_amount,
            price_excluding_vat: validated.price_excluding_vat,
            purchase_tax: self.purchase_tax,
            seller_name: dealer.name,
            seller_tax_id: dealer.taxpayer_id,
            seller_phone: dealer.phone,
            seller_address: dealer.address,
            seller_bank: dealer.bank,
            seller_account: dealer.account,
            tax_authority_name: dealer.tax_authority_name,
            tax_authority_code: dealer.tax_authority_code,
            tax_payment_voucher_number: draft.tax_payment_voucher_number,
            tonnage: draft.tonnage,
            seating_capacity: draft.seating_capacity,
            issuer: self.issuer,
            issuer_username: self.issuer_username,
            remarks: draft.remarks,
            original_invoice_code: String::new(),
            original_invoice_number: String::new(),
            credit_invoice_code: String::new(),
            credit_invoice_number: String::new(),
            voided_at: String::new(),
            findings: validated.findings,
        }
    }
}
