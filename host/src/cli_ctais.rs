//! `mvis import taxpayers|stock|certificates` and `mvis export invoices`: CTAIS files in and out
//! through the prefecture's CTAIS adapter plugin.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::issuing::{Actor, ImportOptions, ImportReport, Issuing, IssuingError};
use crate::plugins::bindings::invoice_record;
use crate::plugins::ctais::{ExchangeFile, InvoiceExport, RecordKind};
use crate::plugins::{PluginHost, PluginLimits};
use crate::store::{Store, invoices};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// 导入 CTAIS 纳税人登记信息：每个纳税人登记为一个销货单位（编号即纳税人识别号）
    Taxpayers(ImportArgs),
    /// 导入 CTAIS 发票发售信息：每行成为所属销货单位的一个号码段，不能与已有号码段或文件中其他行重叠
    Stock(ImportArgs),
    /// 导入机动车整车出厂合格证信息，按车辆识别代号保存，供与发票核对
    Certificates(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// CTAIS 交换文件（格式由地市选用的 CTAIS 交换插件决定，ctais-text 见 docs/zh-CN/ctais-format.md）
    file: PathBuf,
    /// 地市代码（GB/T 2260，例如 420100）：选用该地市配置的 CTAIS 交换插件；文件头中的地市代码须与之相同
    #[arg(long)]
    prefecture: String,
    /// 试运行：检查每一行并报告结果，不写入任何数据
    #[arg(long)]
    dry_run: bool,
    /// 有行被拒绝时，仍导入其余通过检查的行；不加此参数时，只要有一行被拒绝，整个文件都不导入
    #[arg(long)]
    load_valid_only: bool,
    /// 以 JSON 格式在标准输出打印导入报告
    #[arg(long)]
    json: bool,
    /// 插件目录
    #[arg(long, default_value = crate::plugins::DEFAULT_PLUGIN_DIR, env = "MVIS_PLUGIN_DIR")]
    plugin_dir: PathBuf,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// 导出地市开票日期在指定期间内的全部发票（含作废、红字），供车辆购置税征收使用
    Invoices {
        /// 地市代码（GB/T 2260，例如 420100）：导出该地市的发票，并选用该地市的 CTAIS 交换插件
        #[arg(long)]
        prefecture: String,
        /// 开票日期（YYYY-MM-DD）；与 --to 一起使用时为起始日期
        #[arg(long)]
        date: NaiveDate,
        /// 终止开票日期（YYYY-MM-DD，含）；不填则只导出 --date 当天
        #[arg(long)]
        to: Option<NaiveDate>,
        /// 输出文件；不填则写入当前目录，文件名由插件给出
        #[arg(long)]
        output: Option<PathBuf>,
        /// 插件目录
        #[arg(long, default_value = crate::plugins::DEFAULT_PLUGIN_DIR, env = "MVIS_PLUGIN_DIR")]
        plugin_dir: PathBuf,
    },
}

/// Loads the plugin directory once, without watching it, with limits sized for exchange files.
fn start_plugins(plugin_dir: &Path, config_dir: &Path) -> anyhow::Result<Arc<PluginHost>> {
    PluginHost::start(plugin_dir, config_dir, Path::new(crate::plugins::pdf::DEFAULT_FONT), PluginLimits::exchange())
}

pub async fn import(command: &ImportCommand, issuing: &Issuing, actor: &Actor, config_dir: &Path) -> anyhow::Result<ExitCode> {
    let (kind, args) = match command {
        ImportCommand::Taxpayers(args) => (RecordKind::TaxpayerRegistrations, args),
        ImportCommand::Stock(args) => (RecordKind::StockDistributions, args),
        ImportCommand::Certificates(args) => (RecordKind::ConformityCertificates, args),
    };
    let content = std::fs::read(&args.file).with_context(|| format!("无法读取文件 {}", args.file.display()))?;
    let file_name = args.file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let plugins = start_plugins(&args.plugin_dir, config_dir)?;

    let decoded = plugins
        .ctais_decode(&args.prefecture, kind, ExchangeFile { file_name: file_name.clone(), content })
        .await
        .map_err(|err| anyhow::anyhow!("无法读取文件 {}：{}", args.file.display(), err.message_zh()))?;
    eprintln!("已用插件 {} {} 读取文件 {file_name}", decoded.plugin_id, decoded.plugin_version);

    let records = record_count(&decoded.file.records);
    let progress = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(records, progress.clone());
    let options = ImportOptions { dry_run: args.dry_run, load_valid_only: args.load_valid_only };
    let result = issuing.import_ctais(actor, &args.prefecture, decoded.file, options, progress).await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(IssuingError::Rejected(rejection)) => bail!("{}（{}）", rejection.message, rejection.code),
        Err(err) => return Err(err.into()),
    };

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("import report serialises"));
    } else {
        print_report(&file_name, &report);
    }
    Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn record_count(records: &crate::plugins::ctais::RecordBatch) -> u64 {
    use crate::plugins::ctais::RecordBatch;
    let count = match records {
        RecordBatch::TaxpayerRegistrations(list) => list.len(),
        RecordBatch::StockDistributions(list) => list.len(),
        RecordBatch::ConformityCertificates(list) => list.len(),
        RecordBatch::InvoiceExports(list) => list.len(),
    };
    count as u64
}

/// Shows the lines checked so far on stderr; indicatif draws nothing when stderr is not a terminal.
fn progress_bar(total: u64, progress: Arc<AtomicU64>) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template("检查 {bar:40} {pos}/{len} 行").expect("progress template is valid"));
    let ticker = bar.clone();
    tokio::spawn(async move {
        while !ticker.is_finished() {
            ticker.set_position(progress.load(Ordering::Relaxed));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    bar
}

fn print_report(file_name: &str, report: &ImportReport) {
    println!("文件 {file_name}：共 {} 行记录，通过检查 {} 行，拒绝 {} 行", report.lines, report.valid, report.rejected.len());
    if !report.rejected.is_empty() {
        println!("被拒绝的行：");
        for problem in &report.rejected {
            let field = problem.field.as_deref().map(|field| format!("，字段 {field}")).unwrap_or_default();
            println!("  {}（{}{field}）", problem.message, problem.code);
        }
    }
    let outcome = if report.dry_run {
        "试运行：未写入任何数据".to_string()
    } else if report.applied {
        format!("已导入 {} 行", report.loaded)
    } else if report.valid == 0 {
        "没有可导入的行，未写入任何数据".to_string()
    } else {
        "有行被拒绝，未写入任何数据；请改正后重新导入，或加 --load-valid-only 只导入通过检查的行".to_string()
    };
    println!("结果：{outcome}");
}

pub async fn export(command: &ExportCommand, store: &Store, config_dir: &Path) -> anyhow::Result<ExitCode> {
    let ExportCommand::Invoices { prefecture, date, to, output, plugin_dir } = command;
    let to = to.unwrap_or(*date);
    if to < *date {
        bail!("--to {to} 早于 --date {date}，请核对导出期间");
    }
    let invoices = invoices::in_period(store.pool(), prefecture, *date, to).await?;
    let plugins = start_plugins(plugin_dir, config_dir)?;
    let export = InvoiceExport {
        prefecture_code: prefecture.clone(),
        period_from: date.to_string(),
        period_to: to.to_string(),
        invoices: invoices.iter().map(invoice_record).collect(),
    };
    let file = plugins.ctais_encode(export).await.map_err(|err| anyhow::anyhow!("无法生成导出文件：{}", err.message_zh()))?;

    let path = output.clone().unwrap_or_else(|| PathBuf::from(&file.file_name));
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, &file.content).with_context(|| format!("无法写入 {}", temporary.display()))?;
    std::fs::rename(&temporary, &path).with_context(|| format!("无法写入 {}", path.display()))?;
    eprintln!("已导出地市 {prefecture} {date} 至 {to} 的发票 {} 张到 {}（{} 字节）", invoices.len(), path.display(), file.content.len());
    Ok(ExitCode::SUCCESS)
}
