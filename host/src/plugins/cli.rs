//! `mvis plugin …`: the local tools for plugin authors. `package` turns a core module into a
//! component with its manifest, `check` runs what the server runs before it loads a plugin, `test`
//! runs fixtures under the server's limits, and `bench` times calls the way the server makes them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::bindings::{self, PrintJob, PrintMode, PrintOutput, PrinterProfile};
use super::manifest::{self, Manifest};
use super::pdf::{DEFAULT_FONT, PdfRenderer};
use super::printing::{self, PrintError};
use super::registry::{LoadError, LoadedPlugin, load_plugin};
use super::runtime::{CallStats, PluginLimits, PluginRuntime};
use crate::domain::invoice::Invoice;

#[derive(Subcommand)]
pub enum PluginCommand {
    /// 把 wasm32 核心模块打包为插件组件，并嵌入清单 plugin.toml
    Package {
        /// 插件 crate 编译出的核心模块（.wasm）
        core_module: PathBuf,
        /// 插件清单文件（plugin.toml）
        #[arg(long)]
        manifest: PathBuf,
        /// 输出的插件文件（.wasm）；先写临时文件再改名，热加载不会读到半个文件
        #[arg(long)]
        output: PathBuf,
    },
    /// 检查插件：清单、接口版本、编译、导入链接、导出、自检（与服务加载插件时相同）
    Check {
        /// 插件文件（.wasm）
        file: PathBuf,
    },
    /// 在生产环境的限制下运行测试用例，报告每个用例的耗时和内存
    Test {
        /// 插件文件（.wasm）
        file: PathBuf,
        /// 测试用例：一个 .toml 文件，或包含 .toml 文件的目录
        fixtures: PathBuf,
        /// 把每个用例的输出写入此目录：.prn（打印机指令）、.page.json（版面描述）和 .pdf
        #[arg(long)]
        output: Option<PathBuf>,
        /// 生成 PDF 所用的 TrueType 字体
        #[arg(long, default_value = DEFAULT_FONT)]
        pdf_font: PathBuf,
    },
    /// 测量打印插件每次调用的耗时（含创建实例），PDF 插件另测生成 PDF 的耗时
    Bench {
        /// 插件文件（.wasm）
        file: PathBuf,
        /// 调用次数
        #[arg(long, default_value_t = 2000)]
        iterations: u32,
        /// 打印方式：overlay（套打）或 preview（预览）
        #[arg(long, default_value = "overlay")]
        mode: String,
        /// 生成 PDF 所用的 TrueType 字体
        #[arg(long, default_value = DEFAULT_FONT)]
        pdf_font: PathBuf,
    },
}

pub fn run(command: &PluginCommand) -> anyhow::Result<()> {
    match command {
        PluginCommand::Package { core_module, manifest, output } => package(core_module, manifest, output),
        PluginCommand::Check { file } => check(file).map(|_| ()),
        PluginCommand::Test { file, fixtures, output, pdf_font } => test(file, fixtures, output.as_deref(), pdf_font),
        PluginCommand::Bench { file, iterations, mode, pdf_font } => bench(file, *iterations, &parse_mode(mode)?, pdf_font),
    }
}

fn package(core_module: &Path, manifest_path: &Path, output: &Path) -> anyhow::Result<()> {
    let manifest_text = std::fs::read_to_string(manifest_path).with_context(|| format!("无法读取清单 {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&manifest_text).with_context(|| format!("清单 {} 有误", manifest_path.display()))?;
    if let Err(err) = manifest::check_interface_version(&manifest.interface_version) {
        eprintln!("警告：本机的 mvis 不支持此插件的接口版本，服务将拒绝加载它：{err}");
    }
    let core = std::fs::read(core_module).with_context(|| format!("无法读取核心模块 {}", core_module.display()))?;

    let mut component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|err| anyhow::anyhow!("{err:?}"))
        .with_context(|| format!("无法把 {} 打包为组件（它应由 mvis-plugin-sdk 的导出宏生成）", core_module.display()))?;
    manifest::embed(&mut component, &manifest_text);

    if let Some(parent) = output.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("无法创建目录 {}", parent.display()))?;
    }
    let temporary = output.with_extension("wasm.tmp");
    std::fs::write(&temporary, &component).with_context(|| format!("无法写入 {}", temporary.display()))?;
    std::fs::rename(&temporary, output).with_context(|| format!("无法写入 {}", output.display()))?;
    eprintln!("已生成 {}：{} {}（{} 字节）", output.display(), manifest.id, manifest.version, component.len());
    Ok(())
}

/// Loads a plugin as the server does; prints what passed, or fails naming the step.
fn check(file: &Path) -> anyhow::Result<(std::sync::Arc<PluginRuntime>, LoadedPlugin)> {
    let bytes = std::fs::read(file).with_context(|| format!("无法读取插件文件 {}", file.display()))?;
    let runtime = PluginRuntime::new(PluginLimits::default()).map_err(|err| anyhow::anyhow!("无法创建插件引擎：{err:?}"))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let file_name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();

    let started = Instant::now();
    let plugin = load_plugin(&runtime, &file_name, &bytes, &sha256).map_err(|err| anyhow::anyhow!("{}：{err}", failed_step(&err)))?;
    let manifest = &plugin.manifest;
    let format = manifest.printer.as_ref().map(|printer| format!("，格式 {}", printer.format.as_str())).unwrap_or_default();
    println!("清单：{} {}（{}，接口 {}{format}）", manifest.id, manifest.version, manifest.kind.as_str(), manifest.interface_version);
    println!("接口版本：受支持（本机实现 mvis:plugin {}）", manifest::HOST_INTERFACE_VERSION);
    println!("编译、导入链接、导出：通过（只导入 mvis:plugin/log）");
    println!("自检：通过");
    println!("SHA-256：{sha256}");
    println!("加载耗时：{} ms", started.elapsed().as_millis());
    Ok((runtime, plugin))
}

fn failed_step(err: &LoadError) -> &'static str {
    match err {
        LoadError::Read(_) => "读取失败",
        LoadError::Manifest(manifest::ManifestError::UnsupportedInterface { .. }) => "接口版本不受支持",
        LoadError::Manifest(_) => "清单有误",
        LoadError::Compile(_) => "编译失败",
        LoadError::Link(_) => "导入无法链接",
        LoadError::Exports { .. } => "导出与接口不符",
        LoadError::SelfTest(_) => "自检失败",
        LoadError::DuplicateId { .. } => "插件标识重复",
    }
}

/// One test case of `mvis plugin test`, a TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// `render` or `calibration`.
    call: String,
    /// Invoice JSON (as the API returns it), relative to the fixture file; `render` only.
    #[serde(default)]
    invoice: Option<PathBuf>,
    #[serde(default = "default_mode")]
    mode: String,
    #[serde(default)]
    profile: Option<FixtureProfile>,
    #[serde(default)]
    settings: toml::Table,
    /// `ok`, `failure:CODE` (the plugin returns that failure) or `error:CODE` (the host stops
    /// the call with that API error code, e.g. `error:plugin_timeout`).
    #[serde(default = "default_expect")]
    expect: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureProfile {
    name: String,
    #[serde(default)]
    offset_x_mm: f64,
    #[serde(default)]
    offset_y_mm: f64,
}

fn default_mode() -> String {
    "overlay".to_string()
}

fn default_expect() -> String {
    "ok".to_string()
}

fn parse_mode(text: &str) -> anyhow::Result<PrintMode> {
    match text {
        "overlay" => Ok(PrintMode::Overlay),
        "preview" => Ok(PrintMode::Preview),
        other => bail!("打印方式 {other} 无效，应为 overlay（套打）或 preview（预览）"),
    }
}

fn test(file: &Path, fixtures: &Path, output_dir: Option<&Path>, pdf_font: &Path) -> anyhow::Result<()> {
    let (runtime, plugin) = check(file)?;
    if plugin.manifest.kind == super::PluginKind::CtaisAdapter {
        return super::cli_ctais::test(&runtime, &plugin, &fixture_paths(fixtures)?, output_dir);
    }
    // TODO: fixtures for report-format plugins, once the host calls them.
    if plugin.manifest.kind != super::PluginKind::Printer {
        bail!("目前只能为打印插件和 CTAIS 交换插件运行测试用例；{} 是 {} 插件，已通过上面的检查", plugin.manifest.id, plugin.manifest.kind.as_str());
    }
    let pdf = PdfRenderer::new(pdf_font);
    let paths = fixture_paths(fixtures)?;
    if let Some(dir) = output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建输出目录 {}", dir.display()))?;
    }

    println!();
    println!("{:<28} {:<6} {:>10} {:>12} {:>12}", "用例", "结果", "耗时", "内存峰值", "输出");
    let mut failed = 0;
    for path in &paths {
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let (outcome, stats, output) = run_fixture(&runtime, &plugin, path)?;
        let size = output.as_ref().map(printing::output_size).unwrap_or(0);
        let verdict = if outcome.is_ok() { "通过" } else { "失败" };
        println!(
            "{name:<28} {verdict:<6} {:>8} µs {:>8} KiB {:>8} 字节",
            stats.elapsed.as_micros(),
            stats.peak_memory_bytes >> 10,
            size
        );
        if let Err(reason) = outcome {
            println!("    {reason}");
            failed += 1;
        }
        if let (Some(dir), Some(output)) = (output_dir, output) {
            write_output(dir, &name, &output, &pdf)?;
        }
    }
    println!();
    println!("{} passed, {failed} failed", paths.len() - failed);
    if failed > 0 {
        bail!("{failed} 个用例失败");
    }
    Ok(())
}

pub(super) fn fixture_paths(fixtures: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if fixtures.is_file() {
        return Ok(vec![fixtures.to_path_buf()]);
    }
    let entries = std::fs::read_dir(fixtures).with_context(|| format!("无法读取用例目录 {}", fixtures.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).filter(|path| path.extension().is_some_and(|extension| extension == "toml")).collect();
    paths.sort();
    if paths.is_empty() {
        bail!("目录 {} 中没有 .toml 测试用例", fixtures.display());
    }
    Ok(paths)
}

/// Runs one fixture; the outcome reports whether the result matched `expect`.
fn run_fixture(runtime: &PluginRuntime, plugin: &LoadedPlugin, path: &Path) -> anyhow::Result<(Result<(), String>, CallStats, Option<PrintOutput>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("无法读取用例 {}", path.display()))?;
    let fixture: Fixture = toml::from_str(&text).with_context(|| format!("用例 {} 格式有误", path.display()))?;
    let profile = match &fixture.profile {
        Some(profile) => PrinterProfile { name: profile.name.clone(), offset_x_mm: profile.offset_x_mm, offset_y_mm: profile.offset_y_mm },
        None => PrinterProfile { name: "default".to_string(), offset_x_mm: 0.0, offset_y_mm: 0.0 },
    };
    let settings = plugin.manifest.resolve_settings(&fixture.settings).map_err(|message| anyhow::anyhow!("用例 {} 的 settings 有误：{message}", path.display()))?;

    let (result, stats) = match fixture.call.as_str() {
        "render" => {
            let invoice_path = fixture.invoice.as_ref().map(|invoice| path.parent().unwrap_or(Path::new(".")).join(invoice)).context("render 用例需要 invoice（发票 JSON 文件）")?;
            let json = std::fs::read_to_string(&invoice_path).with_context(|| format!("无法读取发票 {}", invoice_path.display()))?;
            let invoice: Invoice = serde_json::from_str(&json).with_context(|| format!("发票 {} 格式有误", invoice_path.display()))?;
            let job = PrintJob { invoice: bindings::invoice_record(&invoice), mode: parse_mode(&fixture.mode)?, profile, settings };
            printing::render(runtime, plugin, &job)
        }
        "calibration" => printing::calibration(runtime, plugin, &profile, &settings),
        other => bail!("用例 {} 的 call {other} 无效，应为 render 或 calibration", path.display()),
    };

    let (outcome, output) = match (&result, fixture.expect.as_str()) {
        (Ok(_), "ok") => (Ok(()), None),
        (Err(PrintError::PluginFailure { code, .. }), expected) if expected.strip_prefix("failure:") == Some(code.as_str()) => (Ok(()), None),
        (Err(err), expected) if expected.strip_prefix("error:").is_some_and(|code| crate::domain::rejection::Rejection::from(err.clone()).code == code) => (Ok(()), None),
        (Ok(_), expected) => (Err(format!("预期 {expected}，实际成功")), None),
        (Err(err), expected) => (Err(format!("预期 {expected}，实际：{err}")), None),
    };
    Ok((outcome, stats, result.ok().or(output)))
}

fn write_output(dir: &Path, name: &str, output: &PrintOutput, pdf: &PdfRenderer) -> anyhow::Result<()> {
    match output {
        PrintOutput::DeviceBytes(bytes) => {
            let path = dir.join(format!("{name}.prn"));
            std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        }
        PrintOutput::Page(page) => {
            let path = dir.join(format!("{name}.page.json"));
            let json = serde_json::to_string_pretty(page).expect("a page serialises");
            std::fs::write(&path, json + "\n").with_context(|| format!("无法写入 {}", path.display()))?;
            match pdf.render(page) {
                Ok(bytes) => {
                    let path = dir.join(format!("{name}.pdf"));
                    std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
                }
                Err(err) => eprintln!("警告：未生成 {name}.pdf：{}", err.message_zh()),
            }
        }
    }
    Ok(())
}

fn bench(file: &Path, iterations: u32, mode: &PrintMode, pdf_font: &Path) -> anyhow::Result<()> {
    if iterations == 0 {
        bail!("--iterations 必须大于 0");
    }
    let (runtime, plugin) = check(file)?;
    if plugin.manifest.kind != super::PluginKind::Printer {
        bail!("目前只能测量打印插件；{} 是 {} 插件", plugin.manifest.id, plugin.manifest.kind.as_str());
    }
    let settings = plugin.manifest.resolve_settings(&toml::Table::new()).map_err(|message| anyhow::anyhow!(message))?;
    let job = PrintJob {
        invoice: bindings::invoice_record(&printing::sample_invoice()),
        mode: *mode,
        profile: PrinterProfile { name: "default".to_string(), offset_x_mm: 0.0, offset_y_mm: 0.0 },
        settings,
    };

    let warm_up = iterations.min(100);
    let mut call_times = Vec::with_capacity(iterations as usize);
    let mut last_output = None;
    for round in 0..warm_up + iterations {
        let started = Instant::now();
        let (output, _) = printing::render(&runtime, &plugin, &job);
        let elapsed = started.elapsed();
        let output = output.map_err(|err| anyhow::anyhow!("调用失败：{err}"))?;
        if round >= warm_up {
            call_times.push(elapsed);
        }
        last_output = Some(output);
    }
    println!();
    report("render（新建实例 + 调用）", &mut call_times);

    if let Some(PrintOutput::Page(page)) = last_output {
        let pdf = PdfRenderer::new(pdf_font);
        let rounds = iterations.min(500);
        let mut pdf_times = Vec::with_capacity(rounds as usize);
        let mut size = 0;
        for _ in 0..rounds + 5 {
            let started = Instant::now();
            size = pdf.render(&page).map_err(|err| anyhow::anyhow!(err.message_zh()))?.len();
            pdf_times.push(started.elapsed());
        }
        pdf_times.drain(..5);
        report(&format!("PDF 生成（一页，{size} 字节）"), &mut pdf_times);
    }
    Ok(())
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let total: Duration = times.iter().sum();
    let mean = total / times.len() as u32;
    let percentile = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
    println!(
        "{label}：{} 次，平均 {:.1} µs，p50 {:.1} µs，p99 {:.1} µs，最大 {:.1} µs",
        times.len(),
        micros(mean),
        micros(percentile(0.5)),
        micros(percentile(0.99)),
        micros(percentile(1.0))
    );
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Starts the server's plugin host: loads the plugin directory and watches it for changes.
pub fn start_host(plugin_dir: &Path, config_dir: &Path, pdf_font: &Path) -> anyhow::Result<std::sync::Arc<super::PluginHost>> {
    let host = super::PluginHost::start(plugin_dir, config_dir, pdf_font, PluginLimits::default())?;
    host.watch().with_context(|| format!("无法监视插件目录 {}", plugin_dir.display()))?;
    Ok(host)
}
