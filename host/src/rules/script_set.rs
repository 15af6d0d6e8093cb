//! One prefecture's compiled script set and the typed calls the host makes into it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, Map, Scope, AST};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::{Limits, WALL_TIME_EXCEEDED, with_deadline};
use super::{REQUIRED_FUNCTIONS, RuleError};
use crate::domain::invoice::{Finding, FindingLevel};
use crate::domain::money::Fen;
use crate::domain::vat::VatRate;

/// A script file of a set, with the SHA-256 of its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptFile {
    pub path: String,
    pub sha256: String,
}

/// The compiled, checked scripts of one prefecture.
pub struct ScriptSet {
    /// `hubei` for the province set, `hubei/420100` for a prefecture with overrides.
    pub name: String,
    pub files: Vec<ScriptFile>,
    engine: Arc<Engine>,
    ast: AST,
    limits: Limits,
}

/// Purchase tax (车辆购置税) as the scripts compute it: amounts in fen, rate as a decimal string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurchaseTax {
    pub taxable_price: Fen,
    pub rate: String,
    pub relief: Fen,
    pub payable: Fen,
}

/// Offline issuing limits for a dealer (离线开票时限、累计限额、单张限额、张数).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfflineLimits {
    pub max_offline_hours: i64,
    pub max_offline_total: Fen,
    pub max_invoice_amount: Fen,
    pub max_offline_count: i64,
}

/// Returns the `.rhai` files directly inside `dir`, sorted by name.
pub fn rhai_files(dir: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|err| RuleError::Read { path: dir.display().to_string(), message: err.to_string() })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|extension| extension == "rhai"))
        .collect();
    files.sort();
    Ok(files)
}

fn compile_file(engine: &Engine, path: &Path, display: &str) -> Result<(AST, ScriptFile), RuleError> {
    let source = std::fs::read_to_string(path).map_err(|err| RuleError::Read { path: display.to_string(), message: err.to_string() })?;
    let mut ast = engine.compile(&source).map_err(|err| RuleError::Syntax {
        path: display.to_string(),
        line: err.position().line().unwrap_or(0),
        message: err.err_type().to_string(),
    })?;
    ast.set_source(display);
    let sha256 = hex::encode(Sha256::digest(source.as_bytes()));
    Ok((ast, ScriptFile { path: display.to_string(), sha256 }))
}

impl ScriptSet {
    /// Compiles the province's files, then the overrides in `prefecture_dir` (if any), merges them so
    /// that later definitions replace earlier ones, and checks the required functions.
    pub fn compile(engine: Arc<Engine>, limits: Limits, scripts_root: &Path, set_dir: &Path, prefecture_dir: Option<&Path>) -> Result<ScriptSet, RuleError> {
        let display = |path: &Path| path.strip_prefix(scripts_root).unwrap_or(path).display().to_string();
        let mut merged = AST::empty();
        let mut files = Vec::new();

        let mut dirs = vec![set_dir];
        dirs.extend(prefecture_dir);
        for dir in &dirs {
            for path in rhai_files(dir)? {
                let (ast, file) = compile_file(&engine, &path, &display(&path))?;
                merged = merged.merge(&ast);
                files.push(file);
            }
        }

        let name = display(prefecture_dir.unwrap_or(set_dir));
        for (function, arity) in REQUIRED_FUNCTIONS {
            let defined = merged.iter_functions().any(|metadata| metadata.name == *function && metadata.params.len() == *arity);
            if !defined {
                return Err(RuleError::MissingFunction { set: name, function: function.to_string(), arity: *arity });
            }
        }
        Ok(ScriptSet { name, files, engine, ast: merged, limits })
    }

    /// Returns the combined hash of the set's files, in load order.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        for file in &self.files {
            hasher.update(file.path.as_bytes());
            hasher.update(file.sha256.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// Calls `function` with one map argument under the limits. The AST's top-level statements are
    /// not run: scripts keep their logic in functions.
    pub fn call(&self, function: &str, argument: Map) -> Result<Dynamic, RuleError> {
        let span = tracing::debug_span!("rules.call", set = %self.name, function);
        let _entered = span.enter();

        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = with_deadline(self.limits.max_wall_time, || {
            self.engine.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), &self.ast, function, (Dynamic::from_map(argument),))
        });
        result.map_err(|err| {
            let error = self.classify(function, &err);
            tracing::warn!(set = %self.name, function, error = %error, "script call failed");
            error
        })
    }

    fn classify(&self, function: &str, error: &EvalAltResult) -> RuleError {
        // Unwrap nested function calls to the innermost error, which carries the failing line.
        let mut innermost = error;
        let mut source = String::new();
        while let EvalAltResult::ErrorInFunctionCall(_, call_source, inner, _) = innermost {
            if !call_source.is_empty() {
                source = call_source.clone();
            }
            innermost = inner;
        }
        let line = innermost.position().line().unwrap_or(0);
        let place = if source.is_empty() { self.name.clone() } else { format!("{} ({source})", self.name) };
        let message = innermost.to_string();
        let is_limit = match innermost {
            EvalAltResult::ErrorTooManyOperations(_) | EvalAltResult::ErrorStackOverflow(_) | EvalAltResult::ErrorDataTooLarge(..) => true,
            EvalAltResult::ErrorTerminated(value, _) => value.clone().into_string().is_ok_and(|text| text == WALL_TIME_EXCEEDED),
            _ => false,
        };
        if is_limit {
            RuleError::Limit { set: place, function: function.to_string(), line, message }
        } else {
            RuleError::Runtime { set: place, function: function.to_string(), line, message }
        }
    }

    fn invalid(&self, function: &str, message: String) -> RuleError {
        RuleError::InvalidResult { set: self.name.clone(), function: function.to_string(), message }
    }

    /// `vat_rate(invoice)`: a decimal string such as "0.13".
    pub fn vat_rate(&self, invoice: Map) -> Result<VatRate, RuleError> {
        let value = self.call("vat_rate", invoice)?;
        let text = value.clone().into_string().map_err(|kind| self.invalid("vat_rate", format!("expected a string such as \"0.13\", got {kind}")))?;
        VatRate::parse(&text).map_err(|err| self.invalid("vat_rate", format!("{text:?} is not a VAT rate: {err}")))
    }

    /// `validate(invoice)`: an array of findings `#{level, code, field, message}`.
    pub fn validate(&self, invoice: Map) -> Result<Vec<Finding>, RuleError> {
        let value = self.call("validate", invoice)?;
        let items = value.into_array().map_err(|kind| self.invalid("validate", format!("expected an array of findings, got {kind}")))?;
        items.into_iter().enumerate().map(|(index, item)| self.finding(index, item)).collect()
    }

    fn finding(&self, index: usize, item: Dynamic) -> Result<Finding, RuleError> {
        let invalid = |message: String| self.invalid("validate", format!("finding {index}: {message}"));
        let map = item.try_cast::<Map>().ok_or_else(|| invalid("expected a map #{level, code, field, message}".to_string()))?;
        let text = |key: &str| -> Result<String, RuleError> {
            map.get(key).and_then(|value| value.clone().into_string().ok()).ok_or_else(|| invalid(format!("{key} must be a string")))
        };

        let level = match text("level")?.as_str() {
            "error" => FindingLevel::Error,
            "warning" => FindingLevel::Warning,
            "flag" => FindingLevel::Flag,
            other => return Err(invalid(format!("level {other:?} must be error, warning or flag"))),
        };
        let code = text("code")?;
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(invalid(format!("code {code:?} must be snake_case")));
        }
        let message = text("message")?;
        if message.trim().is_empty() {
            return Err(invalid("message must not be empty".to_string()));
        }
        let field = match map.get("field") {
            None => None,
            Some(value) if value.is_unit() => None,
            Some(value) => Some(value.clone().into_string().map_err(|_| invalid("field must be a string or ()".to_string()))?),
        };
        Ok(Finding { level, code, field: field.filter(|field| !field.is_empty()), message })
    }

    fn fen_field(&self, function: &str, map: &Map, key: &str) -> Result<Fen, RuleError> {
        let value = map.get(key).and_then(|value| value.as_int().ok()).ok_or_else(|| self.invalid(function, format!("{key} must be an integer amount in fen")))?;
        if value < 0 {
            return Err(self.invalid(function, format!("{key} must not be negative, got {value}")));
        }
        Ok(Fen(value))
    }

    /// `purchase_tax(invoice)`: `#{taxable_price, rate, relief, payable}`.
    pub fn purchase_tax(&self, invoice: Map) -> Result<PurchaseTax, RuleError> {
        let value = self.call("purchase_tax", invoice)?;
        let map = value.try_cast::<Map>().ok_or_else(|| self.invalid("purchase_tax", "expected a map #{taxable_price, rate, relief, payable}".to_string()))?;
        let rate = map
            .get("rate")
            .and_then(|value| value.clone().into_string().ok())
            .filter(|rate| VatRate::parse(rate).is_ok())
            .ok_or_else(|| self.invalid("purchase_tax", "rate must be a decimal string such as \"0.10\"".to_string()))?;
        Ok(PurchaseTax {
            taxable_price: self.fen_field("purchase_tax", &map, "taxable_price")?,
            rate,
            relief: self.fen_field("purchase_tax", &map, "relief")?,
            payable: self.fen_field("purchase_tax", &map, "payable")?,
        })
    }

    /// `offline_limits(dealer)`.
    pub fn offline_limits(&self, dealer: Map) -> Result<OfflineLimits, RuleError> {
        let value = self.call("offline_limits", dealer)?;
        let map = value.try_cast::<Map>().ok_or_else(|| self.invalid("offline_limits", "expected a map".to_string()))?;
        let count = |key: &str| -> Result<i64, RuleError> {
            map.get(key).and_then(|value| value.as_int().ok()).filter(|value| *value >= 0).ok_or_else(|| self.invalid("offline_limits", format!("{key} must be a non-negative integer")))
        };
        Ok(OfflineLimits {
            max_offline_hours: count("max_offline_hours")?,
            max_offline_total: self.fen_field("offline_limits", &map, "max_offline_total")?,
            max_invoice_amount: self.fen_field("offline_limits", &map, "max_invoice_amount")?,
            max_offline_count: count("max_offline_count")?,
        })
    }
}
