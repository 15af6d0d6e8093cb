//! Administration pages: dealers, users and their passwords, stock allocation and return, and the
//! per-prefecture switch from pilot to live (初始化设置). Scopes come from the issuing layer, so a
//! prefecture administrator lists and changes only the own prefecture.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::chrome::{Chrome, role_label};
use super::session::SignedIn;
use super::{NoticeQuery, PageError, notice_text, page_redirect, render, with_status};
use crate::domain::vat::SellerKind;
use crate::issuing::{AdminScope, IssuingError, NewDealer, NewStockRange, NewUser, admin_scope, area_admin_scope};
use crate::store::dealers::{self, Dealer};
use crate::store::prefectures::{self, PROVINCE_CODE, Prefecture};
use crate::store::users::{self, Role};
use crate::store::{sessions, stock};
use crate::web::AppState;

/// Splits a use-case result into success and the rejection message to show on the form.
fn rejection_message<T>(result: Result<T, IssuingError>) -> Result<Result<T, (u16, String)>, PageError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(IssuingError::Rejected(rejection)) => Ok(Err((rejection.status, rejection.message))),
        Err(err) => Err(err.into()),
    }
}

async fn dealers_in_scope(state: &AppState, scope: &AdminScope) -> Result<Vec<Dealer>, PageError> {
    let pool = state.issuing.store().pool();
    Ok(match scope {
        AdminScope::Province => dealers::list(pool, None).await?,
        AdminScope::Prefecture(code) => dealers::list(pool, Some(code)).await?,
        AdminScope::Dealer(dealer_id) => dealers::list(pool, None).await?.into_iter().filter(|dealer| dealer.dealer_id == *dealer_id).collect(),
    })
}

async fn prefectures_in_scope(state: &AppState, scope: &AdminScope) -> Result<Vec<(Prefecture, String)>, PageError> {
    let all = prefectures::list_with_live_since(state.issuing.store().pool()).await?;
    Ok(all.into_iter().filter(|(prefecture, _)| scope.covers_prefecture(&prefecture.code)).collect())
}

/// Values of the dealer form, kept to show again after an error.
#[derive(Debug, Default, Deserialize)]
pub struct DealerForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    dealer_id: String,
    #[serde(default)]
    prefecture_code: String,
    #[serde(default)]
    taxpayer_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    seller_kind: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    bank: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    tax_authority_name: String,
    #[serde(default)]
    tax_authority_code: String,
}

#[derive(askama::Template)]
#[template(path = "admin_dealers.html")]
struct DealersPage {
    chrome: Chrome,
    dealers: Vec<Dealer>,
    prefectures: Vec<(Prefecture, String)>,
    form: DealerForm,
    error: String,
    notice: &'static str,
}

async fn dealers_page(state: &AppState, signed_in: &SignedIn, form: DealerForm, error: String, notice: &str) -> Result<Response, PageError> {
    let scope = area_admin_scope(&signed_in.user)?;
    Ok(render(&DealersPage {
        chrome: Chrome::new(signed_in, "/admin/dealers"),
        dealers: dealers_in_scope(state, &scope).await?,
        prefectures: prefectures_in_scope(state, &scope).await?,
        form,
        error,
        notice: notice_text(notice),
    }))
}

pub async fn dealers(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    dealers_page(&state, &signed_in, DealerForm { seller_kind: "general".to_string(), ..DealerForm::default() }, String::new(), &query.notice).await
}

pub async fn create_dealer(State(state): State<AppState>, signed_in: SignedIn, axum::Form(form): axum::Form<DealerForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let seller_kind = if form.seller_kind == "small_scale" { SellerKind::SmallScale } else { SellerKind::General };
    let dealer = NewDealer {
        dealer_id: form.dealer_id.trim().to_string(),
        prefecture_code: form.prefecture_code.clone(),
        taxpayer_id: form.taxpayer_id.trim().to_string(),
        name: form.name.clone(),
        seller_kind,
        phone: form.phone.trim().to_string(),
        address: form.address.trim().to_string(),
        bank: form.bank.trim().to_string(),
        account: form.account.trim().to_string(),
        tax_authority_name: form.tax_authority_name.trim().to_string(),
        tax_authority_code: form.tax_authority_code.trim().to_string(),
    };
    match rejection_message(state.issuing.create_dealer(&signed_in.user, dealer, None).await)? {
        Ok(_) => Ok(page_redirect("/admin/dealers?notice=dealer_created")),
        Err((status, message)) => Ok(with_status(status, dealers_page(&state, &signed_in, form, message, "").await?)),
    }
}

/// One row of the user table.
struct UserRow {
    username: String,
    display_name: String,
    role: &'static str,
    scope: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    dealer_id: String,
    #[serde(default)]
    prefecture_code: String,
    #[serde(default)]
    password: String,
}

#[derive(askama::Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    dealers: Vec<Dealer>,
    prefectures: Vec<(Prefecture, String)>,
    is_province: bool,
    form: UserForm,
    error: String,
    notice: &'static str,
}

/// Roles an administrator may create, as (stored name, label).
fn creatable_roles(scope: &AdminScope) -> Vec<(&'static str, &'static str)> {
    let roles: &[Role] = match scope {
        AdminScope::Province => &[Role::DealerClerk, Role::DealerAdmin, Role::Officer, Role::PrefectureAdmin, Role::Admin],
        AdminScope::Prefecture(_) => &[Role::DealerClerk, Role::DealerAdmin, Role::Officer],
        AdminScope::Dealer(_) => &[Role::DealerClerk],
    };
    roles.iter().map(|role| (role.as_str(), role_label(*role))).collect()
}

async fn users_page(state: &AppState, signed_in: &SignedIn, form: UserForm, error: String, notice: &str) -> Result<Response, PageError> {
    let scope = admin_scope(&signed_in.user)?;
    let pool = state.issuing.store().pool();
    let all_dealers = dealers::list(pool, None).await?;
    let users = users::list(pool)
        .await?
        .into_iter()
        .filter(|user| {
            let dealer = all_dealers.iter().find(|dealer| Some(&dealer.dealer_id) == user.dealer_id.as_ref());
            scope.covers_user(user, dealer.map(|dealer| dealer.prefecture_code.as_str()))
        })
        .map(|user| UserRow {
            scope: user.dealer_id.clone().or_else(|| user.prefecture_code.clone()).unwrap_or_else(|| "全省".to_string()),
            role: role_label(user.role),
            username: user.username,
            display_name: user.display_name,
        })
        .collect();
    let mut prefectures = prefectures_in_scope(state, &scope).await?;
    if scope == AdminScope::Province {
        let province = Prefecture { code: PROVINCE_CODE.to_string(), name: "湖北省（全省）".to_string(), name_2008: String::new(), kind: String::new(), pilot: false };
        prefectures.insert(0, (province, String::new()));
    }
    Ok(render(&UsersPage {
        chrome: Chrome::new(signed_in, "/admin/users"),
        users,
        roles: creatable_roles(&scope),
        dealers: dealers_in_scope(state, &scope).await?,
        prefectures,
        is_province: scope == AdminScope::Province,
        form,
        error,
        notice: notice_text(notice),
    }))
}

pub async fn users(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    users_page(&state, &signed_in, UserForm::default(), String::new(), &query.notice).await
}

/// Creates a user, and sets the initial password when one is given so the user can sign in.
pub async fn create_user(State(state): State<AppState>, signed_in: SignedIn, axum::Form(mut form): axum::Form<UserForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let Some(role) = Role::parse(&form.role) else {
        return Ok(with_status(422, users_page(&state, &signed_in, form, "请选择用户角色".to_string(), "").await?));
    };
    if !form.password.is_empty()
        && let Err(rejection) = crate::issuing::check_new_password(&form.password)
    {
        form.password.clear();
        return Ok(with_status(422, users_page(&state, &signed_in, form, rejection.message, "").await?));
    }
    let dealer_user = matches!(role, Role::DealerClerk | Role::DealerAdmin);
    let area_user = matches!(role, Role::Officer | Role::PrefectureAdmin);
    let user = NewUser {
        username: form.username.trim().to_string(),
        display_name: form.display_name.clone(),
        role,
        dealer_id: (dealer_user && !form.dealer_id.is_empty()).then(|| form.dealer_id.clone()),
        prefecture_code: (area_user && !form.prefecture_code.is_empty()).then(|| form.prefecture_code.clone()),
    };
    let username = user.username.clone();
    if let Err((status, message)) = rejection_message(state.issuing.create_user(&signed_in.user, user, None).await)? {
        form.password.clear();
        return Ok(with_status(status, users_page(&state, &signed_in, form, message, "").await?));
    }
    if !form.password.is_empty() {
        state.issuing.set_password(&signed_in.user, &username, &form.password).await?;
    }
    Ok(page_redirect("/admin/users?notice=user_created"))
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    password: String,
}

/// Sets another user's password and signs that user out everywhere.
pub async fn reset_password(State(state): State<AppState>, signed_in: SignedIn, Path(username): Path<String>, axum::Form(form): axum::Form<ResetForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match rejection_message(state.issuing.set_password(&signed_in.user, &username, &form.password).await)? {
        Ok(_) => {
            let ended = sessions::delete_for_user(state.issuing.store().pool(), &username).await?;
            tracing::info!(username = %username, by = %signed_in.user.username, sessions_ended = ended, "password reset");
            Ok(page_redirect("/admin/users?notice=password_reset"))
        }
        Err((status, message)) => Ok(with_status(status, users_page(&state, &signed_in, UserForm::default(), format!("用户 {username}：{message}"), "").await?)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StockForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    dealer_id: String,
    #[serde(default)]
    invoice_code: String,
    #[serde(default)]
    start_number: String,
    #[serde(default)]
    end_number: String,
}

#[derive(askama::Template)]
#[template(path = "admin_stock.html")]
struct StockPage {
    chrome: Chrome,
    ranges: Vec<stock::StockRangeView>,
    dealers: Vec<Dealer>,
    form: StockForm,
    error: String,
    notice: &'static str,
}

impl StockPage {
    fn state_label(&self, state: &stock::StockState) -> &'static str {
        super::chrome::stock_state_label(*state)
    }
}

async fn stock_page(state: &AppState, signed_in: &SignedIn, form: StockForm, error: String, notice: &str) -> Result<Response, PageError> {
    let scope = area_admin_scope(&signed_in.user)?;
    let dealers = dealers_in_scope(state, &scope).await?;
    let ranges = stock::list(state.issuing.store().pool(), None)
        .await?
        .iter()
        .filter(|range| dealers.iter().any(|dealer| dealer.dealer_id == range.dealer_id))
        .map(stock::StockRange::view)
        .collect();
    Ok(render(&StockPage { chrome: Chrome::new(signed_in, "/admin/stock"), ranges, dealers, form, error, notice: notice_text(notice) }))
}

pub async fn stock(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    stock_page(&state, &signed_in, StockForm::default(), String::new(), &query.notice).await
}

pub async fn allocate_stock(State(state): State<AppState>, signed_in: SignedIn, axum::Form(form): axum::Form<StockForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let range = NewStockRange {
        dealer_id: form.dealer_id.clone(),
        invoice_code: form.invoice_code.trim().to_string(),
        start_number: form.start_number.trim().to_string(),
        end_number: form.end_number.trim().to_string(),
    };
    match rejection_message(state.issuing.allocate_stock(&signed_in.user, range, None).await)? {
        Ok(_) => Ok(page_redirect("/admin/stock?notice=stock_allocated")),
        Err((status, message)) => Ok(with_status(status, stock_page(&state, &signed_in, form, message, "").await?)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

pub async fn return_stock(State(state): State<AppState>, signed_in: SignedIn, Path(range_id): Path<i64>, axum::Form(form): axum::Form<CsrfOnly>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match rejection_message(state.issuing.return_stock(&signed_in.user, range_id, None).await)? {
        Ok(_) => Ok(page_redirect("/admin/stock?notice=stock_returned")),
        Err((status, message)) => Ok(with_status(status, stock_page(&state, &signed_in, StockForm::default(), message, "").await?)),
    }
}

/// One prefecture and its rollout stage.
struct PrefectureRow {
    code: String,
    name: String,
    stage: &'static str,
    live_since: String,
    live: bool,
    dealer_count: usize,
}

#[derive(askama::Template)]
#[template(path = "admin_prefectures.html")]
struct PrefecturesPage {
    chrome: Chrome,
    rows: Vec<PrefectureRow>,
    error: String,
    notice: &'static str,
}

async fn prefectures_page(state: &AppState, signed_in: &SignedIn, error: String, notice: &str) -> Result<Response, PageError> {
    let scope = area_admin_scope(&signed_in.user)?;
    let all_dealers = dealers::list(state.issuing.store().pool(), None).await?;
    let rows = prefectures_in_scope(state, &scope)
        .await?
        .into_iter()
        .map(|(prefecture, live_since)| PrefectureRow {
            stage: match (live_since.is_empty(), prefecture.pilot) {
                (false, _) => "正式上线",
                (true, true) => "试点",
                (true, false) => "未启用",
            },
            live: !live_since.is_empty(),
            live_since: live_since.get(..10).unwrap_or_default().to_string(),
            dealer_count: all_dealers.iter().filter(|dealer| dealer.prefecture_code == prefecture.code).count(),
            code: prefecture.code,
            name: prefecture.name,
        })
        .collect();
    Ok(render(&PrefecturesPage { chrome: Chrome::new(signed_in, "/admin/prefectures"), rows, error, notice: notice_text(notice) }))
}

pub async fn prefectures(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    prefectures_page(&state, &signed_in, String::new(), &query.notice).await
}

#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf_token: String,
    /// `live` to switch to live, `pilot` to switch back.
    stage: String,
}

pub async fn switch_prefecture(State(state): State<AppState>, signed_in: SignedIn, Path(code): Path<String>, axum::Form(form): axum::Form<SwitchForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let live = form.stage == "live";
    match rejection_message(state.issuing.switch_prefecture(&signed_in.user, &code, live).await)? {
        Ok(_) => {
            tracing::info!(prefecture = %code, live, by = %signed_in.user.username, "prefecture stage switched");
            Ok(page_redirect(if live { "/admin/prefectures?notice=switched_live" } else { "/admin/prefectures?notice=switched_pilot" }))
        }
        Err((status, message)) => Ok(with_status(status, prefectures_page(&state, &signed_in, message, "").await?)),
    }
}
