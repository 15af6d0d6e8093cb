//! Per-prefecture settings, one file each: `config/prefectures/<code>.toml`. A file names the
//! prefecture's rule-script set, its plugins and its printer profiles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ConfigError, read_toml};

/// One prefecture's file.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrefectureConfig {
    /// GB/T 2260 code; must match the file name.
    pub prefecture_code: String,
    /// Name for logs and pages.
    pub name: String,
    /// Rule scripts: the province directory under `scripts/` (e.g. `hubei`). Overrides come from
    /// `scripts/<script_set>/<prefecture_code>/` when that directory exists.
    pub script_set: String,
    #[serde(default)]
    pub plugins: PluginSelection,
    #[serde(default)]
    pub printer_profiles: Vec<PrinterProfile>,
}

/// Plugins a prefecture uses, by plugin id (the manifest's `id`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSelection {
    #[serde(default)]
    pub printers: Vec<String>,
    #[serde(default)]
    pub ctais_adapter: Option<String>,
    #[serde(default)]
    pub report_formats: Vec<String>,
    /// Settings per plugin id, checked against the `[settings]` table of that plugin's manifest
    /// at each call: `[plugins.settings.printer-escp]` with `form_feed = false`, for example.
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Table>,
}

/// Printer profile: offsets in millimetres added to every position of the layout.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterProfile {
    pub name: String,
    #[serde(default)]
    pub offset_x_mm: f64,
    #[serde(default)]
    pub offset_y_mm: f64,
}

/// Reads every `*.toml` in `dir`, keyed by prefecture code. A file whose `prefecture_code` differs
/// from its name is an error, so a copied file cannot silently configure the wrong prefecture.
pub fn load_all(dir: &Path) -> Result<BTreeMap<String, PrefectureConfig>, ConfigError> {
    let mut configs = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read { path: dir.to_path_buf(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    paths.sort();

    for path in paths {
        let config = load_one(&path)?;
        configs.insert(config.prefecture_code.clone(), config);
    }
    Ok(configs)
}

pub fn load_one(path: &Path) -> Result<PrefectureConfig, ConfigError> {
    let config: PrefectureConfig = read_toml(path)?;
    let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    if stem != config.prefecture_code {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            message: format!("prefecture_code {} does not match the file name {stem}.toml", config.prefecture_code),
        });
    }
    if config.script_set.is_empty() || config.script_set.contains(['/', '\\', '.']) {
        return Err(ConfigError::Invalid { path: path.to_path_buf(), message: format!("script_set {:?} must be a directory name under scripts/", config.script_set) });
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefecture_config_rejects_unknown_key() {
        let dir = std::env::temp_dir().join(format!("mvis-prefecture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("420100.toml");
        std::fs::write(&path, "prefecture_code = \"420100\"\nname = \"武汉市\"\nscript_set = \"hubei\"\nscriptset = \"x\"\n").unwrap();
        let message = load_one(&path).unwrap_err().to_string();
        assert!(message.contains("420100.toml"), "{message}");
        assert!(message.contains("scriptset"), "{message}");
    }

    #[test]
    fn prefecture_config_rejects_mismatched_code() {
        let dir = std::env::temp_dir().join(format!("mvis-prefecture-code-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("420600.toml");
        std::fs::write(&path, "prefecture_code = \"420100\"\nname = \"武汉市\"\nscript_set = \"hubei\"\n").unwrap();
        assert!(load_one(&path).unwrap_err().to_string().contains("does not match"));
    }
}
