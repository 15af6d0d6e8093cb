//! The feedback window (信息传递反馈窗口): every user submits and follows the own items; province
//! staff see all of them, answer and close them.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::chrome::Chrome;
use super::session::SignedIn;
use super::{NoticeQuery, PageError, notice_text, page_redirect, render, with_status};
use crate::issuing::{FEEDBACK_CATEGORIES, IssuingError, MAX_FEEDBACK_CHARS, is_province_staff};
use crate::store::feedback::{self, Feedback, FeedbackStatus};
use crate::web::AppState;

fn category_label(code: &str) -> &'static str {
    FEEDBACK_CATEGORIES.iter().find(|(category, _)| *category == code).map(|(_, label)| *label).unwrap_or("其他")
}

fn status_label(status: FeedbackStatus) -> &'static str {
    match status {
        FeedbackStatus::Open => "待答复",
        FeedbackStatus::Answered => "已答复",
        FeedbackStatus::Closed => "已关闭",
    }
}

/// One item as the pages show it.
struct FeedbackRow {
    item: Feedback,
    category: &'static str,
    status: &'static str,
    submitted_on: String,
}

impl FeedbackRow {
    fn new(item: Feedback) -> FeedbackRow {
        FeedbackRow { category: category_label(&item.category), status: status_label(item.status), submitted_on: item.submitted_at.get(..10).unwrap_or_default().to_string(), item }
    }
}

#[derive(askama::Template)]
#[template(path = "feedback_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<FeedbackRow>,
    categories: &'static [(&'static str, &'static str)],
    category: String,
    body: String,
    max_chars: usize,
    staff: bool,
    error: String,
    notice: &'static str,
}

async fn list_page(state: &AppState, signed_in: &SignedIn, category: String, body: String, error: String, notice: &str) -> Result<Response, PageError> {
    let staff = is_province_staff(&signed_in.user);
    let submitter = (!staff).then_some(signed_in.user.username.as_str());
    let rows = feedback::list(state.issuing.store().pool(), submitter).await?.into_iter().map(FeedbackRow::new).collect();
    Ok(render(&ListPage {
        chrome: Chrome::new(signed_in, "/feedback"),
        rows,
        categories: FEEDBACK_CATEGORIES,
        category,
        body,
        max_chars: MAX_FEEDBACK_CHARS,
        staff,
        error,
        notice: notice_text(notice),
    }))
}

pub async fn list(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    list_page(&state, &signed_in, String::new(), String::new(), String::new(), &query.notice).await
}

#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    body: String,
}

pub async fn submit(State(state): State<AppState>, signed_in: SignedIn, axum::Form(form): axum::Form<SubmitForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match state.issuing.submit_feedback(&signed_in.user, &form.category, &form.body).await {
        Ok(item) => Ok(page_redirect(&format!("/feedback/{}?notice=feedback_submitted", item.feedback_id))),
        Err(IssuingError::Rejected(rejection)) => {
            Ok(with_status(rejection.status, list_page(&state, &signed_in, form.category, form.body, rejection.message, "").await?))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "feedback_detail.html")]
struct DetailPage {
    chrome: Chrome,
    row: FeedbackRow,
    staff: bool,
    open: bool,
    error: String,
    notice: &'static str,
}

/// Loads an item the user may read: the own items, or any item for province staff. Others get the
/// same "not found" as a missing item.
async fn readable(state: &AppState, signed_in: &SignedIn, feedback_id: i64) -> Result<Feedback, PageError> {
    let mut conn = state.issuing.store().pool().acquire().await?;
    match feedback::get(&mut conn, feedback_id).await? {
        Some(item) if item.submitted_by == signed_in.user.username || is_province_staff(&signed_in.user) => Ok(item),
        _ => Err(PageError::message(404, format!("未找到反馈 {feedback_id}，请核对后重试"))),
    }
}

async fn detail_page(state: &AppState, signed_in: &SignedIn, feedback_id: i64, error: String, notice: &str) -> Result<Response, PageError> {
    let item = readable(state, signed_in, feedback_id).await?;
    Ok(render(&DetailPage {
        chrome: Chrome::new(signed_in, "/feedback"),
        staff: is_province_staff(&signed_in.user),
        open: item.status != FeedbackStatus::Closed,
        row: FeedbackRow::new(item),
        error,
        notice: notice_text(notice),
    }))
}

pub async fn detail(State(state): State<AppState>, signed_in: SignedIn, Path(feedback_id): Path<i64>, Query(query): Query<NoticeQuery>) -> Result<Response, PageError> {
    detail_page(&state, &signed_in, feedback_id, String::new(), &query.notice).await
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    answer: String,
}

pub async fn answer(State(state): State<AppState>, signed_in: SignedIn, Path(feedback_id): Path<i64>, axum::Form(form): axum::Form<AnswerForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match state.issuing.answer_feedback(&signed_in.user, feedback_id, &form.answer).await {
        Ok(_) => Ok(page_redirect(&format!("/feedback/{feedback_id}?notice=feedback_answered"))),
        Err(IssuingError::Rejected(rejection)) if rejection.status != 403 => detail_page(&state, &signed_in, feedback_id, rejection.message, "").await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn close(State(state): State<AppState>, signed_in: SignedIn, Path(feedback_id): Path<i64>, axum::Form(form): axum::Form<CloseForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    match state.issuing.close_feedback(&signed_in.user, feedback_id).await {
        Ok(_) => Ok(page_redirect(&format!("/feedback/{feedback_id}?notice=feedback_closed"))),
        Err(IssuingError::Rejected(rejection)) if rejection.status != 403 => detail_page(&state, &signed_in, feedback_id, rejection.message, "").await,
        Err(err) => Err(err.into()),
    }
}
