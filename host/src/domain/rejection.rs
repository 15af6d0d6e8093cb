//! A refused request as users see it: a stable English code, the field, and a Chinese message.

use serde::Serialize;

use super::invoice::Finding;

/// A request refused for a reason the user can act on. `status` is the HTTP status of the API response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub field: Option<String>,
    pub message: String,
    /// Every blocking finding when a draft had several; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Finding>,
}

impl Rejection {
    pub fn new(status: u16, code: &str, field: Option<&str>, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            code: code.to_string(),
            field: field.map(str::to_string),
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Builds a 422 from a draft's blocking findings; the first one leads, all are listed.
    pub fn from_findings(findings: Vec<Finding>) -> Rejection {
        let first = findings.first().cloned();
        match first {
            Some(first) => Rejection {
                status: 422,
                code: first.code,
                field: first.field,
                message: first.message,
                details: if findings.len() > 1 { findings } else { Vec::new() },
            },
            None => Rejection::new(422, "draft_invalid", None, "发票内容未通过校验，请检查后重新提交"),
        }
    }

    pub fn not_found(what: &str) -> Rejection {
        Rejection::new(404, "not_found", None, format!("未找到{what}，请核对后重试"))
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} ({})", self.code, self.status)
    }
}
