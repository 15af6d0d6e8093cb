//! The feedback window (信息传递反馈窗口): any user submits a problem or suggestion; province staff
//! answer and close it; the submitter reads the answer.

use super::{Actor, Issuing, IssuingError};
use crate::domain::rejection::Rejection;
use crate::store::feedback::{self, Feedback, FeedbackStatus};
use crate::store::prefectures::PROVINCE_CODE;
use crate::store::users::Role;
use crate::store::writer::{JobFuture, JobOutput, WriteContext, WriteJob};

/// Categories a submitter picks from: stored code and Chinese label.
pub const FEEDBACK_CATEGORIES: &[(&str, &str)] = &[("fault", "系统故障"), ("question", "业务咨询"), ("suggestion", "功能建议"), ("other", "其他")];

/// Longest text of a submission or an answer, in characters.
pub const MAX_FEEDBACK_CHARS: usize = 2000;

/// Returns true for province staff, who answer and close feedback: the province administrator and
/// officers with the province code.
pub fn is_province_staff(actor: &Actor) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Officer && actor.prefecture_code.as_deref() == Some(PROVINCE_CODE))
}

fn check_feedback_text(field: &str, label: &str, text: &str) -> Result<(), Rejection> {
    let length = text.trim().chars().count();
    if length == 0 {
        return Err(Rejection::new(422, "field_required", Some(field), format!("{label}不能为空，请填写")));
    }
    if length > MAX_FEEDBACK_CHARS {
        return Err(Rejection::new(422, "field_too_long", Some(field), format!("{label}过长（{length} 个字符），最多 {MAX_FEEDBACK_CHARS} 个字符，请删减")));
    }
    Ok(())
}

#[derive(Clone)]
struct SubmitJob {
    actor: String,
    category: String,
    body: String,
}

impl WriteJob for SubmitJob {
    fn name(&self) -> &'static str {
        "feedback.submit"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let submitted_at = ctx.now_rfc3339();
            let item = feedback::insert(ctx.conn(), &self.actor, &self.category, &self.body, &submitted_at).await?;
            ctx.record(&self.actor, "feedback.submitted", &item.entity_key(), &item).await?;
            Ok(JobOutput::json(201, &item))
        })
    }
}

/// What province staff do to an item.
#[derive(Clone)]
enum Reply {
    Answer(String),
    Close,
}

#[derive(Clone)]
struct ReplyJob {
    actor: String,
    feedback_id: i64,
    reply: Reply,
}

impl WriteJob for ReplyJob {
    fn name(&self) -> &'static str {
        "feedback.reply"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let Some(mut item) = feedback::get(ctx.conn(), self.feedback_id).await? else {
                return Err(Rejection::not_found(&format!("反馈 {}", self.feedback_id)).into());
            };
            if item.status == FeedbackStatus::Closed {
                return Err(Rejection::new(409, "feedback_closed", None, format!("反馈 {} 已关闭，不能再答复或关闭；如有新问题请重新提交", self.feedback_id)).into());
            }
            let action = match self.reply {
                Reply::Answer(answer) => {
                    item.answer = answer;
                    item.answered_by = self.actor.clone();
                    item.answered_at = ctx.now_rfc3339();
                    item.status = FeedbackStatus::Answered;
                    "feedback.answered"
                }
                Reply::Close => {
                    item.status = FeedbackStatus::Closed;
                    "feedback.closed"
                }
            };
            feedback::update(ctx.conn(), &item).await?;
            ctx.record(&self.actor, action, &item.entity_key(), &item).await?;
            Ok(JobOutput::json(200, &item))
        })
    }
}

fn require_province_staff(actor: &Actor) -> Result<(), Rejection> {
    if is_province_staff(actor) {
        Ok(())
    } else {
        Err(Rejection::new(403, "role_not_allowed", None, "只有省局工作人员可以答复或关闭反馈"))
    }
}

impl Issuing {
    pub async fn submit_feedback(&self, actor: &Actor, category: &str, body: &str) -> Result<Feedback, IssuingError> {
        if !FEEDBACK_CATEGORIES.iter().any(|(code, _)| *code == category) {
            return Err(Rejection::new(422, "category_invalid", Some("category"), "请选择反馈类别：系统故障、业务咨询、功能建议或其他").into());
        }
        check_feedback_text("body", "反馈内容", body)?;
        let job = SubmitJob { actor: actor.username.clone(), category: category.to_string(), body: body.trim().to_string() };
        parse_feedback(self.writer.submit(Box::new(job), None).await?)
    }

    pub async fn answer_feedback(&self, actor: &Actor, feedback_id: i64, answer: &str) -> Result<Feedback, IssuingError> {
        require_province_staff(actor)?;
        check_feedback_text("answer", "答复内容", answer)?;
        let job = ReplyJob { actor: actor.username.clone(), feedback_id, reply: Reply::Answer(answer.trim().to_string()) };
        parse_feedback(self.writer.submit(Box::new(job), None).await?)
    }

    pub async fn close_feedback(&self, actor: &Actor, feedback_id: i64) -> Result<Feedback, IssuingError> {
        require_province_staff(actor)?;
        let job = ReplyJob { actor: actor.username.clone(), feedback_id, reply: Reply::Close };
        parse_feedback(self.writer.submit(Box::new(job), None).await?)
    }
}

fn parse_feedback(output: JobOutput) -> Result<Feedback, IssuingError> {
    serde_json::from_str(&output.body)
        .map_err(|err| IssuingError::Store(crate::store::StoreError::Corrupt(format!("feedback job returned invalid JSON: {err}"))))
}
