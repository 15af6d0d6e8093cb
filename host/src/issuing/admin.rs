//! Administration: dealers, stock allocation and return, users and their API tokens.

use serde::Deserialize;

use super::scope::{AdminScope, admin_scope, area_admin_scope, outside_scope, require_admin};
use super::{Actor, IssuingError};
use crate::domain::UserFacing;
use crate::domain::identifiers::check_seller_tax_id;
use crate::domain::invoice::MAX_TEXT_CHARS;
use crate::domain::rejection::Rejection;
use crate::domain::vat::SellerKind;
use crate::store::dealers::{self, Dealer};
use crate::store::prefectures::{self, PROVINCE_CODE};
use crate::store::stock::{self, stock_entity_key};
use crate::store::users::{self, Role, User};
use crate::store::writer::{JobError, JobFuture, JobOutput, WriteContext, WriteJob};

/// Largest range one allocation may hold; a typo in an end number should not allocate millions.
pub const MAX_RANGE_SIZE: i64 = 1_000_000;

fn invalid(field: &str, code: &str, message: impl Into<String>) -> Rejection {
    Rejection::new(422, code, Some(field), message)
}

fn check_text(field: &str, label: &str, value: &str, required: bool) -> Result<(), Rejection> {
    if required && value.trim().is_empty() {
        return Err(invalid(field, "field_required", format!("{label}不能为空，请填写")));
    }
    if value.chars().count() > MAX_TEXT_CHARS || value.chars().any(char::is_control) {
        return Err(invalid(field, "field_invalid", format!("{label}最多 {MAX_TEXT_CHARS} 个字符且不能含换行，请修改")));
    }
    Ok(())
}

fn check_identifier(field: &str, label: &str, value: &str) -> Result<(), Rejection> {
    let valid = !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(invalid(field, "identifier_invalid", format!("{label}“{value}”无效：只能使用字母、数字、- 和 _，长度 1 至 64")))
    }
}

fn all_digits(value: &str, length: usize) -> bool {
    value.len() == length && value.chars().all(|c| c.is_ascii_digit())
}

/// A dealer registration as an administrator submits it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDealer {
    pub dealer_id: String,
    pub prefecture_code: String,
    pub taxpayer_id: String,
    pub name: String,
    pub seller_kind: SellerKind,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub bank: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub tax_authority_name: String,
    #[serde(default)]
    pub tax_authority_code: String,
}

#[derive(Clone)]
pub(super) struct DealerJob {
    actor: String,
    dealer: NewDealer,
}

pub(super) fn prepare_dealer(actor: &Actor, dealer: NewDealer) -> Result<DealerJob, IssuingError> {
    if !area_admin_scope(actor)?.covers_prefecture(&dealer.prefecture_code) {
        return Err(outside_scope(&format!("地市 {}", dealer.prefecture_code)).into());
    }
    check_dealer_fields(&dealer)?;
    Ok(DealerJob { actor: actor.username.clone(), dealer })
}

/// Checks a dealer's fields that need no database: the id, texts, taxpayer id and authority code.
pub(super) fn check_dealer_fields(dealer: &NewDealer) -> Result<(), Rejection> {
    check_identifier("dealer_id", "销货单位编号", &dealer.dealer_id)?;
    check_text("name", "销货单位名称", &dealer.name, true)?;
    for (field, label, value) in [
        ("phone", "电话", &dealer.phone),
        ("address", "地址", &dealer.address),
        ("bank", "开户银行", &dealer.bank),
        ("account", "账号", &dealer.account),
        ("tax_authority_name", "主管税务机关名称", &dealer.tax_authority_name),
    ] {
        check_text(field, label, value, false)?;
    }
    if let Err(problem) = check_seller_tax_id(&dealer.taxpayer_id) {
        return Err(invalid("taxpayer_id", problem.code(), problem.message_zh()));
    }
    if !dealer.tax_authority_code.is_empty() && !(dealer.tax_authority_code.len() <= 11 && dealer.tax_authority_code.chars().all(|c| c.is_ascii_digit())) {
        return Err(invalid("tax_authority_code", "tax_authority_code_invalid", "主管税务机关代码应为不超过 11 位的数字，请核对"));
    }
    Ok(())
}

impl WriteJob for DealerJob {
    fn name(&self) -> &'static str {
        "dealer.create"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let new = self.dealer;
            if !prefectures::exists(ctx.conn(), &new.prefecture_code).await? {
                return Err(invalid("prefecture_code", "prefecture_not_found", format!("地市代码 {} 不存在，请使用 GB/T 2260 六位代码，如 420100", new.prefecture_code)).into());
            }
            if dealers::get(ctx.conn(), &new.dealer_id).await?.is_some() {
                return Err(Rejection::new(409, "dealer_exists", Some("dealer_id"), format!("销货单位编号 {} 已存在，请换一个编号", new.dealer_id)).into());
            }
            if let Some(existing) = dealers::find_by_taxpayer_id(ctx.conn(), &new.taxpayer_id).await? {
                return Err(Rejection::new(
                    409,
                    "taxpayer_exists",
                    Some("taxpayer_id"),
                    format!("纳税人识别号 {} 已登记为销货单位 {}，不能重复登记", new.taxpayer_id, existing.dealer_id),
                )
                .into());
            }

            let dealer = Dealer {
                dealer_id: new.dealer_id,
                prefecture_code: new.prefecture_code,
                taxpayer_id: new.taxpayer_id,
                name: new.name.trim().to_string(),
                seller_kind: new.seller_kind,
                phone: new.phone,
                address: new.address,
                bank: new.bank,
                account: new.account,
                tax_authority_name: new.tax_authority_name,
                tax_authority_code: new.tax_authority_code,
                created_at: ctx.now_rfc3339(),
                registration: None,
            };
            dealers::insert(ctx.conn(), &dealer).await?;
            ctx.record(&self.actor, "dealer.created", &dealer.entity_key(), &dealer).await?;
            Ok(JobOutput::json(201, &dealer))
        })
    }
}

/// A stock allocation: numbers `start_number..=end_number` (8 digits each) of one invoice code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStockRange {
    pub dealer_id: String,
    pub invoice_code: String,
    pub start_number: String,
    pub end_number: String,
}

#[derive(Clone)]
pub(super) struct StockJob {
    actor: String,
    scope: AdminScope,
    dealer_id: String,
    invoice_code: String,
    start: i64,
    end: i64,
}

pub(super) fn prepare_stock(actor: &Actor, range: NewStockRange) -> Result<StockJob, IssuingError> {
    let scope = area_admin_scope(actor)?;
    let (start, end) = parse_stock_range(&range.invoice_code, &range.start_number, &range.end_number)?;
    Ok(StockJob { actor: actor.username.clone(), scope, dealer_id: range.dealer_id, invoice_code: range.invoice_code, start, end })
}

/// Checks a range's code and numbers and returns its first and last number.
pub(super) fn parse_stock_range(invoice_code: &str, start_number: &str, end_number: &str) -> Result<(i64, i64), Rejection> {
    if !all_digits(invoice_code, 12) {
        return Err(invalid("invoice_code", "invoice_code_invalid", format!("发票代码“{}”应为 12 位数字", invoice_code)));
    }
    let number = |field: &str, label: &str, value: &str| -> Result<i64, Rejection> {
        if all_digits(value, 8) {
            Ok(value.parse().expect("eight digits parse as i64"))
        } else {
            Err(invalid(field, "invoice_number_invalid", format!("{label}“{value}”应为 8 位数字（保留前导零），例如 00000001")))
        }
    };
    let start = number("start_number", "起始号码", start_number)?;
    let end = number("end_number", "终止号码", end_number)?;
    if start == 0 || start > end {
        return Err(invalid("end_number", "stock_range_invalid", "起始号码必须大于 0 且不大于终止号码，请核对"));
    }
    if end - start + 1 > MAX_RANGE_SIZE {
        return Err(invalid("end_number", "stock_range_too_large", format!("一次最多分配 {MAX_RANGE_SIZE} 份发票，请核对终止号码")));
    }
    Ok((start, end))
}

/// Returns the rejection for a range that overlaps stored stock of the same code, if it does.
pub(super) async fn stored_overlap(ctx: &mut WriteContext, invoice_code: &str, start: i64, end: i64) -> Result<Option<Rejection>, JobError> {
    let overlapping = stock::overlapping(ctx.conn(), invoice_code, start, end).await?;
    Ok(overlapping.first().map(|other| {
        Rejection::new(
            409,
            "stock_range_overlap",
            Some("start_number"),
            format!(
                "号码段与已分配的号码段 {}（发票代码 {}，{:08}–{:08}，持有单位 {}）重叠，同一发票代码的号码段不能重叠",
                other.range_id, other.invoice_code, other.start_number, other.end_number, other.dealer_id
            ),
        )
    }))
}

/// Inserts a checked range and records its allocation in the ledger.
pub(super) async fn insert_allocation(ctx: &mut WriteContext, actor: &str, dealer_id: &str, invoice_code: &str, start: i64, end: i64) -> Result<stock::StockRange, JobError> {
    let allocated_at = ctx.now_rfc3339();
    let range = stock::insert(ctx.conn(), invoice_code, start, end, dealer_id, &allocated_at, actor).await?;
    ctx.record(actor, "stock.allocated", &range.entity_key(), &range.allocation()).await?;
    Ok(range)
}

impl WriteJob for StockJob {
    fn name(&self) -> &'static str {
        "stock.allocate"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let Some(dealer) = dealers::get(ctx.conn(), &self.dealer_id).await? else {
                return Err(invalid("dealer_id", "dealer_not_found", format!("销货单位 {} 不存在，请先登记销货单位", self.dealer_id)).into());
            };
            if !self.scope.covers_dealer(&dealer.dealer_id, &dealer.prefecture_code) {
                return Err(outside_scope(&format!("销货单位 {}", dealer.dealer_id)).into());
            }
            if let Some(overlap) = stored_overlap(ctx, &self.invoice_code, self.start, self.end).await? {
                return Err(overlap.into());
            }

            let range = insert_allocation(ctx, &self.actor, &self.dealer_id, &self.invoice_code, self.start, self.end).await?;
            Ok(JobOutput::json(201, &range.view()))
        })
    }
}

#[derive(Clone)]
pub(super) struct ReturnJob {
    actor: String,
    scope: AdminScope,
    range_id: i64,
}

pub(super) fn prepare_return(actor: &Actor, range_id: i64) -> Result<ReturnJob, IssuingError> {
    let scope = area_admin_scope(actor)?;
    Ok(ReturnJob { actor: actor.username.clone(), scope, range_id })
}

/// Ledger record of a returned range: the unused numbers given back.
#[derive(serde::Serialize)]
struct Returned {
    range_id: i64,
    returned_from: i64,
    returned_to: i64,
}

impl WriteJob for ReturnJob {
    fn name(&self) -> &'static str {
        "stock.return"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let Some(range) = stock::get(ctx.conn(), self.range_id).await? else {
                return Err(Rejection::not_found(&format!("号码段 {}", self.range_id)).into());
            };
            let holder = dealers::get(ctx.conn(), &range.dealer_id).await?;
            if !holder.is_some_and(|dealer| self.scope.covers_dealer(&dealer.dealer_id, &dealer.prefecture_code)) {
                return Err(outside_scope(&format!("号码段 {}", self.range_id)).into());
            }
            if range.state != stock::StockState::Active {
                return Err(Rejection::new(409, "stock_range_not_active", None, format!("号码段 {} 已用完或已缴销，不能再缴销", self.range_id)).into());
            }
            if !stock::mark_returned(ctx.conn(), self.range_id).await? {
                return Err(JobError::Store(crate::store::StoreError::Corrupt(format!("range {} changed state during return", self.range_id))));
            }
            let returned = Returned { range_id: range.range_id, returned_from: range.next_number, returned_to: range.end_number };
            ctx.record(&self.actor, "stock.returned", &stock_entity_key(self.range_id), &returned).await?;
            let updated = stock::get(ctx.conn(), self.range_id).await?.expect("range exists inside its own transaction");
            Ok(JobOutput::json(200, &updated.view()))
        })
    }
}

/// A user as an administrator submits it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub dealer_id: Option<String>,
    #[serde(default)]
    pub prefecture_code: Option<String>,
}

#[derive(Clone)]
pub(super) struct UserJob {
    actor: String,
    scope: AdminScope,
    user: NewUser,
}

pub(super) fn prepare_user(actor: &Actor, user: NewUser) -> Result<UserJob, IssuingError> {
    let scope = admin_scope(actor)?;
    check_identifier("username", "用户名", &user.username)?;
    check_text("display_name", "姓名", &user.display_name, true)?;
    match (user.role, &user.dealer_id, &user.prefecture_code) {
        (Role::DealerClerk | Role::DealerAdmin, Some(_), None) | (Role::Officer, None, Some(_)) | (Role::Admin, None, None) => {}
        (Role::PrefectureAdmin, None, Some(code)) if code != PROVINCE_CODE => {}
        (Role::DealerClerk | Role::DealerAdmin, _, _) => return Err(invalid("dealer_id", "user_scope_invalid", "开票员和销货单位管理员必须指定所属销货单位 dealer_id，且不能指定 prefecture_code").into()),
        (Role::Officer, _, _) => return Err(invalid("prefecture_code", "user_scope_invalid", "税务人员必须指定地市代码 prefecture_code（全省为 420000），且不能指定 dealer_id").into()),
        (Role::PrefectureAdmin, _, _) => return Err(invalid("prefecture_code", "user_scope_invalid", "地市管理员必须指定本地市代码 prefecture_code（不能为全省 420000），且不能指定 dealer_id").into()),
        (Role::Admin, _, _) => return Err(invalid("role", "user_scope_invalid", "省级管理员不能指定 dealer_id 或 prefecture_code").into()),
    }

    // A dealer administrator adds clerks of the own dealer. A prefecture administrator adds
    // dealer users and officers of the own prefecture, and the job checks the dealer's prefecture.
    let allowed = match (&scope, user.role) {
        (AdminScope::Province, _) => true,
        (AdminScope::Prefecture(own), Role::Officer) => user.prefecture_code.as_deref() == Some(own.as_str()),
        (AdminScope::Prefecture(_), Role::DealerClerk | Role::DealerAdmin) => true,
        (AdminScope::Dealer(own), Role::DealerClerk) => user.dealer_id.as_deref() == Some(own.as_str()),
        _ => false,
    };
    if !allowed {
        return Err(Rejection::new(403, "role_not_allowed", Some("role"), "您不能创建此角色或此范围的用户，请联系上级管理员").into());
    }
    Ok(UserJob { actor: actor.username.clone(), scope, user })
}

impl WriteJob for UserJob {
    fn name(&self) -> &'static str {
        "user.create"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let new = self.user;
            if users::get(ctx.conn(), &new.username).await?.is_some() {
                return Err(Rejection::new(409, "user_exists", Some("username"), format!("用户名 {} 已存在，请换一个用户名", new.username)).into());
            }
            if let Some(dealer_id) = &new.dealer_id {
                let Some(dealer) = dealers::get(ctx.conn(), dealer_id).await? else {
                    return Err(invalid("dealer_id", "dealer_not_found", format!("销货单位 {dealer_id} 不存在，请先登记销货单位")).into());
                };
                if !self.scope.covers_dealer(&dealer.dealer_id, &dealer.prefecture_code) {
                    return Err(outside_scope(&format!("销货单位 {dealer_id}")).into());
                }
            }
            if let Some(code) = &new.prefecture_code
                && code != PROVINCE_CODE
                && !prefectures::exists(ctx.conn(), code).await?
            {
                return Err(invalid("prefecture_code", "prefecture_not_found", format!("地市代码 {code} 不存在，全省请填 420000")).into());
            }

            let user = User {
                username: new.username,
                display_name: new.display_name.trim().to_string(),
                role: new.role,
                dealer_id: new.dealer_id,
                prefecture_code: new.prefecture_code,
                created_at: ctx.now_rfc3339(),
            };
            users::insert(ctx.conn(), &user).await?;
            ctx.record(&self.actor, "user.created", &user.entity_key(), &user).await?;
            Ok(JobOutput::json(201, &user))
        })
    }
}

#[derive(Clone)]
pub(super) struct TokenJob {
    actor: String,
    username: String,
    token: String,
}

/// A new token as returned once to its creator.
#[derive(serde::Serialize)]
struct CreatedToken<'a> {
    username: &'a str,
    token: &'a str,
}

pub(super) fn prepare_token(actor: &Actor, username: &str) -> Result<TokenJob, IssuingError> {
    require_admin(actor)?;
    Ok(TokenJob { actor: actor.username.clone(), username: username.to_string(), token: users::new_token() })
}

impl WriteJob for TokenJob {
    fn name(&self) -> &'static str {
        "token.create"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            if users::get(ctx.conn(), &self.username).await?.is_none() {
                return Err(Rejection::not_found(&format!("用户 {}", self.username)).into());
            }
            let created_at = ctx.now_rfc3339();
            let hash = users::token_hash(&self.token);
            users::insert_token(ctx.conn(), &self.username, &hash, &created_at).await?;
            // The ledger records that a token was made, never the token or its hash.
            ctx.record(&self.actor, "token.created", &format!("token:{}", &hash[..16]), &serde_json::json!({ "username": self.username })).await?;
            Ok(JobOutput::json(201, &CreatedToken { username: &self.username, token: &self.token }))
        })
    }
}
