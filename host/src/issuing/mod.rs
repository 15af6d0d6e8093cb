//! Use cases: issue, void and credit invoices, and the administration of dealers, stock and users.
//! This is the one layer that orchestrates domain checks, policy and storage.

mod accounts;
mod admin;
mod credit;
mod declare;
mod feedback;
mod imports;
mod issue;
mod preview;
mod scope;
mod void;

pub use accounts::check_new_password;
pub use admin::{NewDealer, NewStockRange, NewUser};
pub use imports::{ImportOptions, ImportReport, LineProblem};
pub use feedback::{FEEDBACK_CATEGORIES, MAX_FEEDBACK_CHARS, is_province_staff};
pub use preview::DraftPreview;
pub use scope::{Actor, AdminScope, InvoiceScope, admin_scope, area_admin_scope, can_see_invoice, clerk_dealer, invoice_scope, restrict_search};

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::rules::{RuleError, Rules, ScriptSet};
use crate::domain::invoice::{Invoice, InvoiceDraft};
use crate::domain::rejection::Rejection;
use crate::store::idempotency::IdempotencyClaim;
use crate::store::writer::{JobOutput, WriteError, Writer};
use crate::store::declarations::{self, Declaration};
use crate::store::{Store, StoreError, invoices};

/// Error of a use case.
#[derive(Debug, thiserror::Error)]
pub enum IssuingError {
    #[error("rejected: {0}")]
    Rejected(Rejection),
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writer task stopped")]
    Unavailable,
}

impl From<Rejection> for IssuingError {
    fn from(rejection: Rejection) -> IssuingError {
        IssuingError::Rejected(rejection)
    }
}

impl From<RuleError> for IssuingError {
    fn from(err: RuleError) -> IssuingError {
        IssuingError::Rejected(Rejection::new(503, "rule_script_failed", None, err.message_zh()))
    }
}

impl From<WriteError> for IssuingError {
    fn from(err: WriteError) -> IssuingError {
        match err {
            WriteError::Rejected(rejection) => IssuingError::Rejected(rejection),
            WriteError::IdempotencyConflict => IssuingError::IdempotencyConflict,
            WriteError::Store(err) => IssuingError::Store(err),
            WriteError::WriterStopped => IssuingError::Unavailable,
        }
    }
}

/// The invoice service: everything the API and the CLI do goes through here.
#[derive(Clone)]
pub struct Issuing {
    store: Store,
    writer: Writer,
    settings: Arc<Settings>,
    clock: Clock,
    rules: Arc<Rules>,
}

/// An invoice as the API returns it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub links: InvoiceLinks,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct InvoiceLinks {
    #[serde(rename = "self")]
    pub self_link: String,
    pub void: String,
    pub credit: String,
}

impl InvoiceView {
    pub fn new(invoice: Invoice) -> InvoiceView {
        let base = format!("/api/v1/invoices/{}/{}", invoice.invoice_code, invoice.invoice_number);
        InvoiceView {
            links: InvoiceLinks { void: format!("{base}/void"), credit: format!("{base}/credit"), self_link: base },
            invoice,
        }
    }
}

impl Issuing {
    pub fn new(store: Store, settings: Arc<Settings>, clock: Clock, rules: Arc<Rules>) -> Issuing {
        let writer = Writer::spawn(store.clone(), clock);
        Issuing { store, writer, settings, clock, rules }
    }

    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// Returns the live script set of a prefecture, or a 503 when its scripts failed to load.
    pub fn script_set(&self, prefecture_code: &str) -> Result<Arc<ScriptSet>, Rejection> {
        self.rules.for_prefecture(prefecture_code).ok_or_else(|| {
            Rejection::new(503, "rules_unavailable", None, format!("地市 {prefecture_code} 的规则脚本未能加载，暂时不能处理；请联系信息中心查看脚本加载错误"))
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Issues a normal invoice from a clerk's draft. Checks run before a number is taken, so a
    /// refused draft consumes no number.
    pub async fn issue(&self, actor: &Actor, draft: InvoiceDraft, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = issue::prepare(self, actor, draft).await?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn void(&self, actor: &Actor, invoice_code: &str, invoice_number: &str, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = void::prepare(self, actor, invoice_code, invoice_number)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn credit(
        &self,
        actor: &Actor,
        invoice_code: &str,
        invoice_number: &str,
        reason: String,
        claim: Option<IdempotencyClaim>,
    ) -> Result<JobOutput, IssuingError> {
        let job = credit::prepare(self, actor, invoice_code, invoice_number, reason)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn create_dealer(&self, actor: &Actor, dealer: NewDealer, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = admin::prepare_dealer(actor, dealer)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn allocate_stock(&self, actor: &Actor, range: NewStockRange, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = admin::prepare_stock(actor, range)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn return_stock(&self, actor: &Actor, range_id: i64, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = admin::prepare_return(actor, range_id)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    pub async fn create_user(&self, actor: &Actor, user: NewUser, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = admin::prepare_user(actor, user)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    /// Marks an invoice as used in a purchase-tax declaration, with the tax the rule scripts compute now.
    pub async fn declare(
        &self,
        actor: &Actor,
        invoice_code: &str,
        invoice_number: &str,
        declaration_number: &str,
        claim: Option<IdempotencyClaim>,
    ) -> Result<JobOutput, IssuingError> {
        let job = declare::prepare_declare(self, actor, invoice_code, invoice_number, declaration_number).await?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    /// Revokes an invoice's live declaration; the row stays, marked revoked, with the reason.
    pub async fn revoke_declaration(
        &self,
        actor: &Actor,
        invoice_code: &str,
        invoice_number: &str,
        reason: &str,
        claim: Option<IdempotencyClaim>,
    ) -> Result<JobOutput, IssuingError> {
        let job = declare::prepare_revoke(actor, invoice_code, invoice_number, reason)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    /// Returns the declaration of an invoice the actor may see, live or revoked.
    pub async fn find_declaration(&self, actor: &Actor, invoice_code: &str, invoice_number: &str) -> Result<Option<Declaration>, IssuingError> {
        self.find_invoice(actor, invoice_code, invoice_number).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(declarations::get(&mut conn, invoice_code, invoice_number).await?)
    }

    /// Creates a bearer token for `username` and returns it; only its hash is stored.
    pub async fn create_token(&self, actor: &Actor, username: &str, claim: Option<IdempotencyClaim>) -> Result<JobOutput, IssuingError> {
        let job = admin::prepare_token(actor, username)?;
        Ok(self.writer.submit(Box::new(job), claim).await?)
    }

    /// Computes an invoice's purchase tax with its prefecture's live scripts.
    pub async fn purchase_tax(&self, invoice: &Invoice) -> Result<crate::rules::PurchaseTax, IssuingError> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let seller_kind = crate::store::dealers::get(&mut conn, &invoice.dealer_id).await?.map_or(crate::domain::vat::SellerKind::General, |dealer| dealer.seller_kind);
        drop(conn);
        let rules = self.script_set(&invoice.prefecture_code)?;
        Ok(rules.purchase_tax(crate::rules::invoice_map(invoice, seller_kind))?)
    }

    /// Finds an invoice the actor may see. Another dealer's invoice is reported as not found, so
    /// a clerk cannot learn which numbers exist elsewhere.
    pub async fn find_invoice(&self, actor: &Actor, invoice_code: &str, invoice_number: &str) -> Result<Invoice, IssuingError> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        match invoices::get(&mut conn, invoice_code, invoice_number).await? {
            Some(invoice) if can_see_invoice(actor, &invoice) => Ok(invoice),
            _ => Err(Rejection::not_found(&format!("发票代码 {invoice_code}、号码 {invoice_number} 的发票")).into()),
        }
    }
}
