//! `mvis plugin test` for CTAIS adapters: each fixture decodes one file and states what must come out.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::ctais::{self, CtaisError, ExchangeFile, RecordBatch, RecordKind};
use super::registry::LoadedPlugin;
use super::runtime::PluginRuntime;

/// One test case, a TOML file beside the file it decodes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// `decode` is the only call a fixture can make.
    call: String,
    /// `taxpayers`, `stock`, `certificates` or `invoices` (an export read back).
    kind: String,
    /// The file to decode, relative to the fixture.
    file: std::path::PathBuf,
    #[serde(default)]
    settings: toml::Table,
    /// `ok` or `failure:CODE` (the adapter rejects the whole file with that code).
    #[serde(default = "default_expect")]
    expect: String,
    /// Number of records expected, when given.
    #[serde(default)]
    records: Option<usize>,
    /// Line numbers expected among the rejected lines, in order, when given.
    #[serde(default)]
    rejected_lines: Option<Vec<u32>>,
}

fn default_expect() -> String {
    "ok".to_string()
}

fn parse_kind(text: &str) -> anyhow::Result<RecordKind> {
    Ok(match text {
        "taxpayers" => RecordKind::TaxpayerRegistrations,
        "stock" => RecordKind::StockDistributions,
        "certificates" => RecordKind::ConformityCertificates,
        "invoices" => RecordKind::InvoiceExports,
        other => bail!("kind {other} 无效，应为 taxpayers、stock、certificates 或 invoices"),
    })
}

fn record_count(batch: &RecordBatch) -> usize {
    match batch {
        RecordBatch::TaxpayerRegistrations(list) => list.len(),
        RecordBatch::StockDistributions(list) => list.len(),
        RecordBatch::ConformityCertificates(list) => list.len(),
        RecordBatch::InvoiceExports(list) => list.len(),
    }
}

/// Runs the fixtures; with `output_dir`, writes each decoded file as `<fixture>.json`.
pub(super) fn test(runtime: &PluginRuntime, plugin: &LoadedPlugin, paths: &[std::path::PathBuf], output_dir: Option<&Path>) -> anyhow::Result<()> {
    if let Some(dir) = output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建输出目录 {}", dir.display()))?;
    }
    println!();
    println!("{:<28} {:<6} {:>10} {:>12} {:>8} {:>8}", "用例", "结果", "耗时", "内存峰值", "记录", "拒绝行");
    let mut failed = 0;
    for path in paths {
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(path).with_context(|| format!("无法读取用例 {}", path.display()))?;
        let fixture: Fixture = toml::from_str(&text).with_context(|| format!("用例 {} 格式有误", path.display()))?;
        if fixture.call != "decode" {
            bail!("用例 {} 的 call {} 无效：CTAIS 交换插件的用例只能是 decode", path.display(), fixture.call);
        }
        let kind = parse_kind(&fixture.kind).with_context(|| format!("用例 {}", path.display()))?;
        let file_path = path.parent().unwrap_or(Path::new(".")).join(&fixture.file);
        let content = std::fs::read(&file_path).with_context(|| format!("无法读取 {}", file_path.display()))?;
        let settings = plugin.manifest.resolve_settings(&fixture.settings).map_err(|message| anyhow::anyhow!("用例 {} 的 settings 有误：{message}", path.display()))?;
        let file = ExchangeFile { file_name: fixture.file.to_string_lossy().into_owned(), content };

        let (result, stats) = ctais::decode(runtime, plugin, kind, &file, &settings);
        let outcome = judge(&fixture, &result);
        let (records, rejected) = match &result {
            Ok(decoded) => (record_count(&decoded.records), decoded.rejected_lines.len()),
            Err(_) => (0, 0),
        };
        let verdict = if outcome.is_ok() { "通过" } else { "失败" };
        println!("{name:<28} {verdict:<6} {:>8} µs {:>8} KiB {records:>8} {rejected:>8}", stats.elapsed.as_micros(), stats.peak_memory_bytes >> 10);
        if let Err(reason) = outcome {
            println!("    {reason}");
            failed += 1;
        }
        if let (Some(dir), Ok(decoded)) = (output_dir, &result) {
            let output = dir.join(format!("{name}.json"));
            let json = serde_json::to_string_pretty(decoded).expect("decoded records serialise");
            std::fs::write(&output, json + "\n").with_context(|| format!("无法写入 {}", output.display()))?;
        }
    }
    println!();
    println!("{} passed, {failed} failed", paths.len() - failed);
    if failed > 0 {
        bail!("{failed} 个用例失败");
    }
    Ok(())
}

fn judge(fixture: &Fixture, result: &Result<ctais::DecodedFile, CtaisError>) -> Result<(), String> {
    match (result, fixture.expect.as_str()) {
        (Ok(decoded), "ok") => {
            let records = record_count(&decoded.records);
            if let Some(expected) = fixture.records.filter(|expected| *expected != records) {
                return Err(format!("预期 {expected} 条记录，实际 {records} 条"));
            }
            let lines: Vec<u32> = decoded.rejected_lines.iter().map(|line| line.line).collect();
            match &fixture.rejected_lines {
                Some(expected) if *expected != lines => Err(format!("预期拒绝第 {expected:?} 行，实际拒绝第 {lines:?} 行")),
                _ => Ok(()),
            }
        }
        (Err(CtaisError::PluginFailure { code, .. }), expected) if expected.strip_prefix("failure:") == Some(code.as_str()) => Ok(()),
        (Ok(_), expected) => Err(format!("预期 {expected}，实际成功")),
        (Err(err), expected) => Err(format!("预期 {expected}，实际：{}", err.message_zh())),
    }
}
