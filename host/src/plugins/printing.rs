//! Printing through printer plugins: choosing the prefecture's driver and profile, calling it
//! under the limits on a blocking thread, checking its output, and rendering pages to PDF.

use std::sync::Arc;

use tracing::Instrument;

use super::bindings::{self, Page, PageItem, PrintJob, PrintMode, PrintOutput, PrinterProfile, wit_types};
use super::manifest::PrintFormat;
use super::registry::{Instantiable, LoadedPlugin, PluginHost};
use super::bindings::printer::PrinterPre;
use super::runtime::{CallError, CallState, CallStats, PluginRuntime};
use wasmtime::Store;
use crate::domain::invoice::Invoice;
use crate::domain::rejection::Rejection;

/// A finished print: bytes for the client and what made them.
pub struct Printed {
    pub bytes: Vec<u8>,
    pub format: PrintFormat,
    pub plugin_id: String,
    pub plugin_version: String,
    pub stats: CallStats,
}

/// Failure of a print, as users see it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PrintError {
    #[error("prefecture {prefecture_code} has no printer plugin for {format}")]
    NotConfigured { prefecture_code: String, format: &'static str },
    #[error("printer plugins {ids:?} selected by prefecture {prefecture_code} are not loaded")]
    NotLoaded { prefecture_code: String, ids: Vec<String> },
    #[error("printer profile {name} not found in prefecture {prefecture_code}")]
    ProfileNotFound { prefecture_code: String, name: String, known: Vec<String> },
    #[error("settings of plugin {id} are invalid: {message}")]
    SettingsInvalid { id: String, message: String },
    #[error("plugin {id} {version} failed: {error}")]
    Call { id: String, version: String, error: CallError },
    #[error("plugin {id} {version} returned failure {code}: {message}")]
    PluginFailure { id: String, version: String, code: String, message: String },
    #[error("plugin {id} returned {found} where {expected} was expected")]
    OutputMismatch { id: String, expected: &'static str, found: &'static str },
    #[error("failed to render the PDF: {0}")]
    Pdf(#[from] super::pdf::PdfError),
}

impl From<PrintError> for Rejection {
    fn from(err: PrintError) -> Rejection {
        match &err {
            PrintError::NotConfigured { prefecture_code, format } => Rejection::new(
                404,
                "printer_not_configured",
                Some("format"),
                format!("地市 {prefecture_code} 未启用 {format} 格式的打印插件，请联系信息中心在 config/prefectures/{prefecture_code}.toml 的 [plugins] printers 中启用"),
            ),
            PrintError::NotLoaded { ids, .. } => Rejection::new(
                503,
                "plugin_not_loaded",
                None,
                format!("打印插件 {} 未能加载，暂时无法打印；请联系信息中心在 /api/v1/admin/runtime 查看原因", ids.join("、")),
            ),
            PrintError::ProfileNotFound { prefecture_code, name, known } => Rejection::new(
                404,
                "printer_profile_not_found",
                Some("profile"),
                format!("地市 {prefecture_code} 没有名为“{name}”的打印机配置，可用的配置：{}", known.join("、")),
            ),
            PrintError::SettingsInvalid { id, message } => {
                tracing::error!(plugin = %id, error = %message, "plugin settings in the prefecture file are invalid");
                Rejection::new(500, "plugin_settings_invalid", None, format!("打印插件 {id} 的地市配置有误，请联系信息中心修正 [plugins.settings.{id}]"))
            }
            PrintError::Call { id, version, error } => call_rejection(id, version, error),
            PrintError::PluginFailure { id, version, code, message } => {
                Rejection::new(422, "plugin_failed", None, format!("打印插件 {id} {version} 无法打印此发票：{message}（{code}）"))
            }
            PrintError::OutputMismatch { id, .. } => {
                tracing::error!(plugin = %id, error = %err, "printer plugin returned the wrong kind of output");
                Rejection::new(502, "plugin_output_invalid", None, format!("打印插件 {id} 返回的内容与所请求的格式不符，请联系信息中心"))
            }
            PrintError::Pdf(pdf_error) => {
                tracing::error!(error = %pdf_error, "failed to render a PDF page");
                Rejection::new(500, "pdf_render_failed", None, format!("生成 PDF 失败：{}；请联系系统管理员", pdf_error.message_zh()))
            }
        }
    }
}

fn call_rejection(id: &str, version: &str, error: &CallError) -> Rejection {
    tracing::warn!(plugin = %id, version = %version, error = %error, "plugin call failed");
    match error {
        CallError::Timeout { deadline_ms } => {
            Rejection::new(503, "plugin_timeout", None, format!("打印插件 {id} {version} 超过 {deadline_ms} 毫秒未完成，已被终止；请稍后重试，如持续出现请联系信息中心"))
        }
        CallError::MemoryLimit { cap_bytes, .. } => Rejection::new(
            503,
            "plugin_memory_limit",
            None,
            format!("打印插件 {id} {version} 使用的内存超过上限 {} MiB，已被终止；请联系信息中心", cap_bytes >> 20),
        ),
        CallError::Trap(_) => Rejection::new(500, "plugin_trapped", None, format!("打印插件 {id} {version} 运行出错，已被终止；请联系信息中心查看服务日志")),
        CallError::InputTooLarge { limit, .. } => {
            Rejection::new(413, "plugin_input_too_large", None, format!("发票内容超过打印插件的输入上限 {limit} 字节，请缩短备注等栏目"))
        }
        CallError::OutputTooLarge { limit, .. } => {
            Rejection::new(502, "plugin_output_too_large", None, format!("打印插件 {id} {version} 的输出超过上限 {limit} 字节，已丢弃；请联系信息中心"))
        }
        CallError::Instantiate(_) => Rejection::new(503, "plugin_busy", None, "打印插件暂时无法启动，请稍后重试"),
    }
}

impl PluginHost {
    /// Prints one invoice with the invoice's prefecture's driver for `format`.
    pub async fn print_invoice(&self, invoice: &Invoice, format: PrintFormat, mode: PrintMode, profile_name: Option<&str>) -> Result<Printed, PrintError> {
        let (plugin, profile, settings) = self.choose(&invoice.prefecture_code, format, profile_name)?;
        let job = PrintJob { invoice: bindings::invoice_record(invoice), mode, profile, settings };
        let span = tracing::info_span!("plugin_call", plugin = %plugin.id, version = %plugin.version, call = "render",
            prefecture = %invoice.prefecture_code, invoice_code = %invoice.invoice_code, invoice_number = %invoice.invoice_number);
        self.call_printer(plugin, format, move |runtime, plugin| render(runtime, plugin, &job)).instrument(span).await
    }

    /// Returns a prefecture's printer profiles as its file lists them; empty when the prefecture has
    /// no file or lists none.
    pub fn printer_profiles(&self, prefecture_code: &str) -> Vec<crate::config::prefecture::PrinterProfile> {
        let state = self.state.load();
        state.prefectures.get(prefecture_code).map(|config| config.printer_profiles.clone()).unwrap_or_default()
    }

    /// Prints the calibration page of one of a prefecture's printer profiles.
    pub async fn print_calibration(&self, prefecture_code: &str, format: PrintFormat, profile_name: Option<&str>) -> Result<Printed, PrintError> {
        let (plugin, profile, settings) = self.choose(prefecture_code, format, profile_name)?;
        let span = tracing::info_span!("plugin_call", plugin = %plugin.id, version = %plugin.version, call = "calibration", prefecture = %prefecture_code);
        self.call_printer(plugin, format, move |runtime, plugin| calibration(runtime, plugin, &profile, &settings)).instrument(span).await
    }

    /// Picks the driver, profile and settings. The first selected printer that is loaded and
    /// serves `format` wins, in the order the prefecture file lists them.
    fn choose(&self, prefecture_code: &str, format: PrintFormat, profile_name: Option<&str>) -> Result<(Arc<LoadedPlugin>, PrinterProfile, String), PrintError> {
        let state = self.state.load();
        let not_configured = || PrintError::NotConfigured { prefecture_code: prefecture_code.to_string(), format: format.as_str() };
        let config = state.prefectures.get(prefecture_code).ok_or_else(not_configured)?;

        let loaded = config.plugins.printers.iter().filter_map(|id| state.plugins.get(id));
        let plugin = loaded.into_iter().find(|plugin| plugin.manifest.printer.as_ref().is_some_and(|printer| printer.format == format)).cloned();
        let Some(plugin) = plugin else {
            let missing: Vec<String> = config.plugins.printers.iter().filter(|id| !state.plugins.contains_key(*id)).cloned().collect();
            return Err(if missing.is_empty() { not_configured() } else { PrintError::NotLoaded { prefecture_code: prefecture_code.to_string(), ids: missing } });
        };

        let profile = match (profile_name, config.printer_profiles.first()) {
            (Some(name), _) => config.printer_profiles.iter().find(|profile| profile.name == name).ok_or_else(|| PrintError::ProfileNotFound {
                prefecture_code: prefecture_code.to_string(),
                name: name.to_string(),
                known: config.printer_profiles.iter().map(|profile| profile.name.clone()).collect(),
            })?,
            (None, Some(first)) => first,
            (None, None) => &crate::config::prefecture::PrinterProfile { name: "default".to_string(), offset_x_mm: 0.0, offset_y_mm: 0.0 },
        };
        let profile = PrinterProfile { name: profile.name.clone(), offset_x_mm: profile.offset_x_mm, offset_y_mm: profile.offset_y_mm };

        let configured = config.plugins.settings.get(&plugin.manifest.id).cloned().unwrap_or_default();
        let settings = plugin
            .manifest
            .resolve_settings(&configured)
            .map_err(|message| PrintError::SettingsInvalid { id: plugin.manifest.id.clone(), message })?;
        Ok((plugin, profile, settings))
    }

    /// Runs a printer call on a blocking thread while holding an instance slot, and turns a page
    /// into PDF when the format requests one.
    async fn call_printer(
        &self,
        plugin: Arc<LoadedPlugin>,
        format: PrintFormat,
        call: impl FnOnce(&PluginRuntime, &LoadedPlugin) -> (Result<PrintOutput, PrintError>, CallStats) + Send + 'static,
    ) -> Result<Printed, PrintError> {
        let _slot = self.runtime.acquire_slot().await;
        let runtime = self.runtime.clone();
        let pdf = self.pdf.clone();
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let (output, stats) = call(&runtime, &plugin);
                let bytes = finish_output(&plugin, format, output?, &pdf)?;
                tracing::debug!(elapsed_us = stats.elapsed.as_micros() as u64, peak_memory_bytes = stats.peak_memory_bytes, output_bytes = bytes.len(), "plugin call done");
                Ok(Printed { bytes, format, plugin_id: plugin.manifest.id.clone(), plugin_version: plugin.manifest.version.clone(), stats })
            })
        });
        task.await.expect("plugin call task does not panic")
    }
}

fn finish_output(plugin: &LoadedPlugin, format: PrintFormat, output: PrintOutput, pdf: &super::pdf::PdfRenderer) -> Result<Vec<u8>, PrintError> {
    let mismatch = |found| PrintError::OutputMismatch { id: plugin.manifest.id.clone(), expected: format.as_str(), found };
    match (format, output) {
        (PrintFormat::Pdf, PrintOutput::Page(page)) => Ok(pdf.render(&page)?),
        (PrintFormat::Escp, PrintOutput::DeviceBytes(bytes)) => Ok(bytes),
        (_, PrintOutput::Page(_)) => Err(mismatch("a page description")),
        (_, PrintOutput::DeviceBytes(_)) => Err(mismatch("device bytes")),
    }
}

/// Calls `render` once under the limits.
pub fn render(runtime: &PluginRuntime, plugin: &LoadedPlugin, job: &PrintJob) -> (Result<PrintOutput, PrintError>, CallStats) {
    let input_bytes = bindings::invoice_text_bytes(&job.invoice) + job.settings.len();
    call(runtime, plugin, input_bytes, |store, pre| {
        let printer = pre.instantiate(&mut *store)?;
        printer.mvis_plugin_printer_driver().call_render(store, job)
    })
}

/// Calls `calibration` once under the limits.
pub fn calibration(runtime: &PluginRuntime, plugin: &LoadedPlugin, profile: &PrinterProfile, settings: &str) -> (Result<PrintOutput, PrintError>, CallStats) {
    call(runtime, plugin, profile.name.len() + settings.len(), |store, pre| {
        let printer = pre.instantiate(&mut *store)?;
        printer.mvis_plugin_printer_driver().call_calibration(store, profile, settings)
    })
}

fn call(
    runtime: &PluginRuntime,
    plugin: &LoadedPlugin,
    input_bytes: usize,
    body: impl FnOnce(&mut Store<CallState>, &PrinterPre<CallState>) -> wasmtime::Result<Result<PrintOutput, wit_types::Failure>>,
) -> (Result<PrintOutput, PrintError>, CallStats) {
    let call_error = |error| PrintError::Call { id: plugin.manifest.id.clone(), version: plugin.manifest.version.clone(), error };
    let limits = runtime.limits();
    if input_bytes > limits.max_input_bytes {
        return (Err(call_error(CallError::InputTooLarge { bytes: input_bytes, limit: limits.max_input_bytes })), CallStats::default());
    }
    let Instantiable::Printer(pre) = &plugin.instance else {
        return (Err(PrintError::OutputMismatch { id: plugin.manifest.id.clone(), expected: "a printer", found: plugin.manifest.kind.as_str() }), CallStats::default());
    };

    let (result, stats) = runtime.run(&plugin.id, &plugin.version, |store| body(store, pre));
    let output = match result {
        Err(error) => return (Err(call_error(error)), stats),
        Ok(Err(failure)) => {
            let failure = PrintError::PluginFailure { id: plugin.manifest.id.clone(), version: plugin.manifest.version.clone(), code: failure.code, message: failure.message };
            return (Err(failure), stats);
        }
        Ok(Ok(output)) => output,
    };
    let output_bytes = output_size(&output);
    if output_bytes > limits.max_output_bytes {
        return (Err(call_error(CallError::OutputTooLarge { bytes: output_bytes, limit: limits.max_output_bytes })), stats);
    }
    (Ok(output), stats)
}

/// Size of an output as the output cap counts it: the bytes, or a page's text plus 48 bytes per item.
pub fn output_size(output: &PrintOutput) -> usize {
    match output {
        PrintOutput::DeviceBytes(bytes) => bytes.len(),
        PrintOutput::Page(page) => page_size(page),
    }
}

fn page_size(page: &Page) -> usize {
    page.items
        .iter()
        .map(|item| match item {
            PageItem::Text(text) => 48 + text.content.len(),
            PageItem::Line(_) => 48,
        })
        .sum()
}

/// Returns the invoice that every printer renders at load, in both modes, before it is swapped in.
pub fn sample_invoice() -> Invoice {
    let json = include_str!("../../../plugin-sdk/fixtures/printer/invoice-sample-b.json");
    serde_json::from_str(json).expect("the SDK's sample invoice parses")
}

/// Renders the sample invoice in both modes and a calibration page with default settings.
pub(super) fn self_test_printer(runtime: &PluginRuntime, plugin: &LoadedPlugin) -> Result<(), String> {
    let settings = plugin.manifest.resolve_settings(&toml::Table::new())?;
    let profile = PrinterProfile { name: "self-test".to_string(), offset_x_mm: 0.0, offset_y_mm: 0.0 };
    let format = plugin.manifest.printer.as_ref().map(|printer| printer.format).ok_or("a printer without a [printer] table")?;
    for mode in [PrintMode::Overlay, PrintMode::Preview] {
        let job = PrintJob { invoice: bindings::invoice_record(&sample_invoice()), mode, profile: profile.clone(), settings: settings.clone() };
        let (output, _) = render(runtime, plugin, &job);
        check_self_test_output(format, output).map_err(|err| format!("render ({mode:?}): {err}"))?;
    }
    let (output, _) = calibration(runtime, plugin, &profile, &settings);
    check_self_test_output(format, output).map_err(|err| format!("calibration: {err}"))
}

fn check_self_test_output(format: PrintFormat, output: Result<PrintOutput, PrintError>) -> Result<(), String> {
    match (format, output.map_err(|err| err.to_string())?) {
        (PrintFormat::Pdf, PrintOutput::Page(_)) | (PrintFormat::Escp, PrintOutput::DeviceBytes(_)) => Ok(()),
        (format, _) => Err(format!("output does not match the manifest's format {}", format.as_str())),
    }
}
