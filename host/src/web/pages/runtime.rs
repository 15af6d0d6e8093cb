//! The province administrator's view of what the server has loaded: each prefecture's rule-script
//! set and the WebAssembly plugins, with versions, hashes and load errors. The same data as
//! `GET /api/v1/admin/runtime`.

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::chrome::Chrome;
use super::session::SignedIn;
use super::{PageError, render};
use crate::store::users::Role;
use crate::web::AppState;

/// One prefecture's script set.
struct ScriptRow {
    prefecture_code: String,
    script_set: String,
    file_count: usize,
    hash: String,
    loaded_at: String,
    last_error: String,
}

/// One loaded plugin, or one plugin file that failed to load.
struct PluginRow {
    file: String,
    id: String,
    version: String,
    kind: String,
    sha256: String,
    loaded_at: String,
    last_error: String,
}

#[derive(askama::Template)]
#[template(path = "admin_runtime.html")]
struct RuntimePage {
    chrome: Chrome,
    scripts: Vec<ScriptRow>,
    plugins_enabled: bool,
    plugin_dir: String,
    plugins: Vec<PluginRow>,
    failed_files: Vec<PluginRow>,
    prefecture_problems: Vec<String>,
}

/// Returns a JSON value as display text: strings as they are, null as "", others as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Shortens a SHA-256 hex digest to its first 16 digits for the table.
fn short_hash(hash: &str) -> String {
    hash.get(..16).unwrap_or(hash).to_string()
}

fn plugin_rows(status: &Value) -> (Vec<PluginRow>, Vec<PluginRow>, Vec<String>) {
    let empty = Vec::new();
    let plugins = status["plugins"].as_array().unwrap_or(&empty).iter().map(|plugin| PluginRow {
        file: text(&plugin["file"]),
        id: text(&plugin["id"]),
        version: text(&plugin["version"]),
        kind: text(&plugin["kind"]),
        sha256: short_hash(&text(&plugin["sha256"])),
        loaded_at: text(&plugin["loaded_at"]),
        last_error: text(&plugin["last_error"]),
    });
    let failed_files = status["files"].as_array().unwrap_or(&empty).iter().filter(|file| !file["last_error"].is_null()).map(|file| PluginRow {
        file: text(&file["file"]),
        id: text(&file["plugin_id"]),
        version: text(&file["version"]),
        kind: String::new(),
        sha256: short_hash(&text(&file["sha256"])),
        loaded_at: text(&file["last_error_at"]),
        last_error: text(&file["last_error"]),
    });

    let mut problems: Vec<String> = Vec::new();
    if !status["prefecture_config_error"].is_null() {
        problems.push(format!("地市配置：{}", text(&status["prefecture_config_error"])));
    }
    for prefecture in status["prefectures"].as_array().unwrap_or(&empty) {
        let code = text(&prefecture["prefecture_code"]);
        for missing in prefecture["missing"].as_array().unwrap_or(&empty) {
            problems.push(format!("地市 {code} 选用的插件 {} 未加载", text(missing)));
        }
        for error in prefecture["settings_errors"].as_array().unwrap_or(&empty) {
            problems.push(format!("地市 {code} 的插件设置有误：{}", text(error)));
        }
    }
    (plugins.collect(), failed_files.collect(), problems)
}

pub async fn runtime(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    if signed_in.user.role != Role::Admin {
        return Err(PageError::message(403, "此页面需要省级管理员权限，请联系省局系统管理员"));
    }
    let scripts = state
        .issuing
        .rules()
        .status()
        .into_iter()
        .map(|status| ScriptRow {
            prefecture_code: status.prefecture_code,
            script_set: status.script_set,
            file_count: status.files.len(),
            hash: status.hash.as_deref().map(short_hash).unwrap_or_default(),
            loaded_at: status.loaded_at.unwrap_or_default(),
            last_error: status.last_error.unwrap_or_default(),
        })
        .collect();
    let plugin_status = state.plugins.as_ref().map(|host| host.status());
    let (plugins, failed_files, prefecture_problems) = plugin_status.as_ref().map(plugin_rows).unwrap_or_default();
    Ok(render(&RuntimePage {
        chrome: Chrome::new(&signed_in, "/admin/runtime"),
        scripts,
        plugins_enabled: plugin_status.is_some(),
        plugin_dir: plugin_status.as_ref().map(|status| text(&status["plugin_dir"])).unwrap_or_default(),
        plugins,
        failed_files,
        prefecture_problems,
    }))
}
