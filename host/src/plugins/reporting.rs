//! Rendering report tables through report-format plugins: choosing the plugin for a format,
//! calling it under the report limits on a blocking thread, and the self-test at load.

use std::time::Duration;

use tracing::Instrument;

use super::bindings::report_format::exports::mvis::plugin::report_renderer as wit;
use super::registry::{Instantiable, LoadedPlugin, PluginHost};
use super::runtime::{CallError, CallStats, PluginRuntime};
use crate::domain::rejection::Rejection;
use crate::reports::{Cell, ColumnKind, ReportTable};

/// Wall time after which a report call is interrupted, to stop a plugin that has gone wrong.
/// NOTE: a guess. The shipped plugins have not been timed with a table at the row cap.
pub const REPORT_DEADLINE: Duration = Duration::from_secs(5);
/// Largest report input (text of the table plus settings), in bytes.
pub const REPORT_MAX_INPUT_BYTES: usize = 4 << 20;
/// Largest report document, in bytes.
pub const REPORT_MAX_OUTPUT_BYTES: usize = 16 << 20;

/// A rendered report and what made it.
pub struct RenderedReport {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub plugin_id: String,
    pub plugin_version: String,
    pub stats: CallStats,
}

/// Failure of a report rendering.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ReportRenderError {
    #[error("no report-format plugin for {format} is selected for prefecture {prefecture_code}")]
    NotConfigured { prefecture_code: String, format: String },
    #[error("report-format plugins {ids:?} are selected but not loaded")]
    NotLoaded { ids: Vec<String> },
    #[error("plugin {id} is not a loaded report-format plugin")]
    NotReportFormat { id: String },
    #[error("settings of plugin {id} are invalid: {message}")]
    SettingsInvalid { id: String, message: String },
    #[error("plugin {id} {version} failed: {error}")]
    Call { id: String, version: String, error: CallError },
    #[error("plugin {id} {version} returned failure {code}: {message}")]
    PluginFailure { id: String, version: String, code: String, message: String },
    #[error("plugin {id} returned an empty document")]
    EmptyDocument { id: String },
}

impl From<ReportRenderError> for Rejection {
    fn from(err: ReportRenderError) -> Rejection {
        match &err {
            ReportRenderError::NotConfigured { prefecture_code, format } => Rejection::new(
                404,
                "report_format_not_configured",
                Some("format"),
                format!("地市 {prefecture_code} 未启用 {format} 格式的报表插件，请联系信息中心在 config/prefectures/{prefecture_code}.toml 的 [plugins] report_formats 中启用"),
            ),
            ReportRenderError::NotLoaded { ids } => Rejection::new(
                503,
                "plugin_not_loaded",
                Some("format"),
                format!("报表插件 {} 未能加载，暂时无法导出；请联系信息中心在 /api/v1/admin/runtime 查看原因", ids.join("、")),
            ),
            ReportRenderError::NotReportFormat { id } => Rejection::new(404, "report_format_not_configured", Some("format"), format!("报表插件 {id} 未加载")),
            ReportRenderError::SettingsInvalid { id, message } => {
                tracing::error!(plugin = %id, error = %message, "plugin settings in the prefecture file are invalid");
                Rejection::new(500, "plugin_settings_invalid", None, format!("报表插件 {id} 的地市配置有误，请联系信息中心修正 [plugins.settings.{id}]"))
            }
            ReportRenderError::Call { id, version, error } => call_rejection(id, version, error),
            ReportRenderError::PluginFailure { id, version, code, message } => {
                Rejection::new(422, "plugin_failed", None, format!("报表插件 {id} {version} 无法生成此报表：{message}（{code}）"))
            }
            ReportRenderError::EmptyDocument { id } => {
                tracing::error!(plugin = %id, "report plugin returned an empty document");
                Rejection::new(502, "plugin_output_invalid", None, format!("报表插件 {id} 返回了空文件，请联系信息中心"))
            }
        }
    }
}

fn call_rejection(id: &str, version: &str, error: &CallError) -> Rejection {
    tracing::warn!(plugin = %id, version = %version, error = %error, "report plugin call failed");
    match error {
        CallError::Timeout { deadline_ms } => {
            Rejection::new(503, "plugin_timeout", None, format!("报表插件 {id} {version} 超过 {deadline_ms} 毫秒未完成，已被终止；请缩短起止日期后重试"))
        }
        CallError::MemoryLimit { cap_bytes, .. } => Rejection::new(
            413,
            "plugin_memory_limit",
            Some("from"),
            format!("报表插件 {id} {version} 使用的内存超过上限 {} MiB；请缩短起止日期或选择一个地市", cap_bytes >> 20),
        ),
        CallError::InputTooLarge { limit, .. } => {
            Rejection::new(413, "plugin_input_too_large", Some("from"), format!("报表内容超过报表插件的输入上限 {limit} 字节；请缩短起止日期或选择一个地市"))
        }
        CallError::OutputTooLarge { limit, .. } => {
            Rejection::new(413, "plugin_output_too_large", Some("from"), format!("生成的报表文件超过上限 {limit} 字节；请缩短起止日期或选择一个地市"))
        }
        CallError::Trap(_) => Rejection::new(500, "plugin_trapped", None, format!("报表插件 {id} {version} 运行出错，已被终止；请联系信息中心查看服务日志")),
        CallError::Instantiate(_) => Rejection::new(503, "plugin_busy", None, "报表插件暂时无法启动，请稍后重试"),
    }
}

impl PluginHost {
    /// Returns the id and resolved settings of the report-format plugin for `format`. A report of
    /// one prefecture uses that prefecture's selection. A province-wide report (`None`) uses the
    /// first prefecture, by code, that selects a loaded plugin for the format.
    pub fn choose_report_format(&self, prefecture_code: Option<&str>, format: &str) -> Result<(String, String), ReportRenderError> {
        let state = self.state.load();
        let configs: Vec<_> = match prefecture_code {
            Some(code) => state.prefectures.get(code).into_iter().collect(),
            None => state.prefectures.values().collect(),
        };
        let mut missing = Vec::new();
        for config in configs {
            for id in &config.plugins.report_formats {
                let Some(plugin) = state.plugins.get(id) else {
                    missing.push(id.clone());
                    continue;
                };
                if plugin.manifest.report.as_ref().is_some_and(|report| report.format == format) {
                    let configured = config.plugins.settings.get(id).cloned().unwrap_or_default();
                    let settings = plugin.manifest.resolve_settings(&configured).map_err(|message| ReportRenderError::SettingsInvalid { id: id.clone(), message })?;
                    return Ok((id.clone(), settings));
                }
            }
        }
        if missing.is_empty() {
            Err(ReportRenderError::NotConfigured { prefecture_code: prefecture_code.unwrap_or(crate::store::prefectures::PROVINCE_CODE).to_string(), format: format.to_string() })
        } else {
            missing.sort();
            missing.dedup();
            Err(ReportRenderError::NotLoaded { ids: missing })
        }
    }

    /// Renders `table` with the loaded report-format plugin `plugin_id` and `settings` (a JSON
    /// object already checked against the plugin's manifest).
    pub async fn render_report(&self, plugin_id: &str, table: &ReportTable, settings: String) -> Result<RenderedReport, ReportRenderError> {
        let plugin = self.state.load().plugins.get(plugin_id).cloned().ok_or_else(|| ReportRenderError::NotReportFormat { id: plugin_id.to_string() })?;
        let input_bytes = table.text_bytes() + settings.len();
        let record = table_record(table);
        let span = tracing::info_span!("plugin_call", plugin = %plugin.id, version = %plugin.version, call = "render_report", report = %table.report_id, prefecture = %table.prefecture_code);

        let _slot = self.runtime.acquire_slot().await;
        let runtime = self.runtime.clone();
        let blocking_span = span.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _entered = blocking_span.enter();
            let (document, stats) = render(&runtime, &plugin, &record, &settings, input_bytes);
            let document = document?;
            tracing::debug!(elapsed_us = stats.elapsed.as_micros() as u64, peak_memory_bytes = stats.peak_memory_bytes, output_bytes = document.content.len(), "report plugin call done");
            Ok(RenderedReport {
                file_name: document.file_name,
                media_type: document.media_type,
                content: document.content,
                plugin_id: plugin.manifest.id.clone(),
                plugin_version: plugin.manifest.version.clone(),
                stats,
            })
        });
        task.instrument(span).await.expect("report plugin task does not panic")
    }
}

/// Calls `render` once under the report limits.
fn render(runtime: &PluginRuntime, plugin: &LoadedPlugin, table: &wit::ReportTable, settings: &str, input_bytes: usize) -> (Result<wit::Document, ReportRenderError>, CallStats) {
    let call_error = |error| ReportRenderError::Call { id: plugin.manifest.id.clone(), version: plugin.manifest.version.clone(), error };
    if input_bytes > REPORT_MAX_INPUT_BYTES {
        return (Err(call_error(CallError::InputTooLarge { bytes: input_bytes, limit: REPORT_MAX_INPUT_BYTES })), CallStats::default());
    }
    let Instantiable::ReportFormat(pre) = &plugin.instance else {
        return (Err(ReportRenderError::NotReportFormat { id: plugin.manifest.id.clone() }), CallStats::default());
    };

    let (result, stats) = runtime.run_with_deadline(REPORT_DEADLINE, &plugin.id, &plugin.version, |store| {
        let instance = pre.instantiate(&mut *store)?;
        instance.mvis_plugin_report_renderer().call_render(store, table, settings)
    });
    let document = match result {
        Err(error) => return (Err(call_error(error)), stats),
        Ok(Err(failure)) => {
            let failure = ReportRenderError::PluginFailure { id: plugin.manifest.id.clone(), version: plugin.manifest.version.clone(), code: failure.code, message: failure.message };
            return (Err(failure), stats);
        }
        Ok(Ok(document)) => document,
    };
    if document.content.len() > REPORT_MAX_OUTPUT_BYTES {
        return (Err(call_error(CallError::OutputTooLarge { bytes: document.content.len(), limit: REPORT_MAX_OUTPUT_BYTES })), stats);
    }
    if document.content.is_empty() {
        return (Err(ReportRenderError::EmptyDocument { id: plugin.manifest.id.clone() }), stats);
    }
    (Ok(document), stats)
}

/// Converts the host's table into the interface's record. Amounts cross as integer fen.
fn table_record(table: &ReportTable) -> wit::ReportTable {
    let cells = |row: &Vec<Cell>| -> Vec<wit::Cell> {
        row.iter()
            .map(|cell| match cell {
                Cell::Empty => wit::Cell::Empty,
                Cell::Text(text) => wit::Cell::Text(text.clone()),
                Cell::Integer(number) => wit::Cell::Integer(*number),
                Cell::Amount(fen) => wit::Cell::Amount(fen.0),
                Cell::Date(date) => wit::Cell::Date(date.clone()),
                Cell::Rate(rate) => wit::Cell::Rate(rate.clone()),
            })
            .collect()
    };
    wit::ReportTable {
        report_id: table.report_id.clone(),
        title: table.title.clone(),
        prefecture_code: table.prefecture_code.clone(),
        period_from: table.period_from.clone(),
        period_to: table.period_to.clone(),
        generated_at: table.generated_at.clone(),
        columns: table
            .columns
            .iter()
            .map(|column| wit::Column {
                name: column.name.to_string(),
                label: column.label.to_string(),
                kind: match column.kind {
                    ColumnKind::Text => wit::ColumnKind::Text,
                    ColumnKind::Integer => wit::ColumnKind::Integer,
                    ColumnKind::Amount => wit::ColumnKind::Amount,
                    ColumnKind::Date => wit::ColumnKind::Date,
                    ColumnKind::Rate => wit::ColumnKind::Rate,
                },
            })
            .collect(),
        rows: table.rows.iter().map(cells).collect(),
        totals: table.totals.as_ref().map(cells),
    }
}

/// Returns the table every report-format plugin renders at load, before it is swapped in.
pub fn sample_table() -> ReportTable {
    use crate::domain::money::Fen;
    use crate::reports::Column;
    let columns = vec![
        Column { name: "month", label: "月份", kind: ColumnKind::Text },
        Column { name: "brand", label: "品牌", kind: ColumnKind::Text },
        Column { name: "invoice_count", label: "开具张数", kind: ColumnKind::Integer },
        Column { name: "total_amount", label: "价税合计", kind: ColumnKind::Amount },
        Column { name: "first_issue_date", label: "首张开票日期", kind: ColumnKind::Date },
        Column { name: "total_amount_change", label: "价税合计环比", kind: ColumnKind::Rate },
    ];
    let row = |month: &str, brand: &str, count, fen, change: Option<&str>| {
        vec![
            Cell::Text(month.to_string()),
            Cell::Text(brand.to_string()),
            Cell::Integer(count),
            Cell::Amount(Fen(fen)),
            Cell::Date(format!("{month}-01")),
            change.map_or(Cell::Empty, |change| Cell::Rate(change.to_string())),
        ]
    };
    ReportTable {
        report_id: "self-test".to_string(),
        title: "报表插件自检".to_string(),
        prefecture_code: crate::store::prefectures::PROVINCE_CODE.to_string(),
        period_from: "2026-01-01".to_string(),
        period_to: "2026-02-28".to_string(),
        generated_at: "2026-03-01T00:00:00Z".to_string(),
        columns,
        rows: vec![row("2026-01", "大众汽车", 2, 19_800_000, None), row("2026-02", "大众汽车", -1, -9_900_050, Some("-1.5000"))],
        totals: Some(vec![Cell::Text("合计".to_string()), Cell::Empty, Cell::Integer(1), Cell::Amount(Fen(9_899_950)), Cell::Empty, Cell::Empty]),
    }
}

/// Renders the sample table with default settings and checks that a document comes back.
pub(super) fn self_test_report(runtime: &PluginRuntime, plugin: &LoadedPlugin) -> Result<(), String> {
    let settings = plugin.manifest.resolve_settings(&toml::Table::new())?;
    let table = sample_table();
    let (document, _) = render(runtime, plugin, &table_record(&table), &settings, table.text_bytes() + settings.len());
    document.map(|_| ()).map_err(|err| err.to_string())
}
