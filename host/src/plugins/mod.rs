//! WebAssembly plugins: printer drivers, CTAIS adapters and report formats, as components of the
//! `mvis:plugin` WIT package in `plugin-sdk/wit/`.
//!
//! - `manifest`: the manifest embedded in each component, read and checked before compiling.
//! - `runtime`: the wasmtime engine and the per-call limits (deadline, memory, input, output).
//! - `registry`: loading the plugin directory, hot reload, the admin status.
//! - `printing`: printing an invoice or a calibration page with a prefecture's driver.
//! - `ctais`: decoding CTAIS files and encoding invoice exports with a prefecture's adapter.
//! - `reporting`: rendering a report table with a report-format plugin.
//! - `pdf`: rendering a page description to PDF.
//! - `cli`: `mvis plugin package|check|test|bench` for plugin authors; `cli_ctais` runs the
//!   fixtures of CTAIS adapters.

pub mod bindings;
pub mod cli;
mod cli_ctais;
pub mod ctais;
pub mod manifest;
pub mod pdf;
pub mod printing;
pub mod registry;
pub mod reporting;
pub mod runtime;

pub use manifest::{PluginKind, PrintFormat};
pub use printing::{PrintError, Printed};
pub use registry::PluginHost;
pub use runtime::PluginLimits;

/// Directory the server loads plugins from unless `--plugin-dir` sets another; `tools/build-plugins`
/// writes the shipped plugins here.
pub const DEFAULT_PLUGIN_DIR: &str = "plugins/dist";
