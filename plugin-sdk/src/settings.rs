//! The settings object a plugin receives. The host has already checked it against the
//! manifest's `[settings]` table and filled in declared defaults, so a missing key here means
//! the manifest declares it without a default.

use serde_json::{Map, Value};

use crate::{Failure, failure};

pub struct Settings {
    values: Map<String, Value>,
}

impl Settings {
    /// Parses the JSON object passed with a call.
    pub fn parse(json: &str) -> Result<Settings, Failure> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(values)) => Ok(Settings { values }),
            _ => Err(failure("settings_invalid", None, "插件设置不是 JSON 对象，请检查地市配置中的插件设置")),
        }
    }

    pub fn boolean(&self, key: &str, default: bool) -> bool {
        self.values.get(key).and_then(Value::as_bool).unwrap_or(default)
    }

    pub fn number(&self, key: &str, default: f64) -> f64 {
        self.values.get(key).and_then(Value::as_f64).unwrap_or(default)
    }

    pub fn string<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.values.get(key).and_then(Value::as_str).unwrap_or(default)
    }
}
