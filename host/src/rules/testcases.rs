//! Script test cases: TOML files beside the scripts (`tests/*.toml`), each an invoice in and the
//! expected VAT rate, finding codes and purchase-tax figures out. `mvis script test` runs them, and
//! so does every reload before a new version replaces the old one.

use std::path::{Path, PathBuf};

use rhai::{Dynamic, Map};
use serde::Deserialize;

use super::{RuleError, ScriptSet};
use crate::domain::money::Fen;
use crate::domain::vat::split_total;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    /// Description of the case, in the author's words.
    name: String,
    /// Invoice fields by canonical name. Amounts are yuan strings ("99000.00").
    invoice: toml::Table,
    expect: Expectation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    vat_rate: Option<String>,
    /// Codes of every finding `validate` returns, in any order.
    findings: Option<Vec<String>>,
    purchase_tax: Option<ExpectedTax>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedTax {
    taxable_price: String,
    rate: String,
    relief: String,
    payable: String,
}

/// Result of one case.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TestOutcome {
    pub file: String,
    pub name: String,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    files.sort();
    files
}

/// Runs every case in `tests_dir` (missing directory: no cases) against `set`.
pub fn run_test_cases(set: &ScriptSet, tests_dir: &Path, default_prefecture: &str) -> Result<Vec<TestOutcome>, RuleError> {
    let mut outcomes = Vec::new();
    for path in case_files(tests_dir) {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|err| RuleError::Read { path: display.clone(), message: err.to_string() })?;
        let case: TestCase = toml::from_str(&text).map_err(|err| RuleError::Read { path: display.clone(), message: err.to_string() })?;
        let failures = run_case(set, &case, default_prefecture).unwrap_or_else(|err| vec![err]);
        outcomes.push(TestOutcome { file: display, name: case.name, failures });
    }
    Ok(outcomes)
}

fn invoice_map(case: &TestCase, default_prefecture: &str) -> Result<(Map, Option<Fen>), String> {
    let mut map = Map::new();
    for key in ["buyer_name", "buyer_id", "vehicle_type", "brand_model", "origin", "certificate_number", "import_certificate_number", "inspection_number", "engine_number", "vin", "tonnage", "tax_payment_voucher_number", "remarks", "dealer_id", "seller_name", "seller_tax_id"] {
        map.insert(key.into(), Dynamic::from(String::new()));
    }
    map.insert("seller_kind".into(), Dynamic::from("general".to_string()));
    map.insert("prefecture_code".into(), Dynamic::from(default_prefecture.to_string()));
    map.insert("seating_capacity".into(), Dynamic::UNIT);
    map.insert("kind".into(), Dynamic::from("normal".to_string()));

    let mut total = None;
    for (key, value) in &case.invoice {
        let dynamic = match (key.as_str(), value) {
            ("total_amount", toml::Value::String(text)) => {
                let fen = Fen::parse(text).map_err(|err| format!("invoice.total_amount {text:?}: {err}"))?;
                total = Some(fen);
                Dynamic::from(fen.0)
            }
            ("seating_capacity", toml::Value::Integer(seats)) => Dynamic::from(*seats),
            (_, toml::Value::String(text)) => Dynamic::from(text.clone()),
            (_, other) => return Err(format!("invoice.{key}: expected a string, got {other}")),
        };
        map.insert(key.as_str().into(), dynamic);
    }
    let imported = map.get("import_certificate_number").and_then(|value| value.clone().into_string().ok()).is_some_and(|text| !text.trim().is_empty());
    map.insert("imported".into(), Dynamic::from(imported));
    if !map.contains_key("issue_date") {
        return Err("invoice.issue_date is required".to_string());
    }
    Ok((map, total))
}

/// Runs one case the way issuing does: rate first, then the split, then `validate` and `purchase_tax`.
fn run_case(set: &ScriptSet, case: &TestCase, default_prefecture: &str) -> Result<Vec<String>, String> {
    let mut failures = Vec::new();
    let (mut map, total) = invoice_map(case, default_prefecture)?;

    let rate = set.vat_rate(map.clone()).map_err(|err| err.to_string())?;
    if let Some(expected) = &case.expect.vat_rate
        && rate.to_string() != *expected
    {
        failures.push(format!("vat_rate: expected {expected}, got {rate}"));
    }
    if let Some(total) = total {
        let split = split_total(total, rate);
        map.insert("price_excluding_vat".into(), Dynamic::from(split.price_excluding_vat.0));
        map.insert("vat_amount".into(), Dynamic::from(split.vat_amount.0));
    }
    map.insert("vat_rate".into(), Dynamic::from(rate.to_string()));

    if let Some(expected) = &case.expect.findings {
        let findings = set.validate(map.clone()).map_err(|err| err.to_string())?;
        let mut actual: Vec<&str> = findings.iter().map(|finding| finding.code.as_str()).collect();
        let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
        actual.sort_unstable();
        wanted.sort_unstable();
        if actual != wanted {
            failures.push(format!("findings: expected {wanted:?}, got {actual:?}"));
        }
    }

    if let Some(expected) = &case.expect.purchase_tax {
        let tax = set.purchase_tax(map).map_err(|err| err.to_string())?;
        let pairs = [
            ("taxable_price", tax.taxable_price.to_string(), &expected.taxable_price),
            ("rate", tax.rate.clone(), &expected.rate),
            ("relief", tax.relief.to_string(), &expected.relief),
            ("payable", tax.payable.to_string(), &expected.payable),
        ];
        for (field, actual, wanted) in pairs {
            if actual != *wanted {
                failures.push(format!("purchase_tax.{field}: expected {wanted}, got {actual}"));
            }
        }
    }
    Ok(failures)
}
