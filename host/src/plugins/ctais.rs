//! CTAIS exchange through a prefecture's `ctais_adapter` plugin: decoding files received from
//! CTAIS into records, and encoding the purchase-tax invoice export. The file formats live only in
//! the adapter, and the host works only with canonical records.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;
use wasmtime::Store;

use super::bindings::ctais_adapter::CtaisAdapterPre;
use super::bindings::{self, wit_types};
use super::registry::{Instantiable, LoadedPlugin, PluginHost};
use super::runtime::{CallError, CallState, CallStats, PluginLimits, PluginRuntime};

pub use super::bindings::ctais_adapter::mvis::plugin::ctais_records::{
    ConformityCertificate, DecodedFile, ExchangeFile, ExportedInvoice, InvoiceExport, RecordBatch, RecordKind, RegistrationStatus, RejectedLine,
    SellerKind, StockDistribution, TaxpayerRegistration,
};

impl PluginLimits {
    /// Returns limits for CTAIS files, which are far larger than one printed invoice. At an
    /// estimated 200 bytes a line, a file of 100,000 certificate lines is about 20 MB of text.
    pub fn exchange() -> PluginLimits {
        PluginLimits { deadline: Duration::from_secs(30), memory_bytes: 512 << 20, max_input_bytes: 64 << 20, max_output_bytes: 64 << 20, max_concurrent_calls: 2 }
    }
}

/// Failure of a CTAIS exchange call.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CtaisError {
    #[error("prefecture {prefecture_code} selects no ctais_adapter")]
    NotConfigured { prefecture_code: String },
    #[error("ctais adapter {id} selected by prefecture {prefecture_code} is not loaded")]
    NotLoaded { prefecture_code: String, id: String },
    #[error("plugin {id} is a {kind} plugin, not a ctais-adapter")]
    NotAnAdapter { id: String, kind: &'static str },
    #[error("settings of plugin {id} are invalid: {message}")]
    SettingsInvalid { id: String, message: String },
    #[error("plugin {id} {version} failed: {error}")]
    Call { id: String, version: String, error: CallError },
    #[error("plugin {id} {version} returned failure {code}: {message}")]
    PluginFailure { id: String, version: String, code: String, field: Option<String>, message: String },
    #[error("plugin {id} returned {found} records for a {expected} file")]
    WrongRecordKind { id: String, expected: &'static str, found: &'static str },
}

impl CtaisError {
    /// Returns the message shown to operators, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            CtaisError::NotConfigured { prefecture_code } => {
                format!("地市 {prefecture_code} 未选择 CTAIS 交换插件，请在 config/prefectures/{prefecture_code}.toml 的 [plugins] 中设置 ctais_adapter")
            }
            CtaisError::NotLoaded { id, .. } => format!("CTAIS 交换插件 {id} 未能加载，请用 mvis plugin check 检查插件目录中的插件文件"),
            CtaisError::NotAnAdapter { id, kind } => format!("插件 {id} 是 {kind} 插件，不是 CTAIS 交换插件（ctais-adapter）"),
            CtaisError::SettingsInvalid { id, message } => format!("CTAIS 交换插件 {id} 的地市配置有误，请修正 [plugins.settings.{id}]：{message}"),
            CtaisError::Call { id, version, error } => match error {
                CallError::Timeout { deadline_ms } => format!("CTAIS 交换插件 {id} {version} 超过 {deadline_ms} 毫秒未完成，已被终止；文件过大时请拆分后分批导入"),
                CallError::MemoryLimit { cap_bytes, .. } => format!("CTAIS 交换插件 {id} {version} 使用的内存超过上限 {} MiB，已被终止；请拆分文件后分批导入", cap_bytes >> 20),
                CallError::InputTooLarge { limit, .. } => format!("文件超过 CTAIS 交换插件的输入上限 {} MiB，请拆分后分批导入", limit >> 20),
                CallError::OutputTooLarge { limit, .. } => format!("CTAIS 交换插件 {id} {version} 的输出超过上限 {} MiB，已丢弃", limit >> 20),
                CallError::Trap(_) | CallError::Instantiate(_) => format!("CTAIS 交换插件 {id} {version} 运行出错，已被终止：{error}"),
            },
            CtaisError::PluginFailure { message, code, .. } => format!("{message}（{code}）"),
            CtaisError::WrongRecordKind { id, expected, found } => format!("CTAIS 交换插件 {id} 对 {expected} 文件返回了 {found} 记录，插件有误"),
        }
    }
}

/// Names a record kind the way the import command does.
pub fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::TaxpayerRegistrations => "taxpayers",
        RecordKind::StockDistributions => "stock",
        RecordKind::ConformityCertificates => "certificates",
        RecordKind::InvoiceExports => "invoices",
    }
}

fn batch_kind(batch: &RecordBatch) -> RecordKind {
    match batch {
        RecordBatch::TaxpayerRegistrations(_) => RecordKind::TaxpayerRegistrations,
        RecordBatch::StockDistributions(_) => RecordKind::StockDistributions,
        RecordBatch::ConformityCertificates(_) => RecordKind::ConformityCertificates,
        RecordBatch::InvoiceExports(_) => RecordKind::InvoiceExports,
    }
}

/// A decoded file and the adapter that read it.
#[derive(Debug)]
pub struct Decoded {
    pub file: DecodedFile,
    pub plugin_id: String,
    pub plugin_version: String,
}

impl PluginHost {
    /// Decodes a file received from CTAIS with the prefecture's adapter.
    pub async fn ctais_decode(&self, prefecture_code: &str, kind: RecordKind, file: ExchangeFile) -> Result<Decoded, CtaisError> {
        let (plugin, settings) = self.choose_adapter(prefecture_code)?;
        let span = tracing::info_span!("plugin_call", plugin = %plugin.id, version = %plugin.version, call = "decode-file", prefecture = %prefecture_code, kind = kind_name(kind));
        let runtime = self.runtime.clone();
        let _slot = runtime.acquire_slot().await;
        let task = tokio::task::spawn_blocking(move || {
            let (result, stats) = decode(&runtime, &plugin, kind, &file, &settings);
            log_stats(&stats);
            result.map(|file| Decoded { file, plugin_id: plugin.manifest.id.clone(), plugin_version: plugin.manifest.version.clone() })
        });
        task.instrument(span).await.expect("plugin call task does not panic")
    }

    /// Encodes issued invoices into the prefecture's purchase-tax export file.
    pub async fn ctais_encode(&self, export: InvoiceExport) -> Result<ExchangeFile, CtaisError> {
        let (plugin, settings) = self.choose_adapter(&export.prefecture_code)?;
        let span = tracing::info_span!("plugin_call", plugin = %plugin.id, version = %plugin.version, call = "encode-invoice-export",
            prefecture = %export.prefecture_code, invoices = export.invoices.len());
        let runtime = self.runtime.clone();
        let _slot = runtime.acquire_slot().await;
        let task = tokio::task::spawn_blocking(move || {
            let (result, stats) = encode(&runtime, &plugin, &export, &settings);
            log_stats(&stats);
            result
        });
        task.instrument(span).await.expect("plugin call task does not panic")
    }

    fn choose_adapter(&self, prefecture_code: &str) -> Result<(Arc<LoadedPlugin>, String), CtaisError> {
        let state = self.state.load();
        let not_configured = || CtaisError::NotConfigured { prefecture_code: prefecture_code.to_string() };
        let config = state.prefectures.get(prefecture_code).ok_or_else(not_configured)?;
        let id = config.plugins.ctais_adapter.as_ref().ok_or_else(not_configured)?;
        let plugin = state.plugins.get(id).cloned().ok_or_else(|| CtaisError::NotLoaded { prefecture_code: prefecture_code.to_string(), id: id.clone() })?;
        let configured = config.plugins.settings.get(id).cloned().unwrap_or_default();
        let settings = plugin.manifest.resolve_settings(&configured).map_err(|message| CtaisError::SettingsInvalid { id: id.clone(), message })?;
        Ok((plugin, settings))
    }
}

fn log_stats(stats: &CallStats) {
    tracing::debug!(elapsed_us = stats.elapsed.as_micros() as u64, peak_memory_bytes = stats.peak_memory_bytes, "plugin call done");
}

/// Calls `decode-file` once under the limits and checks that the records are of `kind`.
pub fn decode(runtime: &PluginRuntime, plugin: &LoadedPlugin, kind: RecordKind, file: &ExchangeFile, settings: &str) -> (Result<DecodedFile, CtaisError>, CallStats) {
    let input_bytes = file.file_name.len() + file.content.len() + settings.len();
    let (result, stats) = call(runtime, plugin, input_bytes, |store, pre| {
        let adapter = pre.instantiate(&mut *store)?;
        adapter.mvis_plugin_ctais_exchange().call_decode_file(store, kind, file, settings)
    });
    let result = result.and_then(|decoded| {
        let found = batch_kind(&decoded.records);
        if found == kind {
            Ok(decoded)
        } else {
            Err(CtaisError::WrongRecordKind { id: plugin.manifest.id.clone(), expected: kind_name(kind), found: kind_name(found) })
        }
    });
    (result, stats)
}

/// Calls `encode-invoice-export` once under the limits.
pub fn encode(runtime: &PluginRuntime, plugin: &LoadedPlugin, export: &InvoiceExport, settings: &str) -> (Result<ExchangeFile, CtaisError>, CallStats) {
    let input_bytes = export.invoices.iter().map(bindings::invoice_text_bytes).sum::<usize>() + settings.len();
    let (result, stats) = call(runtime, plugin, input_bytes, |store, pre| {
        let adapter = pre.instantiate(&mut *store)?;
        adapter.mvis_plugin_ctais_exchange().call_encode_invoice_export(store, export, settings)
    });
    let limit = runtime.limits().max_output_bytes;
    let result = result.and_then(|file| match file.content.len() {
        bytes if bytes > limit => Err(CtaisError::Call {
            id: plugin.manifest.id.clone(),
            version: plugin.manifest.version.clone(),
            error: CallError::OutputTooLarge { bytes, limit },
        }),
        _ => Ok(file),
    });
    (result, stats)
}

fn call<R>(
    runtime: &PluginRuntime,
    plugin: &LoadedPlugin,
    input_bytes: usize,
    body: impl FnOnce(&mut Store<CallState>, &CtaisAdapterPre<CallState>) -> wasmtime::Result<Result<R, wit_types::Failure>>,
) -> (Result<R, CtaisError>, CallStats) {
    let (id, version) = (plugin.manifest.id.clone(), plugin.manifest.version.clone());
    let limits = runtime.limits();
    if input_bytes > limits.max_input_bytes {
        let error = CallError::InputTooLarge { bytes: input_bytes, limit: limits.max_input_bytes };
        return (Err(CtaisError::Call { id, version, error }), CallStats::default());
    }
    let Instantiable::CtaisAdapter(pre) = &plugin.instance else {
        return (Err(CtaisError::NotAnAdapter { id, kind: plugin.manifest.kind.as_str() }), CallStats::default());
    };
    // NOTE: a decoded file's size is bounded by the instance's memory limit, not by
    // `max_output_bytes`, which only the encoded export is checked against.
    let (result, stats) = runtime.run(&plugin.id, &plugin.version, |store| body(store, pre));
    let result = match result {
        Err(error) => Err(CtaisError::Call { id, version, error }),
        Ok(Err(failure)) => Err(CtaisError::PluginFailure { id, version, code: failure.code, field: failure.field, message: failure.message }),
        Ok(Ok(output)) => Ok(output),
    };
    (result, stats)
}

/// Writes the SDK's sample invoice into an export and reads it back, so an adapter that cannot
/// read its own export is rejected at load, before any prefecture uses it.
pub(super) fn self_test_adapter(runtime: &PluginRuntime, plugin: &LoadedPlugin) -> Result<(), String> {
    let settings = plugin.manifest.resolve_settings(&toml::Table::new())?;
    let invoice = bindings::invoice_record(&super::printing::sample_invoice());
    let export = InvoiceExport { prefecture_code: invoice.prefecture_code.clone(), period_from: invoice.issue_date.clone(), period_to: invoice.issue_date.clone(), invoices: vec![invoice.clone()] };
    let (file, _) = encode(runtime, plugin, &export, &settings);
    let file = file.map_err(|err| format!("encode-invoice-export: {err}"))?;
    let (decoded, _) = decode(runtime, plugin, RecordKind::InvoiceExports, &file, &settings);
    let decoded = decoded.map_err(|err| format!("decode-file of its own export: {err}"))?;

    let read_back = match &decoded.records {
        RecordBatch::InvoiceExports(records) => records.as_slice(),
        _ => &[],
    };
    let matches = read_back.len() == 1
        && decoded.rejected_lines.is_empty()
        && read_back[0].invoice_code == invoice.invoice_code
        && read_back[0].invoice_number == invoice.invoice_number
        && read_back[0].vin == invoice.vin
        && read_back[0].total_amount == invoice.total_amount;
    if !matches {
        return Err(format!("decode-file of its own export returned {} records and {} rejected lines instead of the sample invoice", read_back.len(), decoded.rejected_lines.len()));
    }
    Ok(())
}

impl From<CtaisError> for crate::domain::rejection::Rejection {
    fn from(err: CtaisError) -> crate::domain::rejection::Rejection {
        use crate::domain::rejection::Rejection;
        let message = err.message_zh();
        match &err {
            CtaisError::NotConfigured { .. } => Rejection::new(404, "ctais_adapter_not_configured", Some("prefecture_code"), message),
            CtaisError::NotLoaded { .. } => Rejection::new(503, "plugin_not_loaded", None, message),
            CtaisError::PluginFailure { code, field, .. } => Rejection::new(422, code, field.as_deref(), message),
            CtaisError::Call { error: CallError::InputTooLarge { .. }, .. } => Rejection::new(413, "plugin_input_too_large", None, message),
            CtaisError::Call { error: CallError::Timeout { .. }, .. } => Rejection::new(503, "plugin_timeout", None, message),
            CtaisError::NotAnAdapter { .. } | CtaisError::SettingsInvalid { .. } | CtaisError::Call { .. } | CtaisError::WrongRecordKind { .. } => {
                tracing::error!(error = %err, "ctais adapter call failed");
                Rejection::new(500, "ctais_adapter_failed", None, message)
            }
        }
    }
}
