//! Settings from `config/`: `server.toml` and one file per prefecture under `prefectures/`. Policy
//! that varies by date or place (VAT rates, purchase tax) lives in the rule scripts, not here.
//! Unknown keys are errors that name the file and the key, so a typo never passes silently.

pub mod prefecture;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::money::Fen;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Deployment environment. Production rejects test-only settings such as a fixed clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Demo,
    Test,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    environment: Environment,
    /// 机器编号 printed on every invoice this server issues: 12 digits.
    machine_number: String,
    /// Largest 价税合计 of one invoice, as a decimal string.
    max_total_amount: String,
}

/// Settings the server runs with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: Environment,
    pub machine_number: String,
    pub max_total_amount: Fen,
}

impl Settings {
    /// Loads `server.toml` from `config_dir`.
    pub fn load(config_dir: &Path) -> Result<Settings, ConfigError> {
        let server_path = config_dir.join("server.toml");
        let server: ServerFile = read_toml(&server_path)?;
        let invalid = |path: &Path, message: String| ConfigError::Invalid { path: path.to_path_buf(), message };

        if server.machine_number.len() != 12 || !server.machine_number.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(&server_path, format!("machine_number must be 12 digits, found {:?}", server.machine_number)));
        }
        let max_total_amount = Fen::parse(&server.max_total_amount)
            .map_err(|err| invalid(&server_path, format!("max_total_amount {:?}: {err}", server.max_total_amount)))?;


        Ok(Settings { environment: server.environment, machine_number: server.machine_number, max_total_amount })
    }
}

pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    toml::from_str(&text).map_err(|err| ConfigError::Invalid { path: path.to_path_buf(), message: err.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mvis-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn settings_reject_unknown_key_naming_file() {
        let dir = temp_dir("unknown");
        write(&dir, "server.toml", "environment = \"demo\"\nmachine_number = \"420100000001\"\nmax_total_amount = \"100.00\"\nlisten_port = 1\n");
        let message = Settings::load(&dir).unwrap_err().to_string();
        assert!(message.contains("server.toml"), "{message}");
        assert!(message.contains("listen_port"), "{message}");
    }

    #[test]
    fn settings_load_cap() {
        let dir = temp_dir("valid");
        write(&dir, "server.toml", "environment = \"production\"\nmachine_number = \"420100000001\"\nmax_total_amount = \"100.00\"\n");
        let settings = Settings::load(&dir).unwrap();
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(settings.max_total_amount, Fen(10_000));
    }

    #[test]
    fn settings_reject_bad_machine_number() {
        let dir = temp_dir("machine");
        write(&dir, "server.toml", "environment = \"demo\"\nmachine_number = \"42\"\nmax_total_amount = \"100.00\"\n");
        assert!(Settings::load(&dir).unwrap_err().to_string().contains("machine_number"));
    }
}
