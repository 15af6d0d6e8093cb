//! Purchase-tax declarations (车辆购置税申报): an officer marks an invoice as used in a declaration,
//! or revokes that mark. A declared invoice cannot be voided (see `void`), and crediting one adds a
//! review flag to the credit invoice (see `credit`).

use super::void::status_label;
use super::{Actor, Issuing, IssuingError, can_see_invoice};
use crate::domain::invoice::{Invoice, InvoiceKind, InvoiceStatus, MAX_TEXT_CHARS};
use crate::domain::rejection::Rejection;
use crate::store::declarations::{self, Declaration, DeclarationState};
use crate::store::invoices;
use crate::store::users::Role;
use crate::store::writer::{JobError, JobFuture, JobOutput, WriteContext, WriteJob};

/// Longest accepted declaration number. The bound is generous because offices number declarations differently.
const MAX_DECLARATION_NUMBER_CHARS: usize = 40;

#[derive(Clone)]
pub(super) struct DeclareJob {
    actor: Actor,
    invoice_code: String,
    invoice_number: String,
    declaration_number: String,
    taxable_price: crate::domain::money::Fen,
    purchase_tax: crate::domain::money::Fen,
}

#[derive(Clone)]
pub(super) struct RevokeJob {
    actor: Actor,
    invoice_code: String,
    invoice_number: String,
    reason: String,
}

/// Allows tax officers only: declarations belong to the purchase-tax office.
fn require_officer(actor: &Actor) -> Result<(), Rejection> {
    if actor.role == Role::Officer {
        Ok(())
    } else {
        Err(Rejection::new(403, "role_not_allowed", None, "只有税务人员（officer）可以登记或撤销车辆购置税申报"))
    }
}

fn check_declaration_number(number: &str) -> Result<String, Rejection> {
    let number = number.trim();
    let valid_chars = number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if number.is_empty() || number.chars().count() > MAX_DECLARATION_NUMBER_CHARS || !valid_chars {
        return Err(Rejection::new(
            422,
            "declaration_number_invalid",
            Some("declaration_number"),
            format!("申报编号“{number}”无效：应为 1 至 {MAX_DECLARATION_NUMBER_CHARS} 位字母、数字或连字符，请按车购税申报表填写"),
        ));
    }
    Ok(number.to_string())
}

/// Checks that the invoice can be used in a declaration: a live normal invoice.
fn check_declarable(invoice: &Invoice) -> Result<(), Rejection> {
    if invoice.kind == InvoiceKind::Credit {
        return Err(Rejection::new(409, "invoice_not_declarable", None, "红字发票不能用于车辆购置税申报，请使用正数发票"));
    }
    if invoice.status != InvoiceStatus::Issued {
        return Err(Rejection::new(
            409,
            "invoice_not_declarable",
            None,
            format!("发票状态为{}，只有正常状态的发票可以用于车辆购置税申报", status_label(invoice.status)),
        ));
    }
    Ok(())
}

pub(super) async fn prepare_declare(
    issuing: &Issuing,
    actor: &Actor,
    invoice_code: &str,
    invoice_number: &str,
    declaration_number: &str,
) -> Result<DeclareJob, IssuingError> {
    require_officer(actor)?;
    let declaration_number = check_declaration_number(declaration_number)?;
    let invoice = issuing.find_invoice(actor, invoice_code, invoice_number).await?;
    check_declarable(&invoice)?;

    // The amounts of an invoice never change, so the tax computed here still holds when the job runs.
    let tax = issuing.purchase_tax(&invoice).await?;
    Ok(DeclareJob {
        actor: actor.clone(),
        invoice_code: invoice.invoice_code,
        invoice_number: invoice.invoice_number,
        declaration_number,
        taxable_price: tax.taxable_price,
        purchase_tax: tax.payable,
    })
}

pub(super) fn prepare_revoke(actor: &Actor, invoice_code: &str, invoice_number: &str, reason: &str) -> Result<RevokeJob, IssuingError> {
    require_officer(actor)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_TEXT_CHARS || reason.chars().any(char::is_control) {
        return Err(Rejection::new(
            422,
            "reason_invalid",
            Some("reason"),
            format!("请填写撤销原因（1 至 {MAX_TEXT_CHARS} 个字符，不能换行）"),
        )
        .into());
    }
    Ok(RevokeJob { actor: actor.clone(), invoice_code: invoice_code.to_string(), invoice_number: invoice_number.to_string(), reason: reason.to_string() })
}

/// Loads the invoice inside the write transaction, hiding invoices outside the actor's scope.
async fn visible_invoice(ctx: &mut WriteContext, actor: &Actor, code: &str, number: &str) -> Result<Invoice, JobError> {
    let found = invoices::get(ctx.conn(), code, number).await?;
    found
        .filter(|invoice| can_see_invoice(actor, invoice))
        .ok_or_else(|| Rejection::not_found(&format!("发票代码 {code}、号码 {number} 的发票")).into())
}

impl WriteJob for DeclareJob {
    fn name(&self) -> &'static str {
        "declaration.declare"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        let span = tracing::info_span!("declaration.declare", invoice_code = %self.invoice_code, invoice_number = %self.invoice_number);
        Box::pin(tracing::Instrument::instrument(async move { self.execute(ctx).await }, span))
    }
}

impl DeclareJob {
    async fn execute(self, ctx: &mut WriteContext) -> Result<JobOutput, JobError> {
        let invoice = visible_invoice(ctx, &self.actor, &self.invoice_code, &self.invoice_number).await?;
        check_declarable(&invoice)?;

        if let Some(existing) = declarations::get(ctx.conn(), &self.invoice_code, &self.invoice_number).await?
            && existing.is_live()
        {
            return Err(Rejection::new(
                409,
                "invoice_already_declared",
                None,
                format!("该发票已于 {} 登记申报（申报编号 {}）；如需更正，请先撤销原申报", existing.declared_at, existing.declaration_number),
            )
            .into());
        }
        if let Some((code, number)) = declarations::live_by_number(ctx.conn(), &self.declaration_number).await? {
            return Err(Rejection::new(
                409,
                "declaration_number_in_use",
                Some("declaration_number"),
                format!("申报编号 {} 已用于发票（代码 {code}，号码 {number}），请核对申报编号", self.declaration_number),
            )
            .into());
        }

        let declaration = Declaration {
            invoice_code: invoice.invoice_code,
            invoice_number: invoice.invoice_number,
            declaration_number: self.declaration_number,
            state: DeclarationState::Declared,
            prefecture_code: invoice.prefecture_code,
            taxable_price: self.taxable_price,
            purchase_tax: self.purchase_tax,
            declared_at: ctx.now_rfc3339(),
            declared_by: self.actor.username.clone(),
            revoked_at: String::new(),
            revoked_by: String::new(),
            revoke_reason: String::new(),
        };
        declarations::upsert(ctx.conn(), &declaration).await?;
        ctx.record(&self.actor.username, "declaration.declared", &declaration.entity_key(), &declaration).await?;
        Ok(JobOutput::json(201, &declaration))
    }
}

impl WriteJob for RevokeJob {
    fn name(&self) -> &'static str {
        "declaration.revoke"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        let span = tracing::info_span!("declaration.revoke", invoice_code = %self.invoice_code, invoice_number = %self.invoice_number);
        Box::pin(tracing::Instrument::instrument(async move { self.execute(ctx).await }, span))
    }
}

impl RevokeJob {
    async fn execute(self, ctx: &mut WriteContext) -> Result<JobOutput, JobError> {
        visible_invoice(ctx, &self.actor, &self.invoice_code, &self.invoice_number).await?;
        let found = declarations::get(ctx.conn(), &self.invoice_code, &self.invoice_number).await?;
        let Some(mut declaration) = found.filter(Declaration::is_live) else {
            return Err(Rejection::new(409, "invoice_not_declared", None, "该发票没有有效的车辆购置税申报登记，无需撤销").into());
        };

        declaration.state = DeclarationState::Revoked;
        declaration.revoked_at = ctx.now_rfc3339();
        declaration.revoked_by = self.actor.username.clone();
        declaration.revoke_reason = self.reason;
        declarations::upsert(ctx.conn(), &declaration).await?;
        ctx.record(&self.actor.username, "declaration.revoked", &declaration.entity_key(), &declaration).await?;
        Ok(JobOutput::json(200, &declaration))
    }
}

/// Returns the live declaration of an invoice, for the void and credit checks.
pub(super) async fn live_declaration(ctx: &mut WriteContext, invoice: &Invoice) -> Result<Option<Declaration>, JobError> {
    let found = declarations::get(ctx.conn(), &invoice.invoice_code, &invoice.invoice_number).await?;
    Ok(found.filter(Declaration::is_live))
}
