//! Provincial rules as Rhai scripts, one script set per prefecture, hot-reloaded.
//!
//! A script set is the province's scripts (`scripts/<set>/*.rhai`) merged with the prefecture's
//! overrides (`scripts/<set>/<prefecture code>/*.rhai`): a function the prefecture defines replaces
//! the province's function of the same name and arity. The host calls functions with fixed names
//! (see [`REQUIRED_FUNCTIONS`]); national standards stay in Rust and are offered to scripts as
//! host functions (see `engine`).

pub mod authoring;
mod convert;
mod engine;
mod reference;
mod registry;
mod script_set;
mod testcases;

pub use convert::{dealer_map, draft_map, invoice_map, validated_map};
pub use engine::Limits;
pub use reference::ReferenceTables;
pub use registry::{Rules, ScriptStatus};
pub use script_set::{OfflineLimits, PurchaseTax, ScriptSet};
pub use testcases::{TestOutcome, run_test_cases};

/// Functions every script set must define, with their arity.
pub const REQUIRED_FUNCTIONS: &[(&str, usize)] = &[("validate", 1), ("vat_rate", 1), ("purchase_tax", 1), ("offline_limits", 1)];

/// A script failure, always naming the script set and function, and the file and line when known.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuleError {
    #[error("failed to read {path}: {message}")]
    Read { path: String, message: String },
    #[error("syntax error in {path} line {line}: {message}")]
    Syntax { path: String, line: usize, message: String },
    #[error("script set {set} lacks function {function} with {arity} parameter(s)")]
    MissingFunction { set: String, function: String, arity: usize },
    #[error("script set {set}, function {function}, line {line}: {message}")]
    Runtime { set: String, function: String, line: usize, message: String },
    #[error("script set {set}, function {function}: limit exceeded: {message}")]
    Limit { set: String, function: String, line: usize, message: String },
    #[error("script set {set}, function {function}: invalid result: {message}")]
    InvalidResult { set: String, function: String, message: String },
    #[error("script set {set}: test case {case} failed: {message}")]
    TestFailed { set: String, case: String, message: String },
}

impl RuleError {
    /// Returns a Chinese message for the error body of a request that the script failure stopped.
    pub fn message_zh(&self) -> String {
        match self {
            RuleError::Limit { set, function, .. } => {
                format!("规则脚本 {set} 的 {function} 函数超出资源限制，已停止执行；请联系信息中心检查脚本")
            }
            RuleError::Runtime { set, function, line, .. } => {
                format!("规则脚本 {set} 的 {function} 函数第 {line} 行执行出错；请联系信息中心检查脚本")
            }
            other => format!("规则脚本出错：{other}；请联系信息中心检查脚本"),
        }
    }
}
