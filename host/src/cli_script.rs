//! `mvis script check|test|dry-run`: output for script authors, in Chinese.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::rules::Rules;
use crate::rules::authoring::{candidate_for, check_dir, dry_run as run_dry_run, test_dir};
use crate::store::Store;

/// Runs `script check` or, with `run_tests`, `script test` on a script set directory.
pub fn check_or_test(dir: &Path, config_dir: &Path, run_tests: bool) -> anyhow::Result<ExitCode> {
    if !run_tests {
        let mut failed = false;
        for (name, result) in check_dir(dir, config_dir)? {
            match result {
                Ok(set) => println!("通过  {name}：{} 个文件，哈希 {}", set.files.len(), &set.hash()[..16]),
                Err(err) => {
                    failed = true;
                    println!("失败  {name}：{err}");
                }
            }
        }
        return Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS });
    }

    let (mut passed, mut failed) = (0, 0);
    for (set, outcomes) in test_dir(dir, config_dir)? {
        for outcome in outcomes {
            if outcome.failures.is_empty() {
                passed += 1;
                println!("通过  {set}  {}", outcome.name);
            } else {
                failed += 1;
                println!("失败  {set}  {}（{}）", outcome.name, outcome.file);
                for failure in &outcome.failures {
                    println!("      {failure}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs `script dry-run` and prints every invoice whose results would change.
pub async fn dry_run(store: &Store, rules: &Rules, config_dir: &Path, prefecture: &str, from: NaiveDate, to: NaiveDate, dir: &Path) -> anyhow::Result<ExitCode> {
    let live = rules.for_prefecture(prefecture).with_context(|| format!("地市 {prefecture} 没有已加载的现行脚本，请先用 mvis script check 检查 scripts/ 目录"))?;
    let candidate = candidate_for(dir, config_dir, prefecture).with_context(|| format!("候选脚本集 {} 无法加载", dir.display()))?;
    let report = run_dry_run(store, &live, &candidate, prefecture, from, to).await?;

    for change in &report.changed {
        println!("{}/{}（{}）：{}", change.invoice_code, change.invoice_number, change.issue_date, change.changes.join("；"));
    }
    println!("共核对 {} 张发票，{} 张结果会改变（现行 {} → 候选 {}）；未修改任何数据", report.invoices_checked, report.changed.len(), live.name, candidate.name);
    Ok(ExitCode::SUCCESS)
}
