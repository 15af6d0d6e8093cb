//! The frame of every signed-in page (navigation for the user's role, the user's name and role,
//! the CSRF token for the forms) and the Chinese labels of roles and states.

use super::session::SignedIn;
use crate::domain::invoice::{Invoice, InvoiceKind, InvoiceStatus};
use crate::store::stock::StockState;
use crate::store::users::{Role, User};

/// One entry of the navigation bar.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The frame around a signed-in page.
pub struct Chrome {
    pub display_name: String,
    pub role_label: &'static str,
    pub scope_label: String,
    pub csrf_token: String,
    pub nav: Vec<NavLink>,
}

impl Chrome {
    /// Builds the frame; `current` is the path of the navigation entry to highlight.
    pub fn new(signed_in: &SignedIn, current: &str) -> Chrome {
        let user = &signed_in.user;
        let nav = nav_for(user.role)
            .iter()
            .map(|(href, label)| NavLink { href, label, active: *href == current })
            .collect();
        let scope_label = match (&user.dealer_id, &user.prefecture_code) {
            (Some(dealer_id), _) => format!("销货单位 {dealer_id}"),
            (None, Some(code)) if code == crate::store::prefectures::PROVINCE_CODE => "全省".to_string(),
            (None, Some(code)) => format!("地市 {code}"),
            (None, None) => "全省".to_string(),
        };
        Chrome {
            display_name: user.display_name.clone(),
            role_label: role_label(user.role),
            scope_label,
            csrf_token: signed_in.csrf_token.clone(),
            nav,
        }
    }
}

fn nav_for(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::DealerClerk => &[("/invoices/new", "开具发票"), ("/invoices", "发票查询"), ("/stock", "发票库存"), ("/printers", "打印机校准"), ("/feedback", "问题反馈")],
        Role::DealerAdmin => &[("/invoices", "本单位发票"), ("/stock", "发票库存"), ("/admin/users", "开票员管理"), ("/printers", "打印机校准"), ("/feedback", "问题反馈")],
        Role::Officer => &[("/lookup", "发票查验"), ("/invoices", "发票列表"), ("/reports", "统计报表"), ("/feedback", "问题反馈")],
        Role::PrefectureAdmin => &[
            ("/admin/dealers", "销货单位"),
            ("/admin/users", "用户"),
            ("/admin/stock", "号码段分配"),
            ("/admin/prefectures", "初始化设置"),
            ("/printers", "打印机校准"),
            ("/invoices", "发票列表"),
            ("/reports", "统计报表"),
            ("/feedback", "问题反馈"),
        ],
        Role::Admin => &[
            ("/admin/dealers", "销货单位"),
            ("/admin/users", "用户"),
            ("/admin/stock", "号码段分配"),
            ("/admin/prefectures", "初始化设置"),
            ("/admin/runtime", "运行状态"),
            ("/printers", "打印机校准"),
            ("/invoices", "发票列表"),
            ("/reports", "统计报表"),
            ("/feedback", "问题反馈"),
        ],
    }
}

/// Returns the page a user lands on after signing in.
pub fn home_path(user: &User) -> &'static str {
    nav_for(user.role)[0].0
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::DealerClerk => "开票员",
        Role::DealerAdmin => "销货单位管理员",
        Role::Officer => "税务人员",
        Role::PrefectureAdmin => "地市管理员",
        Role::Admin => "省级管理员",
    }
}

pub fn status_label(invoice: &Invoice) -> &'static str {
    match (invoice.kind, invoice.status) {
        (_, InvoiceStatus::Voided) => "已作废",
        (_, InvoiceStatus::Credited) => "已冲红",
        (InvoiceKind::Credit, InvoiceStatus::Issued) => "红字发票",
        (InvoiceKind::Normal, InvoiceStatus::Issued) => "正常",
    }
}

/// Returns the Chinese name of a ledger action, or the action itself when it has none.
pub fn action_label(action: &str) -> String {
    match action {
        "invoice.issued" => "开具".to_string(),
        "invoice.voided" => "作废".to_string(),
        "invoice.credit_issued" => "开具红字发票".to_string(),
        "invoice.credited" => "被冲红".to_string(),
        "invoice.credit_voided" => "红字发票作废，原发票恢复正常".to_string(),
        "declaration.declared" => "登记车辆购置税申报".to_string(),
        "declaration.revoked" => "撤销车辆购置税申报".to_string(),
        other => other.to_string(),
    }
}

pub fn stock_state_label(state: StockState) -> &'static str {
    match state {
        StockState::Active => "使用中",
        StockState::Exhausted => "已用完",
        StockState::Returned => "已缴销",
    }
}
