//! Access scopes. A clerk or dealer administrator sees the own dealer's invoices; an officer or
//! prefecture administrator the own prefecture's (an officer with the province code sees all); the
//! province administrator sees everything.

use crate::domain::invoice::Invoice;
use crate::domain::rejection::Rejection;
use crate::store::invoices::InvoiceFilter;
use crate::store::prefectures::PROVINCE_CODE;
use crate::store::users::{Role, User};

/// The authenticated user a request acts for.
pub type Actor = User;

pub fn can_see_invoice(actor: &Actor, invoice: &Invoice) -> bool {
    match invoice_scope(actor) {
        InvoiceScope::All => true,
        InvoiceScope::Dealer(dealer_id) => dealer_id == invoice.dealer_id,
        InvoiceScope::Prefecture(code) => code == invoice.prefecture_code,
        InvoiceScope::Nothing => false,
    }
}

/// The invoices an actor may read, as a search restriction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvoiceScope {
    All,
    Dealer(String),
    Prefecture(String),
    /// A user whose scope fields are missing; the API never creates one, but a row edited by hand could be.
    Nothing,
}

pub fn invoice_scope(actor: &Actor) -> InvoiceScope {
    match actor.role {
        Role::Admin => InvoiceScope::All,
        Role::DealerClerk | Role::DealerAdmin => match &actor.dealer_id {
            Some(dealer_id) => InvoiceScope::Dealer(dealer_id.clone()),
            None => InvoiceScope::Nothing,
        },
        Role::Officer | Role::PrefectureAdmin => match actor.prefecture_code.as_deref() {
            Some(PROVINCE_CODE) if actor.role == Role::Officer => InvoiceScope::All,
            Some(code) => InvoiceScope::Prefecture(code.to_string()),
            None => InvoiceScope::Nothing,
        },
    }
}

/// Narrows a search to what the actor may see. Returns false when the filter names a dealer or
/// prefecture outside the scope, so nothing matches.
pub fn restrict_search(actor: &Actor, filter: &mut InvoiceFilter) -> bool {
    match invoice_scope(actor) {
        InvoiceScope::All => true,
        InvoiceScope::Nothing => false,
        InvoiceScope::Dealer(own) => {
            let allowed = filter.dealer_id.as_ref().is_none_or(|asked| *asked == own);
            filter.dealer_id = Some(own);
            allowed
        }
        InvoiceScope::Prefecture(own) => {
            let allowed = filter.prefecture_code.as_ref().is_none_or(|asked| *asked == own);
            filter.prefecture_code = Some(own);
            allowed
        }
    }
}

/// Returns the clerk's dealer, or a 403 for any other role.
pub fn clerk_dealer(actor: &Actor) -> Result<&str, Rejection> {
    match (actor.role, actor.dealer_id.as_deref()) {
        (Role::DealerClerk, Some(dealer_id)) => Ok(dealer_id),
        _ => Err(Rejection::new(403, "role_not_allowed", None, "只有开票员可以开具、作废或冲红发票，请使用开票员账号")),
    }
}

/// Allows the province administrator only.
pub fn require_admin(actor: &Actor) -> Result<(), Rejection> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(Rejection::new(403, "role_not_allowed", None, "此操作需要省级管理员权限，请联系省局系统管理员"))
    }
}

/// The part of the province an administrator manages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminScope {
    Province,
    Prefecture(String),
    Dealer(String),
}

impl AdminScope {
    pub fn covers_prefecture(&self, prefecture_code: &str) -> bool {
        match self {
            AdminScope::Province => true,
            AdminScope::Prefecture(own) => own == prefecture_code,
            AdminScope::Dealer(_) => false,
        }
    }

    pub fn covers_dealer(&self, dealer_id: &str, dealer_prefecture_code: &str) -> bool {
        match self {
            AdminScope::Province => true,
            AdminScope::Prefecture(own) => own == dealer_prefecture_code,
            AdminScope::Dealer(own) => own == dealer_id,
        }
    }

    /// Returns true when the administrator manages `user`. `dealer_prefecture_code` is the
    /// prefecture of the user's dealer, for dealer users. A dealer administrator manages the own
    /// dealer's clerks; a prefecture administrator the dealer users and officers of the prefecture.
    pub fn covers_user(&self, user: &User, dealer_prefecture_code: Option<&str>) -> bool {
        match (self, user.role) {
            (AdminScope::Province, _) => true,
            (AdminScope::Dealer(own), Role::DealerClerk) => user.dealer_id.as_deref() == Some(own.as_str()),
            (AdminScope::Prefecture(own), Role::DealerClerk | Role::DealerAdmin) => dealer_prefecture_code == Some(own.as_str()),
            (AdminScope::Prefecture(own), Role::Officer) => user.prefecture_code.as_deref() == Some(own.as_str()),
            _ => false,
        }
    }
}

/// Returns the scope of any administrator role, or a 403.
pub fn admin_scope(actor: &Actor) -> Result<AdminScope, Rejection> {
    match (actor.role, &actor.prefecture_code, &actor.dealer_id) {
        (Role::Admin, _, _) => Ok(AdminScope::Province),
        (Role::PrefectureAdmin, Some(code), _) => Ok(AdminScope::Prefecture(code.clone())),
        (Role::DealerAdmin, _, Some(dealer_id)) => Ok(AdminScope::Dealer(dealer_id.clone())),
        _ => Err(Rejection::new(403, "role_not_allowed", None, "此操作需要管理员权限，请联系系统管理员")),
    }
}

/// Returns the scope of a province or prefecture administrator (dealers, stock), or a 403.
pub fn area_admin_scope(actor: &Actor) -> Result<AdminScope, Rejection> {
    match admin_scope(actor) {
        Ok(AdminScope::Dealer(_)) | Err(_) => {
            Err(Rejection::new(403, "role_not_allowed", None, "此操作需要地市或省级管理员权限，请联系主管税务机关"))
        }
        Ok(scope) => Ok(scope),
    }
}

/// Builds the 403 for a dealer, range or user outside the administrator's scope.
pub fn outside_scope(what: &str) -> Rejection {
    Rejection::new(403, "outside_scope", None, format!("{what}不在您的管理范围内，请联系上级管理员"))
}
