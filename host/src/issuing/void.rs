//! Voiding (作废): only by the issuing dealer, only within the calendar month of issue (Asia/Shanghai);
//! after that the dealer issues a credit invoice instead.

use super::declare::live_declaration;
use super::scope::clerk_dealer;
use super::{Actor, InvoiceView, Issuing, IssuingError, can_see_invoice};
use crate::domain::calendar::{legal_date, same_calendar_month};
use crate::domain::invoice::{InvoiceKind, InvoiceStatus};
use crate::domain::rejection::Rejection;
use crate::store::invoices;
use crate::store::writer::{JobError, JobFuture, JobOutput, WriteContext, WriteJob};

#[derive(Clone)]
pub(super) struct VoidJob {
    actor: Actor,
    invoice_code: String,
    invoice_number: String,
}

pub(super) fn prepare(_issuing: &Issuing, actor: &Actor, invoice_code: &str, invoice_number: &str) -> Result<VoidJob, IssuingError> {
    clerk_dealer(actor)?;
    Ok(VoidJob { actor: actor.clone(), invoice_code: invoice_code.to_string(), invoice_number: invoice_number.to_string() })
}

impl WriteJob for VoidJob {
    fn name(&self) -> &'static str {
        "invoice.void"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        let span = tracing::info_span!("invoice.void", invoice_code = %self.invoice_code, invoice_number = %self.invoice_number);
        Box::pin(tracing::Instrument::instrument(async move { self.execute(ctx).await }, span))
    }
}

impl VoidJob {
    async fn execute(self, ctx: &mut WriteContext) -> Result<JobOutput, JobError> {
        let found = invoices::get(ctx.conn(), &self.invoice_code, &self.invoice_number).await?;
        let Some(mut invoice) = found.filter(|invoice| can_see_invoice(&self.actor, invoice)) else {
            return Err(Rejection::not_found(&format!("发票代码 {}、号码 {} 的发票", self.invoice_code, self.invoice_number)).into());
        };

        if invoice.status != InvoiceStatus::Issued {
            return Err(Rejection::new(
                409,
                "invoice_not_voidable",
                None,
                format!("发票状态为{}，只有正常状态的发票可以作废", status_label(invoice.status)),
            )
            .into());
        }
        if let Some(declaration) = live_declaration(ctx, &invoice).await? {
            return Err(Rejection::new(
                409,
                "invoice_declared",
                None,
                format!(
                    "该发票已用于车辆购置税申报（申报编号 {}），不能作废；如确需更正，请先由税务人员撤销申报，或开具红字发票",
                    declaration.declaration_number
                ),
            )
            .into());
        }

        let today = legal_date(ctx.now());
        if !same_calendar_month(invoice.issue_date, today) {
            return Err(Rejection::new(
                409,
                "void_window_closed",
                Some("issue_date"),
                format!("发票开具于 {}，只能在开具当月作废；跨月请对该发票开具红字发票", invoice.issue_date),
            )
            .into());
        }

        let original = match invoice.kind {
            InvoiceKind::Credit => Some(restorable_original(ctx, &invoice.original_invoice_code, &invoice.original_invoice_number).await?),
            InvoiceKind::Normal => None,
        };

        invoice.status = InvoiceStatus::Voided;
        invoice.voided_at = ctx.now_rfc3339();
        invoices::update_state(ctx.conn(), &invoice).await?;
        ctx.record(&self.actor.username, "invoice.voided", &invoice.entity_key(), &invoice).await?;

        // Voiding a credit invoice undoes the credit, so the original is live again.
        if let Some(mut original) = original {
            original.status = InvoiceStatus::Issued;
            original.credit_invoice_code.clear();
            original.credit_invoice_number.clear();
            invoices::update_state(ctx.conn(), &original).await?;
            ctx.record(&self.actor.username, "invoice.credit_voided", &original.entity_key(), &original).await?;
        }
        Ok(JobOutput::json(200, &InvoiceView::new(invoice)))
    }
}

/// Loads the original of a credit invoice and checks it can become live again (one vehicle, one invoice).
async fn restorable_original(ctx: &mut WriteContext, code: &str, number: &str) -> Result<crate::domain::invoice::Invoice, JobError> {
    let original = invoices::get(ctx.conn(), code, number)
        .await?
        .ok_or_else(|| crate::store::StoreError::Corrupt(format!("credit invoice refers to missing original {code}/{number}")))?;
    if let Some((live_code, live_number)) = invoices::live_for_vin(ctx.conn(), &original.vin).await? {
        return Err(Rejection::new(
            409,
            "vin_already_invoiced",
            Some("vin"),
            format!("原发票的车辆识别代号 {} 已另开发票（代码 {live_code}，号码 {live_number}），不能作废此红字发票", original.vin),
        )
        .into());
    }
    Ok(original)
}

pub(super) fn status_label(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Issued => "正常",
        InvoiceStatus::Voided => "已作废",
        InvoiceStatus::Credited => "已冲红",
    }
}
