//! Plugin manifests. A plugin's source has a `plugin.toml`; `mvis plugin package` embeds its text
//! in the component as the custom section `mvis:manifest`, so one `.wasm` file carries both. The
//! host reads and checks the manifest before it compiles anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Name of the component custom section that contains the manifest's TOML text.
pub const MANIFEST_SECTION: &str = "mvis:manifest";

/// The `mvis:plugin` package version this host implements. It must match `package` in
/// `plugin-sdk/wit/mvis-plugin.wit`.
pub const HOST_INTERFACE_VERSION: semver::Version = semver::Version::new(1, 0, 0);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    Printer,
    CtaisAdapter,
    ReportFormat,
}

impl PluginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Printer => "printer",
            PluginKind::CtaisAdapter => "ctais-adapter",
            PluginKind::ReportFormat => "report-format",
        }
    }
}

/// The print endpoint's `format`, which selects a printer driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintFormat {
    Pdf,
    Escp,
}

impl PrintFormat {
    pub fn parse(text: &str) -> Option<PrintFormat> {
        match text {
            "pdf" => Some(PrintFormat::Pdf),
            "escp" => Some(PrintFormat::Escp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PrintFormat::Pdf => "pdf",
            PrintFormat::Escp => "escp",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    pub format: PrintFormat,
}

/// The `[report]` table of a report-format plugin: the `format` value of the report routes that
/// selects it, e.g. `csv`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    pub format: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingType {
    Boolean,
    Integer,
    Number,
    String,
}

/// One key a plugin accepts in its settings object.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    #[serde(rename = "type")]
    pub value_type: SettingType,
    #[serde(default)]
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lower-case letters, digits and `-`; what `config/prefectures/*.toml` selects.
    pub id: String,
    /// Semantic version of the plugin itself.
    pub version: String,
    pub kind: PluginKind,
    /// Version of the `mvis:plugin` WIT package the plugin was built against.
    pub interface_version: String,
    #[serde(default)]
    pub description: String,
    /// Host functions beyond logging that the plugin requests. This host grants none yet.
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub printer: Option<PrinterSection>,
    #[serde(default)]
    pub report: Option<ReportSection>,
    #[serde(default)]
    pub settings: BTreeMap<String, SettingSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid WebAssembly file: {0}")]
    Binary(String),
    #[error("no `{MANIFEST_SECTION}` section: package the plugin with `mvis plugin package`")]
    Missing,
    #[error("invalid manifest: {0}")]
    Invalid(String),
    #[error("interface version {found} is not supported: this host implements mvis:plugin {HOST_INTERFACE_VERSION} and accepts 1.0 up to that version")]
    UnsupportedInterface { found: String },
}

impl Manifest {
    /// Parses and checks a manifest's TOML text. Whether this host supports its interface
    /// version is a separate check, [`Manifest::parse_for_host`].
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|err| ManifestError::Invalid(err.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Parses a manifest and checks that this host implements its interface version.
    pub fn parse_for_host(text: &str) -> Result<Manifest, ManifestError> {
        let manifest = Manifest::parse(text)?;
        check_interface_version(&manifest.interface_version)?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), ManifestError> {
        let invalid = |message: String| Err(ManifestError::Invalid(message));
        let id_is_valid = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
            && !self.id.starts_with('-');
        if !id_is_valid {
            return invalid(format!("id {:?} must be 1 to 64 lower-case letters, digits or '-'", self.id));
        }
        if semver::Version::parse(&self.version).is_err() {
            return invalid(format!("version {:?} is not a semantic version such as 1.0.0", self.version));
        }
        if semver::Version::parse(&self.interface_version).is_err() {
            return invalid(format!("interface_version {:?} is not a semantic version such as 1.0.0", self.interface_version));
        }
        if let Some(capability) = self.capabilities.first() {
            return invalid(format!("capability {capability:?} is not offered: plugins get logging and nothing else"));
        }
        match (self.kind, &self.printer) {
            (PluginKind::Printer, None) => return invalid("a printer needs a [printer] table with format = \"pdf\" or \"escp\"".to_string()),
            (PluginKind::CtaisAdapter | PluginKind::ReportFormat, Some(_)) => {
                return invalid(format!("a {} plugin must not have a [printer] table", self.kind.as_str()));
            }
            _ => {}
        }
        match (self.kind, &self.report) {
            (PluginKind::ReportFormat, None) => return invalid("a report-format plugin needs a [report] table with format = \"csv\", \"xlsx\" or another name".to_string()),
            (PluginKind::ReportFormat, Some(report)) if !is_format_name(&report.format) => {
                return invalid(format!("report format {:?} must be 1 to 16 lower-case letters or digits", report.format));
            }
            (PluginKind::Printer | PluginKind::CtaisAdapter, Some(_)) => {
                return invalid(format!("a {} plugin must not have a [report] table", self.kind.as_str()));
            }
            _ => {}
        }
        for (key, spec) in &self.settings {
            if let Some(default) = &spec.default {
                let json = serde_json::to_value(default).map_err(|err| ManifestError::Invalid(err.to_string()))?;
                if !value_matches(spec.value_type, &json) {
                    return invalid(format!("settings.{key}: default {default} is not of type {:?}", spec.value_type));
                }
            }
        }
        Ok(())
    }

    /// Checks a prefecture's settings for this plugin against `[settings]`, fills in declared
    /// defaults and returns the JSON object text passed to the plugin.
    pub fn resolve_settings(&self, configured: &toml::Table) -> Result<String, String> {
        let mut resolved = Map::new();
        for (key, value) in configured {
            let Some(spec) = self.settings.get(key) else {
                let known: Vec<&str> = self.settings.keys().map(String::as_str).collect();
                return Err(format!("unknown setting {key:?} for plugin {}; known settings: {}", self.id, known.join(", ")));
            };
            let json = serde_json::to_value(value).map_err(|err| err.to_string())?;
            if !value_matches(spec.value_type, &json) {
                return Err(format!("setting {key:?} of plugin {} must be of type {:?}, found {value}", self.id, spec.value_type));
            }
            resolved.insert(key.clone(), json);
        }
        for (key, spec) in &self.settings {
            if let (false, Some(default)) = (resolved.contains_key(key), &spec.default) {
                resolved.insert(key.clone(), serde_json::to_value(default).map_err(|err| err.to_string())?);
            }
        }
        Ok(Value::Object(resolved).to_string())
    }
}

fn is_format_name(format: &str) -> bool {
    (1..=16).contains(&format.len()) && format.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
}

fn value_matches(value_type: SettingType, value: &Value) -> bool {
    match value_type {
        SettingType::Boolean => value.is_boolean(),
        SettingType::Integer => value.is_i64() || value.is_u64(),
        SettingType::Number => value.is_number(),
        SettingType::String => value.is_string(),
    }
}

/// Accepts interface versions this host can serve: the same major version, and a minor version
/// no newer than the host's, since a newer minor version may call functions the host lacks.
pub fn check_interface_version(text: &str) -> Result<(), ManifestError> {
    let unsupported = || ManifestError::UnsupportedInterface { found: text.to_string() };
    let version = semver::Version::parse(text).map_err(|_| unsupported())?;
    let host = HOST_INTERFACE_VERSION;
    if version.major != host.major || version.minor > host.minor || !version.pre.is_empty() {
        return Err(unsupported());
    }
    Ok(())
}

/// Reads the manifest text from a component's top-level custom sections, without compiling it.
pub fn read_embedded(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let mut depth = 0usize;
    let mut text = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|err| ManifestError::Binary(err.to_string()))?;
        match payload {
            wasmparser::Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != wasmparser::Encoding::Component {
                    return Err(ManifestError::Binary("a core module, not a component: package it with `mvis plugin package`".to_string()));
                }
                depth += 1;
            }
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::CustomSection(section) if depth == 1 && section.name() == MANIFEST_SECTION => {
                let data = std::str::from_utf8(section.data()).map_err(|_| ManifestError::Invalid("manifest is not UTF-8".to_string()))?;
                text = Some(data.to_string());
            }
            _ => {}
        }
    }
    Manifest::parse_for_host(&text.ok_or(ManifestError::Missing)?)
}

/// Appends the manifest as a custom section. A component may carry custom sections anywhere.
pub fn embed(component: &mut Vec<u8>, manifest_text: &str) {
    let mut payload = Vec::new();
    write_leb128(&mut payload, MANIFEST_SECTION.len());
    payload.extend_from_slice(MANIFEST_SECTION.as_bytes());
    payload.extend_from_slice(manifest_text.as_bytes());

    component.push(0); // custom section id
    write_leb128(component, payload.len());
    component.extend_from_slice(&payload);
}

fn write_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINTER: &str = "id = \"printer-test\"\nversion = \"1.0.0\"\nkind = \"printer\"\ninterface_version = \"1.0.0\"\n[printer]\nformat = \"escp\"\n[settings.form_feed]\ntype = \"boolean\"\ndefault = true\n";

    #[test]
    fn manifest_accepts_printer() {
        let manifest = Manifest::parse(PRINTER).unwrap();
        assert_eq!(manifest.kind, PluginKind::Printer);
        assert_eq!(manifest.printer.unwrap().format, PrintFormat::Escp);
    }

    #[test]
    fn manifest_rejects_other_interface_versions() {
        for version in ["0.9.0", "2.0.0", "1.1.0", "1.0.0-rc.1"] {
            let text = PRINTER.replace("interface_version = \"1.0.0\"", &format!("interface_version = \"{version}\""));
            assert!(Manifest::parse(&text).is_ok(), "{version}: packaging accepts any semantic version");
            let err = Manifest::parse_for_host(&text).unwrap_err();
            assert!(matches!(err, ManifestError::UnsupportedInterface { .. }), "{version}: {err}");
        }
        assert!(check_interface_version("1.0.7").is_ok());
    }

    #[test]
    fn manifest_rejects_capabilities_and_bad_ids() {
        let with_capability = format!("capabilities = [\"wasi-filesystem\"]\n{PRINTER}");
        assert!(Manifest::parse(&with_capability).unwrap_err().to_string().contains("wasi-filesystem"));
        let bad_id = PRINTER.replace("printer-test", "Printer_Test");
        assert!(Manifest::parse(&bad_id).unwrap_err().to_string().contains("Printer_Test"));
    }

    #[test]
    fn settings_fill_defaults_and_reject_unknown_keys() {
        let manifest = Manifest::parse(PRINTER).unwrap();
        assert_eq!(manifest.resolve_settings(&toml::Table::new()).unwrap(), "{\"form_feed\":true}");
        let wrong_type: toml::Table = toml::from_str("form_feed = \"yes\"").unwrap();
        assert!(manifest.resolve_settings(&wrong_type).unwrap_err().contains("Boolean"));
        let unknown: toml::Table = toml::from_str("paper = \"a4\"").unwrap();
        assert!(manifest.resolve_settings(&unknown).unwrap_err().contains("paper"));
    }

    #[test]
    fn embedded_manifest_round_trips() {
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        embed(&mut component, PRINTER);
        assert_eq!(read_embedded(&component).unwrap().id, "printer-test");
        assert!(matches!(read_embedded(&component[..component.len() - 3]), Err(ManifestError::Binary(_))));
    }
}
