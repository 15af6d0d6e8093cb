//! Tools for script authors: check and test a script set directory, and dry-run a candidate set
//! against stored invoices to see what it would change, without changing anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::engine::{Limits, build_engine};
use super::reference::ReferenceTables;
use super::script_set::ScriptSet;
use super::testcases::{TestOutcome, run_test_cases};
use super::{RuleError, invoice_map};
use crate::domain::invoice::{InvoiceKind, InvoiceStatus};
use crate::store::invoices::{self, InvoiceFilter};
use crate::store::{Store, StoreError, dealers};

/// Returns the prefecture override directories of a set: subdirectories named by a 6-digit code.
pub fn override_dirs(set_dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(set_dir) else { return Vec::new() };
    let mut dirs: Vec<(String, PathBuf)> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_dir())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            (name.len() == 6 && name.chars().all(|c| c.is_ascii_digit())).then_some((name, path))
        })
        .collect();
    dirs.sort();
    dirs
}

fn engine(config_dir: &Path) -> Result<Arc<rhai::Engine>, RuleError> {
    let reference = ReferenceTables::load(&config_dir.join("reference"))?;
    Ok(Arc::new(build_engine(Limits::default(), Arc::new(reference))))
}

fn scripts_root(set_dir: &Path) -> &Path {
    set_dir.parent().unwrap_or(set_dir)
}

/// Compiles the province set in `set_dir` and each prefecture override on top of it.
pub fn check_dir(set_dir: &Path, config_dir: &Path) -> Result<Vec<(String, Result<ScriptSet, RuleError>)>, RuleError> {
    let engine = engine(config_dir)?;
    let root = scripts_root(set_dir);
    let mut results = vec![(set_dir.display().to_string(), ScriptSet::compile(engine.clone(), Limits::default(), root, set_dir, None))];
    for (code, dir) in override_dirs(set_dir) {
        results.push((code, ScriptSet::compile(engine.clone(), Limits::default(), root, set_dir, Some(&dir))));
    }
    Ok(results)
}

/// Runs the province's test cases on the province set and each prefecture's on its merged set.
pub fn test_dir(set_dir: &Path, config_dir: &Path) -> Result<Vec<(String, Vec<TestOutcome>)>, RuleError> {
    let engine = engine(config_dir)?;
    let root = scripts_root(set_dir);
    let province = ScriptSet::compile(engine.clone(), Limits::default(), root, set_dir, None)?;
    let mut results = vec![(province.name.clone(), run_test_cases(&province, &set_dir.join("tests"), "420000")?)];
    for (code, dir) in override_dirs(set_dir) {
        let merged = ScriptSet::compile(engine.clone(), Limits::default(), root, set_dir, Some(&dir))?;
        results.push((merged.name.clone(), run_test_cases(&merged, &dir.join("tests"), &code)?));
    }
    Ok(results)
}

/// Compiles the candidate set a prefecture would get from `set_dir`.
pub fn candidate_for(set_dir: &Path, config_dir: &Path, prefecture_code: &str) -> Result<ScriptSet, RuleError> {
    let engine = engine(config_dir)?;
    let prefecture_dir = set_dir.join(prefecture_code);
    let overrides = prefecture_dir.is_dir().then_some(prefecture_dir.as_path());
    ScriptSet::compile(engine, Limits::default(), scripts_root(set_dir), set_dir, overrides)
}

/// Differences for one stored invoice between the live and the candidate set.
#[derive(Clone, Debug, Serialize)]
pub struct DryRunChange {
    pub invoice_code: String,
    pub invoice_number: String,
    pub issue_date: NaiveDate,
    pub changes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DryRunReport {
    pub invoices_checked: usize,
    pub changed: Vec<DryRunChange>,
}

#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Evaluates the live and the candidate set on every live normal invoice of a prefecture issued in
/// `from..=to`, and lists the invoices whose VAT rate, findings or purchase tax would differ.
pub async fn dry_run(store: &Store, live: &ScriptSet, candidate: &ScriptSet, prefecture_code: &str, from: NaiveDate, to: NaiveDate) -> Result<DryRunReport, DryRunError> {
    let filter = InvoiceFilter { prefecture_code: Some(prefecture_code.to_string()), from: Some(from), to: Some(to), ..InvoiceFilter::default() };
    let mut report = DryRunReport::default();
    let mut seller_kinds = std::collections::BTreeMap::new();
    let mut page = 1;
    loop {
        let found = invoices::search(store.pool(), &filter, page, 200).await?;
        if found.invoices.is_empty() {
            break;
        }
        for invoice in found.invoices.iter().filter(|invoice| invoice.kind == InvoiceKind::Normal && invoice.status == InvoiceStatus::Issued) {
            if !seller_kinds.contains_key(&invoice.dealer_id) {
                let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
                let dealer = dealers::get(&mut conn, &invoice.dealer_id).await?;
                seller_kinds.insert(invoice.dealer_id.clone(), dealer.map(|dealer| dealer.seller_kind).unwrap_or(crate::domain::vat::SellerKind::General));
            }
            let map = invoice_map(invoice, seller_kinds[&invoice.dealer_id]);
            report.invoices_checked += 1;

            let mut changes = Vec::new();
            let (old_rate, new_rate) = (live.vat_rate(map.clone())?, candidate.vat_rate(map.clone())?);
            if old_rate != new_rate {
                changes.push(format!("vat_rate {old_rate} -> {new_rate}"));
            }
            let codes = |findings: Vec<crate::domain::invoice::Finding>| {
                let mut codes: Vec<String> = findings.into_iter().map(|finding| format!("{}:{}", serde_json::to_value(finding.level).unwrap_or_default().as_str().unwrap_or(""), finding.code)).collect();
                codes.sort();
                codes
            };
            let (old_findings, new_findings) = (codes(live.validate(map.clone())?), codes(candidate.validate(map.clone())?));
            if old_findings != new_findings {
                changes.push(format!("findings {old_findings:?} -> {new_findings:?}"));
            }
            let (old_tax, new_tax) = (live.purchase_tax(map.clone())?, candidate.purchase_tax(map)?);
            if old_tax != new_tax {
                changes.push(format!("purchase_tax payable {} -> {} (relief {} -> {})", old_tax.payable, new_tax.payable, old_tax.relief, new_tax.relief));
            }

            if !changes.is_empty() {
                report.changed.push(DryRunChange { invoice_code: invoice.invoice_code.clone(), invoice_number: invoice.invoice_number.clone(), issue_date: invoice.issue_date, changes });
            }
        }
        if (page * 200) as i64 >= found.total {
            break;
        }
        page += 1;
    }
    Ok(report)
}
