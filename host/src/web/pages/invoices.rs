//! Invoice pages: the issue form with live checks and a confirmation step, the list and search,
//! an invoice's detail with its ledger history, void and credit, the dealer's stock, and the
//! officer's lookup by code and number or by VIN.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::chrome::{Chrome, action_label, status_label};
use super::session::SignedIn;
use super::{NoticeQuery, PageError, notice_text, page_redirect, render, with_status};
use crate::domain::invoice::{DRAFT_FIELDS, Invoice, InvoiceKind, InvoiceStatus, invoice_entity_key};
use crate::domain::rejection::Rejection;
use crate::issuing::{DraftPreview, InvoiceView, IssuingError, clerk_dealer, restrict_search};
use crate::store::idempotency::IdempotencyClaim;
use crate::store::invoices::{self, InvoiceFilter};
use crate::store::users::{Role, new_token};
use crate::rules::PurchaseTax;
use crate::store::declarations::{self, Declaration, DeclarationState, declaration_entity_key};
use crate::store::{dealers, ledger, stock};
use crate::web::AppState;
use crate::web::api::print::{parse_format, parse_mode, printed_response};
use crate::web::draft::parse_draft;
use crate::web::error::rejection_response;

/// Rows per page of the invoice list.
const PAGE_SIZE: i64 = 20;

/// The seller block of the issue form, from the dealer's registration.
struct Seller {
    name: String,
    taxpayer_id: String,
    phone: String,
    address: String,
    bank: String,
    account: String,
    tax_authority: String,
}

#[derive(askama::Template)]
#[template(path = "issue_form.html")]
struct IssueForm {
    chrome: Chrome,
    seller: Seller,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    /// Messages of findings without a field, or of a rejection the write transaction raised.
    general_errors: Vec<String>,
    remaining: i64,
    stock_warning: String,
}

impl IssueForm {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

#[derive(askama::Template)]
#[template(path = "issue_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    preview: DraftPreview,
    values: Vec<(String, String)>,
    idempotency_key: String,
    warnings: Vec<String>,
}

/// Reads the draft fields of a urlencoded form, keeping the CSRF token and idempotency key apart.
struct PostedDraft {
    fields: BTreeMap<String, String>,
    csrf_token: String,
    idempotency_key: String,
}

fn posted_draft(pairs: Vec<(String, String)>) -> PostedDraft {
    let mut posted = PostedDraft { fields: BTreeMap::new(), csrf_token: String::new(), idempotency_key: String::new() };
    for (name, value) in pairs {
        match name.as_str() {
            "csrf_token" => posted.csrf_token = value,
            "idempotency_key" => posted.idempotency_key = value,
            field if DRAFT_FIELDS.contains(&field) => {
                posted.fields.insert(name, value);
            }
            _ => {}
        }
    }
    posted
}

/// Turns the form fields into the JSON body the API takes, so the page and the API share one parser.
fn draft_json(fields: &BTreeMap<String, String>) -> Vec<u8> {
    let object: Map<String, Value> = fields.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
    serde_json::to_vec(&Value::Object(object)).expect("a map of strings serialises")
}

/// Loads the clerk's seller block and remaining stock for the form.
async fn issue_form(state: &AppState, signed_in: &SignedIn, values: BTreeMap<String, String>, rejection: Option<&Rejection>) -> Result<IssueForm, PageError> {
    let dealer_id = clerk_dealer(&signed_in.user)?;
    let mut conn = state.issuing.store().pool().acquire().await?;
    let dealer = dealers::get(&mut conn, dealer_id).await?.ok_or_else(|| PageError::message(409, format!("开票员所属销货单位 {dealer_id} 不存在，请联系管理员")))?;
    drop(conn);
    let ranges = stock::list(state.issuing.store().pool(), Some(dealer_id)).await?;
    let remaining: i64 = ranges.iter().map(stock::StockRange::remaining).sum();

    let mut errors = BTreeMap::new();
    let mut general_errors = Vec::new();
    if let Some(rejection) = rejection {
        let findings = if rejection.details.is_empty() {
            vec![(rejection.field.clone(), rejection.message.clone())]
        } else {
            rejection.details.iter().map(|finding| (finding.field.clone(), finding.message.clone())).collect()
        };
        for (field, message) in findings {
            match field.filter(|field| DRAFT_FIELDS.contains(&field.as_str())) {
                Some(field) => {
                    errors.entry(field).or_insert(message);
                }
                None => general_errors.push(message),
            }
        }
    }

    Ok(IssueForm {
        chrome: Chrome::new(signed_in, "/invoices/new"),
        seller: Seller {
            name: dealer.name,
            taxpayer_id: dealer.taxpayer_id,
            phone: dealer.phone,
            address: dealer.address,
            bank: dealer.bank,
            account: dealer.account,
            tax_authority: format!("{} {}", dealer.tax_authority_name, dealer.tax_authority_code).trim().to_string(),
        },
        values,
        errors,
        general_errors,
        remaining,
        stock_warning: stock::low_stock_warning(remaining).unwrap_or_default(),
    })
}

pub async fn new_form(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let mut values = BTreeMap::new();
    values.insert("seating_capacity".to_string(), String::new());
    Ok(render(&issue_form(&state, &signed_in, values, None).await?))
}

/// Checks the submitted form: shows the confirmation with the computed amounts, or the form again
/// with each error beside its field.
pub async fn check(State(state): State<AppState>, signed_in: SignedIn, axum::Form(pairs): axum::Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let posted = posted_draft(pairs);
    signed_in.check_csrf(&posted.csrf_token)?;
    let preview = match parse_draft(&draft_json(&posted.fields)) {
        Ok(draft) => state.issuing.preview(&signed_in.user, draft).await,
        Err(rejection) => Err(IssuingError::Rejected(rejection)),
    };
    match preview {
        Ok(preview) => {
            let warnings = preview.findings.iter().map(|finding| finding.message.clone()).collect();
            let values = DRAFT_FIELDS.iter().map(|field| (field.to_string(), posted.fields.get(*field).cloned().unwrap_or_default())).collect();
            Ok(render(&ConfirmPage { chrome: Chrome::new(&signed_in, "/invoices/new"), preview, values, idempotency_key: new_token(), warnings }))
        }
        Err(IssuingError::Rejected(rejection)) => Ok(with_status(422, render(&issue_form(&state, &signed_in, posted.fields, Some(&rejection)).await?))),
        Err(err) => Err(err.into()),
    }
}

/// Shows the form again with the values from the confirmation page ("返回修改").
pub async fn edit(State(state): State<AppState>, signed_in: SignedIn, axum::Form(pairs): axum::Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let posted = posted_draft(pairs);
    signed_in.check_csrf(&posted.csrf_token)?;
    Ok(render(&issue_form(&state, &signed_in, posted.fields, None).await?))
}

/// Issues the confirmed draft. The confirmation page carries an idempotency key, so a second click
/// or a reload returns the first invoice instead of taking another number.
pub async fn issue(State(state): State<AppState>, signed_in: SignedIn, axum::Form(pairs): axum::Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let posted = posted_draft(pairs);
    signed_in.check_csrf(&posted.csrf_token)?;
    let body = draft_json(&posted.fields);
    let claim = (!posted.idempotency_key.is_empty()).then(|| IdempotencyClaim::new(&signed_in.user.username, &posted.idempotency_key, "POST", "/invoices/new", &body));
    let result = match parse_draft(&body) {
        Ok(draft) => state.issuing.issue(&signed_in.user, draft, claim).await,
        Err(rejection) => Err(IssuingError::Rejected(rejection)),
    };
    match result {
        Ok(output) => {
            let view: InvoiceView = serde_json::from_str(&output.body)
                .map_err(|err| PageError::from(crate::store::StoreError::Corrupt(format!("issue returned invalid JSON: {err}"))))?;
            let invoice = view.invoice;
            Ok(page_redirect(&format!("/invoices/{}/{}?notice=issued", invoice.invoice_code, invoice.invoice_number)))
        }
        Err(IssuingError::Rejected(rejection)) => Ok(with_status(422, render(&issue_form(&state, &signed_in, posted.fields, Some(&rejection)).await?))),
        Err(err) => Err(err.into()),
    }
}

/// Checks a draft as the clerk types (JSON in, JSON out, like the API): 200 with the computed
/// amounts, or the API's error body listing every blocking finding.
pub async fn preview(State(state): State<AppState>, signed_in: SignedIn, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let token = headers.get("x-csrf-token").and_then(|value| value.to_str().ok()).unwrap_or("");
    signed_in.check_csrf(token)?;
    let draft = match parse_draft(&body) {
        Ok(draft) => draft,
        Err(rejection) => return Ok(rejection_response(&rejection)),
    };
    match state.issuing.preview(&signed_in.user, draft).await {
        Ok(preview) => Ok(Json(preview).into_response()),
        Err(IssuingError::Rejected(rejection)) => Ok(rejection_response(&rejection)),
        Err(err) => Err(err.into()),
    }
}

/// Query of the invoice list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    vin: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    notice: String,
}

/// One row of an invoice table.
struct InvoiceRow {
    invoice_code: String,
    invoice_number: String,
    issue_date: String,
    buyer_name: String,
    vin: String,
    total_amount: String,
    status: &'static str,
    seller_name: String,
}

impl InvoiceRow {
    fn new(invoice: &Invoice) -> InvoiceRow {
        InvoiceRow {
            invoice_code: invoice.invoice_code.clone(),
            invoice_number: invoice.invoice_number.clone(),
            issue_date: invoice.issue_date.to_string(),
            buyer_name: invoice.buyer_name.clone(),
            vin: invoice.vin.clone(),
            total_amount: invoice.total_amount.to_string(),
            status: status_label(invoice),
            seller_name: invoice.seller_name.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "invoice_list.html")]
struct ListPage {
    chrome: Chrome,
    vin: String,
    from: String,
    to: String,
    error: String,
    notice: &'static str,
    rows: Vec<InvoiceRow>,
    total: i64,
    page: i64,
    pages: i64,
    stock_warning: String,
    is_clerk: bool,
    query_base: String,
}

fn parse_date(label: &str, text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| format!("{label}“{text}”格式不正确，应为 YYYY-MM-DD，例如 2017-07-19"))
}

pub async fn list(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<ListQuery>) -> Result<Response, PageError> {
    let actor = &signed_in.user;
    let page = query.page.unwrap_or(1).max(1);
    let dates = parse_date("开始日期", &query.from).and_then(|from| Ok((from, parse_date("结束日期", &query.to)?)));
    let (rows, total, error) = match dates {
        Err(error) => (Vec::new(), 0, error),
        Ok((from, to)) => {
            let vin = query.vin.trim().to_uppercase();
            let mut filter = InvoiceFilter { vin: (!vin.is_empty()).then_some(vin), from, to, ..InvoiceFilter::default() };
            if restrict_search(actor, &mut filter) {
                let found = invoices::search(state.issuing.store().pool(), &filter, page, PAGE_SIZE).await?;
                (found.invoices.iter().map(InvoiceRow::new).collect(), found.total, String::new())
            } else {
                (Vec::new(), 0, String::new())
            }
        }
    };

    let is_clerk = actor.role == Role::DealerClerk;
    let stock_warning = match (&actor.dealer_id, actor.role) {
        (Some(dealer_id), Role::DealerClerk | Role::DealerAdmin) => {
            let ranges = stock::list(state.issuing.store().pool(), Some(dealer_id)).await?;
            stock::low_stock_warning(ranges.iter().map(stock::StockRange::remaining).sum()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let query_base = format!(
        "/invoices?vin={}&from={}&to={}",
        super::percent_encode(query.vin.trim()),
        super::percent_encode(query.from.trim()),
        super::percent_encode(query.to.trim())
    );
    Ok(render(&ListPage {
        chrome: Chrome::new(&signed_in, "/invoices"),
        vin: query.vin,
        from: query.from,
        to: query.to,
        error,
        notice: notice_text(&query.notice),
        rows,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        stock_warning,
        is_clerk,
        query_base,
    }))
}

/// One ledger entry of an invoice, as the history table shows it.
struct HistoryRow {
    seq: i64,
    recorded_at: String,
    actor: String,
    action: String,
    status: String,
    hash: String,
}

#[derive(askama::Template)]
#[template(path = "invoice_detail.html")]
pub(super) struct DetailPage {
    chrome: Chrome,
    invoice: Invoice,
    status: &'static str,
    is_credit: bool,
    history: Vec<HistoryRow>,
    can_void: bool,
    can_credit: bool,
    /// The invoice's declaration, live or revoked.
    declaration: Option<Declaration>,
    /// Purchase tax as the rule scripts compute it now, or the reason it could not be computed;
    /// shown to officers and administrators.
    purchase_tax: Option<Result<PurchaseTax, String>>,
    can_declare: bool,
    can_revoke: bool,
    notice: &'static str,
    error: String,
}

/// Builds the detail page; `error` is shown at the top when a form on it was rejected.
pub(super) async fn detail_page(state: &AppState, signed_in: &SignedIn, code: &str, number: &str, notice: &str, error: String) -> Result<DetailPage, PageError> {
    let invoice = state.issuing.find_invoice(&signed_in.user, code, number).await?;
    let declaration = {
        let mut conn = state.issuing.store().pool().acquire().await?;
        declarations::get(&mut conn, code, number).await?
    };
    let history = history_rows(state, code, number).await?;

    let role = signed_in.user.role;
    let is_clerk = role == Role::DealerClerk;
    let is_officer = role == Role::Officer;
    let live = invoice.status == InvoiceStatus::Issued;
    let normal = invoice.kind == InvoiceKind::Normal;
    let declared = declaration.as_ref().is_some_and(Declaration::is_live);

    let purchase_tax = if normal && matches!(role, Role::Officer | Role::PrefectureAdmin | Role::Admin) {
        Some(state.issuing.purchase_tax(&invoice).await.map_err(|err| match err {
            IssuingError::Rejected(rejection) => rejection.message,
            other => other.to_string(),
        }))
    } else {
        None
    };

    Ok(DetailPage {
        chrome: Chrome::new(signed_in, "/invoices"),
        status: status_label(&invoice),
        is_credit: invoice.kind == InvoiceKind::Credit,
        can_void: is_clerk && live && !declared,
        can_credit: is_clerk && live && normal,
        can_declare: is_officer && live && normal && !declared,
        can_revoke: is_officer && declared,
        declaration,
        purchase_tax,
        history,
        invoice,
        notice: notice_text(notice),
        error,
    })
}

/// Merges the ledger entries of the invoice and of its declaration in ledger order.
async fn history_rows(state: &AppState, code: &str, number: &str) -> Result<Vec<HistoryRow>, PageError> {
    let pool = state.issuing.store().pool();
    let mut entries = ledger::history(pool, &invoice_entity_key(code, number)).await?;
    entries.extend(ledger::history(pool, &declaration_entity_key(code, number)).await?);
    entries.sort_by_key(|entry| entry.seq);

    let rows = entries
        .into_iter()
        .map(|entry| {
            let status = if let Ok(invoice) = serde_json::from_str::<Invoice>(&entry.payload) {
                status_label(&invoice).to_string()
            } else if let Ok(declaration) = serde_json::from_str::<Declaration>(&entry.payload) {
                declaration_label(&declaration)
            } else {
                String::new()
            };
            HistoryRow { seq: entry.seq, recorded_at: entry.recorded_at, actor: entry.actor, action: action_label(&entry.action), status, hash: entry.hash[..16].to_string() }
        })
        .collect();
    Ok(rows)
}

fn declaration_label(declaration: &Declaration) -> String {
    match declaration.state {
        DeclarationState::Declared => format!("已申报（编号 {}）", declaration.declaration_number),
        DeclarationState::Revoked => format!("申报已撤销（编号 {}）", declaration.declaration_number),
    }
}

pub async fn detail(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    Ok(render(&detail_page(&state, &signed_in, &code, &number, &query.notice, String::new()).await?))
}

#[derive(Debug, Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn void(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, axum::Form(form): axum::Form<VoidForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match state.issuing.void(&signed_in.user, &code, &number, None).await {
        Ok(_) => Ok(page_redirect(&format!("/invoices/{code}/{number}?notice=voided"))),
        Err(IssuingError::Rejected(rejection)) if rejection.status != 404 => {
            Ok(with_status(rejection.status, render(&detail_page(&state, &signed_in, &code, &number, "", rejection.message).await?)))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CreditForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

pub async fn credit(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, axum::Form(form): axum::Form<CreditForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match state.issuing.credit(&signed_in.user, &code, &number, form.reason, None).await {
        Ok(output) => {
            let view: InvoiceView = serde_json::from_str(&output.body)
                .map_err(|err| PageError::from(crate::store::StoreError::Corrupt(format!("credit returned invalid JSON: {err}"))))?;
            Ok(page_redirect(&format!("/invoices/{}/{}?notice=credited", view.invoice.invoice_code, view.invoice.invoice_number)))
        }
        Err(IssuingError::Rejected(rejection)) if rejection.status != 404 => {
            Ok(with_status(rejection.status, render(&detail_page(&state, &signed_in, &code, &number, "", rejection.message).await?)))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "stock.html")]
struct StockPage {
    chrome: Chrome,
    dealer_id: String,
    remaining: i64,
    warning: String,
    ranges: Vec<stock::StockRangeView>,
}

impl StockPage {
    fn state_label(&self, state: &stock::StockState) -> &'static str {
        super::chrome::stock_state_label(*state)
    }
}

pub async fn stock(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let Some(dealer_id) = signed_in.user.dealer_id.clone() else {
        return Err(PageError::message(403, "只有销货单位的用户可以查看本单位发票库存"));
    };
    let ranges = stock::list(state.issuing.store().pool(), Some(&dealer_id)).await?;
    let remaining = ranges.iter().map(stock::StockRange::remaining).sum();
    Ok(render(&StockPage {
        chrome: Chrome::new(&signed_in, "/stock"),
        dealer_id,
        remaining,
        warning: stock::low_stock_warning(remaining).unwrap_or_default(),
        ranges: ranges.iter().map(stock::StockRange::view).collect(),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    vin: String,
}

#[derive(askama::Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    chrome: Chrome,
    code: String,
    number: String,
    vin: String,
    searched: bool,
    error: String,
    rows: Vec<InvoiceRow>,
}

/// Looks an invoice up by code and number (opens it) or by VIN (lists every invoice of the vehicle,
/// voided and credited ones included), within the user's scope.
pub async fn lookup(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<LookupQuery>) -> Result<Response, PageError> {
    let code = query.code.trim().to_string();
    let number = query.number.trim().to_string();
    let vin = query.vin.trim().to_uppercase();
    let mut page = LookupPage { chrome: Chrome::new(&signed_in, "/lookup"), code: code.clone(), number: number.clone(), vin: vin.clone(), searched: false, error: String::new(), rows: Vec::new() };

    if !code.is_empty() || !number.is_empty() {
        page.searched = true;
        if code.len() != 12 || !code.chars().all(|c| c.is_ascii_digit()) {
            page.error = format!("发票代码“{code}”应为 12 位数字，请核对");
        } else if number.len() != 8 || !number.chars().all(|c| c.is_ascii_digit()) {
            page.error = format!("发票号码“{number}”应为 8 位数字（保留前导零），请核对");
        } else {
            match state.issuing.find_invoice(&signed_in.user, &code, &number).await {
                Ok(_) => return Ok(page_redirect(&format!("/invoices/{code}/{number}"))),
                Err(IssuingError::Rejected(rejection)) => page.error = rejection.message,
                Err(err) => return Err(err.into()),
            }
        }
    } else if !vin.is_empty() {
        page.searched = true;
        let mut filter = InvoiceFilter { vin: Some(vin), ..InvoiceFilter::default() };
        if restrict_search(&signed_in.user, &mut filter) {
            let found = invoices::search(state.issuing.store().pool(), &filter, 1, 100).await?;
            page.rows = found.invoices.iter().map(InvoiceRow::new).collect();
        }
    }
    Ok(render(&page))
}

#[derive(Debug, Default, Deserialize)]
pub struct PrintQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    mode: Option<String>,
}

/// Prints an invoice through the prefecture's printer plugin, like the API's print route: a PDF
/// preview shown in the browser, or ESC/P bytes to download for the dot-matrix printer.
pub async fn print(State(state): State<AppState>, signed_in: SignedIn, Path((code, number)): Path<(String, String)>, Query(query): Query<PrintQuery>) -> Result<Response, PageError> {
    let format = parse_format(query.format.as_deref())?;
    let mode = parse_mode(query.mode.as_deref())?;
    let Some(host) = state.plugins.as_deref() else {
        return Err(PageError::message(503, "本服务未启用打印插件，请联系系统管理员"));
    };
    let invoice = state.issuing.find_invoice(&signed_in.user, &code, &number).await?;
    let printed = host.print_invoice(&invoice, format, mode, None).await.map_err(Rejection::from)?;
    Ok(printed_response(printed, &format!("{code}-{number}")))
}
