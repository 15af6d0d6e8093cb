//! Access scopes: a clerk sees the own dealer's invoices, an officer the own prefecture's (or the province's).

use crate::domain::invoice::Invoice;
use crate::domain::rejection::Rejection;
use crate::store::prefectures::PROVINCE_CODE;
use crate::store::users::{Role, User};

/// The authenticated user a request acts for.
pub type Actor = User;

pub fn can_see_invoice(actor: &Actor, invoice: &Invoice) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::DealerClerk => actor.dealer_id.as_deref() == Some(invoice.dealer_id.as_str()),
        Role::Officer => match actor.prefecture_code.as_deref() {
            Some(PROVINCE_CODE) => true,
            Some(code) => code == invoice.prefecture_code,
            None => false,
        },
    }
}

/// Returns the clerk's dealer, or a 403 for any other role.
pub fn clerk_dealer(actor: &Actor) -> Result<&str, Rejection> {
    match (actor.role, actor.dealer_id.as_deref()) {
        (Role::DealerClerk, Some(dealer_id)) => Ok(dealer_id),
        _ => Err(Rejection::new(403, "role_not_allowed", None, "只有开票员可以开具、作废或冲红发票，请使用开票员账号")),
    }
}

pub fn require_admin(actor: &Actor) -> Result<(), Rejection> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(Rejection::new(403, "role_not_allowed", None, "此操作需要管理员权限，请联系系统管理员"))
    }
}
