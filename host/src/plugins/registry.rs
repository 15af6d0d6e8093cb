//! The loaded plugins: every `.wasm` file of the plugin directory, checked, compiled, linked and
//! self-tested off the request path, then swapped in atomically. Prefecture files pick which
//! plugins each prefecture uses. Requests in flight keep the version they started with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::bindings::ctais_adapter::CtaisAdapterPre;
use super::bindings::printer::PrinterPre;
use super::bindings::report_format::ReportFormatPre;
use super::manifest::{self, Manifest, ManifestError, PluginKind};
use super::printing::self_test_printer;
use super::reporting::self_test_report;
use super::runtime::{CallState, PluginLimits, PluginRuntime};
use crate::config::prefecture::{self, PrefectureConfig};
use crate::reload::{self, WatchHandle};

/// A compiled, linked plugin, ready to instantiate.
pub struct LoadedPlugin {
    pub manifest: Manifest,
    pub file_name: String,
    pub sha256: String,
    pub loaded_at: String,
    pub(super) id: Arc<str>,
    pub(super) version: Arc<str>,
    pub(super) instance: Instantiable,
}

pub(super) enum Instantiable {
    Printer(PrinterPre<CallState>),
    CtaisAdapter(CtaisAdapterPre<CallState>),
    ReportFormat(ReportFormatPre<CallState>),
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("failed to compile: {0:?}")]
    Compile(wasmtime::Error),
    #[error("imports do not link (plugins may import only mvis:plugin/log): {0:?}")]
    Link(wasmtime::Error),
    #[error("does not export the {kind} world of mvis:plugin {interface}: {error:?}")]
    Exports { kind: &'static str, interface: String, error: wasmtime::Error },
    #[error("self-test failed: {0}")]
    SelfTest(String),
    #[error("plugin id {id} is already provided by {other_file}")]
    DuplicateId { id: String, other_file: String },
}

/// Load state of one `.wasm` file, as the admin runtime view shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileStatus {
    pub file: String,
    /// Hash of the content that is loaded from this file; `None` when nothing is.
    pub sha256: Option<String>,
    pub plugin_id: Option<String>,
    pub version: Option<String>,
    pub loaded_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// Hash of the content last tried, so an unchanged file is not loaded again.
    #[serde(skip)]
    seen_sha256: String,
}

#[derive(Clone, Default)]
pub(super) struct Loaded {
    pub(super) plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    pub(super) files: BTreeMap<String, FileStatus>,
    pub(super) prefectures: BTreeMap<String, PrefectureConfig>,
    prefecture_error: Option<String>,
}

pub struct PluginHost {
    pub(super) runtime: Arc<PluginRuntime>,
    pub(super) pdf: super::pdf::PdfRenderer,
    plugin_dir: PathBuf,
    prefectures_dir: PathBuf,
    pub(super) state: ArcSwap<Loaded>,
    reload_lock: Mutex<()>,
    watch_handle: Mutex<Option<WatchHandle>>,
}

impl PluginHost {
    /// Creates the host and loads every plugin and prefecture file once. A file that fails to
    /// load is reported in the status and the log; it does not stop the server.
    pub fn start(plugin_dir: &Path, config_dir: &Path, pdf_font: &Path, limits: PluginLimits) -> anyhow::Result<Arc<PluginHost>> {
        let runtime = PluginRuntime::new(limits).map_err(|err| anyhow::anyhow!("failed to create the plugin engine: {err:?}"))?;
        let host = Arc::new(PluginHost {
            runtime,
            pdf: super::pdf::PdfRenderer::new(pdf_font),
            plugin_dir: plugin_dir.to_path_buf(),
            prefectures_dir: config_dir.join("prefectures"),
            state: ArcSwap::from_pointee(Loaded::default()),
            reload_lock: Mutex::new(()),
            watch_handle: Mutex::new(None),
        });
        host.reload();
        Ok(host)
    }

    /// Watches the plugin directory and the prefecture files, reloading on every change.
    pub fn watch(self: &Arc<Self>) -> Result<(), reload::ReloadError> {
        if let Err(err) = std::fs::create_dir_all(&self.plugin_dir) {
            tracing::warn!(dir = %self.plugin_dir.display(), error = %err, "failed to create the plugin directory");
        }
        let weak = Arc::downgrade(self);
        let dirs = [self.plugin_dir.clone(), self.prefectures_dir.clone()];
        let handle = reload::watch("plugins", &dirs, reload::DEFAULT_DEBOUNCE, move |_paths| {
            if let Some(host) = weak.upgrade() {
                host.reload();
            }
        })?;
        *self.watch_handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(handle);
        Ok(())
    }

    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    /// Re-reads prefecture files and every changed `.wasm` file, and swaps in what passed.
    pub fn reload(&self) {
        let _guard = self.reload_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = Loaded::clone(&self.state.load());

        match prefecture::load_all(&self.prefectures_dir) {
            Ok(configs) => {
                next.prefectures = configs;
                next.prefecture_error = None;
            }
            Err(err) => {
                tracing::error!(error = %err, "failed to read prefecture files; keeping the previous plugin selection");
                next.prefecture_error = Some(err.to_string());
            }
        }

        let names = wasm_files(&self.plugin_dir);
        let removed: Vec<String> = next.files.keys().filter(|name| !names.contains(name)).cloned().collect();
        for name in removed {
            next.files.remove(&name);
            next.plugins.retain(|_, plugin| plugin.file_name != name);
            tracing::info!(file = %name, "plugin file removed; its plugin is unloaded");
        }
        for name in names {
            self.reload_file(&mut next, &name);
        }
        self.state.store(Arc::new(next));
    }

    fn reload_file(&self, next: &mut Loaded, name: &str) {
        let path = self.plugin_dir.join(name);
        let bytes = std::fs::read(&path);
        let sha256 = bytes.as_ref().map(|bytes| hex::encode(Sha256::digest(bytes))).unwrap_or_default();
        let status = next.files.entry(name.to_string()).or_insert_with(|| FileStatus { file: name.to_string(), ..FileStatus::default() });
        if !sha256.is_empty() && status.seen_sha256 == sha256 {
            return;
        }
        status.seen_sha256 = sha256.clone();

        let loaded = bytes.map_err(LoadError::from).and_then(|bytes| load_plugin(&self.runtime, name, &bytes, &sha256));
        let loaded = loaded.and_then(|plugin| match next.plugins.get(&plugin.manifest.id) {
            Some(other) if other.file_name != name => Err(LoadError::DuplicateId { id: plugin.manifest.id.clone(), other_file: other.file_name.clone() }),
            _ => Ok(plugin),
        });
        let status = next.files.get_mut(name).expect("status inserted above");
        match loaded {
            Ok(plugin) => {
                tracing::info!(file = %name, plugin = %plugin.manifest.id, version = %plugin.manifest.version, sha256 = %sha256, "plugin loaded");
                status.sha256 = Some(sha256);
                status.plugin_id = Some(plugin.manifest.id.clone());
                status.version = Some(plugin.manifest.version.clone());
                status.loaded_at = Some(plugin.loaded_at.clone());
                status.last_error = None;
                status.last_error_at = None;
                next.plugins.retain(|_, other| other.file_name != name);
                next.plugins.insert(plugin.manifest.id.clone(), Arc::new(plugin));
            }
            Err(err) => {
                tracing::error!(file = %name, sha256 = %sha256, error = %err, "plugin failed to load; keeping the previous version of this file, if any");
                status.last_error = Some(err.to_string());
                status.last_error_at = Some(now());
            }
        }
    }

    /// Builds the plugins section of `GET /api/v1/admin/runtime`.
    pub fn status(&self) -> Value {
        let state = self.state.load();
        let plugins: Vec<Value> = state
            .plugins
            .values()
            .map(|plugin| {
                let file = state.files.get(&plugin.file_name);
                json!({
                    "id": plugin.manifest.id,
                    "version": plugin.manifest.version,
                    "kind": plugin.manifest.kind,
                    "interface_version": plugin.manifest.interface_version,
                    "format": plugin.manifest.printer.as_ref().map(|printer| printer.format.as_str()).or(plugin.manifest.report.as_ref().map(|report| report.format.as_str())),
                    "file": plugin.file_name,
                    "sha256": plugin.sha256,
                    "loaded_at": plugin.loaded_at,
                    "last_error": file.and_then(|file| file.last_error.clone()),
                })
            })
            .collect();
        let prefectures: Vec<Value> = state
            .prefectures
            .values()
            .map(|config| {
                let selection = &config.plugins;
                let selected = selection.printers.iter().chain(selection.ctais_adapter.iter()).chain(selection.report_formats.iter());
                let missing: Vec<&String> = selected.filter(|id| !state.plugins.contains_key(*id)).collect();
                // Settings are checked again at each call; listing errors here lets operators see them first.
                let settings_errors: Vec<String> = selection
                    .settings
                    .iter()
                    .filter_map(|(id, configured)| match state.plugins.get(id) {
                        Some(plugin) => plugin.manifest.resolve_settings(configured).err(),
                        None => Some(format!("settings for plugin {id}, which is not loaded")),
                    })
                    .collect();
                json!({
                    "prefecture_code": config.prefecture_code,
                    "name": config.name,
                    "printers": selection.printers,
                    "ctais_adapter": selection.ctais_adapter,
                    "report_formats": selection.report_formats,
                    "printer_profiles": config.printer_profiles.iter().map(|profile| &profile.name).collect::<Vec<_>>(),
                    "missing": missing,
                    "settings_errors": settings_errors,
                })
            })
            .collect();
        json!({
            "plugin_dir": self.plugin_dir.display().to_string(),
            "interface_version": manifest::HOST_INTERFACE_VERSION.to_string(),
            "limits": self.runtime.limits(),
            "plugins": plugins,
            "files": state.files.values().collect::<Vec<_>>(),
            "prefectures": prefectures,
            "prefecture_config_error": state.prefecture_error,
        })
    }
}

/// Checks, compiles, links and self-tests one plugin file. The manifest and its interface
/// version are checked before compiling, so an incompatible plugin costs no compile time.
pub fn load_plugin(runtime: &PluginRuntime, file_name: &str, bytes: &[u8], sha256: &str) -> Result<LoadedPlugin, LoadError> {
    let manifest = manifest::read_embedded(bytes)?;
    let component = runtime.compile(bytes).map_err(LoadError::Compile)?;
    let pre = runtime.link(&component).map_err(LoadError::Link)?;
    let exports_error = |error| LoadError::Exports { kind: manifest.kind.as_str(), interface: manifest.interface_version.clone(), error };
    let instance = match manifest.kind {
        PluginKind::Printer => Instantiable::Printer(PrinterPre::new(pre).map_err(exports_error)?),
        PluginKind::CtaisAdapter => Instantiable::CtaisAdapter(CtaisAdapterPre::new(pre).map_err(exports_error)?),
        PluginKind::ReportFormat => Instantiable::ReportFormat(ReportFormatPre::new(pre).map_err(exports_error)?),
    };
    let plugin = LoadedPlugin {
        id: Arc::from(manifest.id.as_str()),
        version: Arc::from(manifest.version.as_str()),
        manifest,
        file_name: file_name.to_string(),
        sha256: sha256.to_string(),
        loaded_at: now(),
        instance,
    };
    match plugin.instance {
        Instantiable::Printer(_) => self_test_printer(runtime, &plugin).map_err(LoadError::SelfTest)?,
        Instantiable::CtaisAdapter(_) => super::ctais::self_test_adapter(runtime, &plugin).map_err(LoadError::SelfTest)?,
        Instantiable::ReportFormat(_) => self_test_report(runtime, &plugin).map_err(LoadError::SelfTest)?,
    }
    Ok(plugin)
}

fn wasm_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "wasm"))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
