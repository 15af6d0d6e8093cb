//! Credit (红字) invoices: a new number from the dealer's stock, amounts mirroring the original with a
//! negative sign, and a reference to it. An invoice is credited at most once, in full.

use super::declare::live_declaration;
use super::scope::clerk_dealer;
use super::void::status_label;
use super::{Actor, InvoiceView, Issuing, IssuingError, can_see_invoice};
use crate::domain::calendar::legal_date;
use crate::domain::invoice::{Finding, FindingLevel, Invoice, InvoiceKind, InvoiceStatus, MAX_TEXT_CHARS, format_invoice_number};
use crate::domain::rejection::Rejection;
use crate::domain::uppercase::amount_in_words;
use crate::store::writer::{JobError, JobFuture, JobOutput, WriteContext, WriteJob};
use crate::store::{invoices, stock};

#[derive(Clone)]
pub(super) struct CreditJob {
    actor: Actor,
    invoice_code: String,
    invoice_number: String,
    reason: String,
    machine_number: String,
}

pub(super) fn prepare(issuing: &Issuing, actor: &Actor, invoice_code: &str, invoice_number: &str, reason: String) -> Result<CreditJob, IssuingError> {
    clerk_dealer(actor)?;
    let reason = reason.trim().to_string();
    if reason.chars().count() > MAX_TEXT_CHARS || reason.chars().any(char::is_control) {
        return Err(Rejection::new(422, "reason_invalid", Some("reason"), format!("冲红原因最多 {MAX_TEXT_CHARS} 个字符且不能换行，请修改")).into());
    }
    Ok(CreditJob {
        actor: actor.clone(),
        invoice_code: invoice_code.to_string(),
        invoice_number: invoice_number.to_string(),
        reason,
        machine_number: issuing.settings().machine_number.clone(),
    })
}

impl WriteJob for CreditJob {
    fn name(&self) -> &'static str {
        "invoice.credit"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        let span = tracing::info_span!("invoice.credit", invoice_code = %self.invoice_code, invoice_number = %self.invoice_number);
        Box::pin(tracing::Instrument::instrument(async move { self.execute(ctx).await }, span))
    }
}

impl CreditJob {
    async fn execute(self, ctx: &mut WriteContext) -> Result<JobOutput, JobError> {
        let found = invoices::get(ctx.conn(), &self.invoice_code, &self.invoice_number).await?;
        let Some(mut original) = found.filter(|invoice| can_see_invoice(&self.actor, invoice)) else {
            return Err(Rejection::not_found(&format!("发票代码 {}、号码 {} 的发票", self.invoice_code, self.invoice_number)).into());
        };
        if original.kind == InvoiceKind::Credit {
            return Err(Rejection::new(409, "invoice_is_credit", None, "红字发票不能再冲红；如开错，请在当月作废该红字发票").into());
        }
        if original.status != InvoiceStatus::Issued {
            return Err(Rejection::new(
                409,
                "invoice_not_creditable",
                None,
                format!("发票状态为{}，只有正常状态的发票可以开具红字发票", status_label(original.status)),
            )
            .into());
        }

        let Some(claimed) = stock::claim_next(ctx.conn(), &original.dealer_id).await? else {
            return Err(Rejection::new(409, "stock_exhausted", None, "本单位发票号码段已用完，请向主管税务机关领购新的发票后再开具红字发票").into());
        };

        let mut credit = self.credit_for(&original, claimed, ctx);
        if let Some(declaration) = live_declaration(ctx, &original).await? {
            credit.findings.push(Finding {
                level: FindingLevel::Flag,
                code: "credited_after_declaration".to_string(),
                field: None,
                message: format!(
                    "原发票（代码 {}，号码 {}）已用于车辆购置税申报（申报编号 {}），开具红字发票后需复核",
                    original.invoice_code, original.invoice_number, declaration.declaration_number
                ),
            });
        }
        invoices::insert(ctx.conn(), &credit).await?;
        ctx.record(&self.actor.username, "invoice.credit_issued", &credit.entity_key(), &credit).await?;

        original.status = InvoiceStatus::Credited;
        original.credit_invoice_code = credit.invoice_code.clone();
        original.credit_invoice_number = credit.invoice_number.clone();
        invoices::update_state(ctx.conn(), &original).await?;
        ctx.record(&self.actor.username, "invoice.credited", &original.entity_key(), &original).await?;

        Ok(JobOutput::json(201, &InvoiceView::new(credit)))
    }

    fn credit_for(&self, original: &Invoice, claimed: stock::ClaimedNumber, ctx: &WriteContext) -> Invoice {
        let total_amount = -original.total_amount;
        let mut remarks = format!("对应正数发票代码:{}号码:{}", original.invoice_code, original.invoice_number);
        if !self.reason.is_empty() {
            remarks.push_str(&format!(" 冲红原因:{}", self.reason));
        }
        Invoice {
            invoice_code: claimed.invoice_code,
            invoice_number: format_invoice_number(claimed.number),
            kind: InvoiceKind::Credit,
            status: InvoiceStatus::Issued,
            issue_date: legal_date(ctx.now()),
            issued_at: ctx.now_rfc3339(),
            machine_number: self.machine_number.clone(),
            range_id: claimed.range_id,
            total_amount,
            total_amount_uppercase: amount_in_words(total_amount),
            vat_amount: -original.vat_amount,
            price_excluding_vat: -original.price_excluding_vat,
            purchase_tax: -original.purchase_tax,
            issuer: self.actor.display_name.clone(),
            issuer_username: self.actor.username.clone(),
            remarks,
            original_invoice_code: original.invoice_code.clone(),
            original_invoice_number: original.invoice_number.clone(),
            credit_invoice_code: String::new(),
            credit_invoice_number: String::new(),
            voided_at: String::new(),
            findings: Vec::new(),
            ..original.clone()
        }
    }
}
