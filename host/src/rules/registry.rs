//! The live script sets of every prefecture, reloaded when files change: compile, check the
//! required functions, run the test cases, then swap. A failed reload keeps the old version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::{Limits, build_engine};
use super::reference::ReferenceTables;
use super::script_set::{ScriptFile, ScriptSet, rhai_files};
use super::testcases::run_test_cases;
use super::RuleError;
use crate::config::prefecture::{self, PrefectureConfig};
use crate::reload::{DEFAULT_DEBOUNCE, WatchHandle, watch};

/// Load state of one prefecture's scripts, as `GET /api/v1/admin/runtime` lists it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScriptStatus {
    pub prefecture_code: String,
    pub script_set: String,
    pub files: Vec<ScriptFile>,
    pub hash: Option<String>,
    pub loaded_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    #[serde(skip)]
    source_hash: String,
}

#[derive(Default)]
struct Loaded {
    sets: BTreeMap<String, Arc<ScriptSet>>,
    status: BTreeMap<String, ScriptStatus>,
}

/// Script sets by prefecture code.
pub struct Rules {
    scripts_dir: PathBuf,
    config_dir: PathBuf,
    limits: Limits,
    state: ArcSwap<Loaded>,
    reload_lock: Mutex<()>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Hashes every input of a prefecture's set (scripts, test cases, reference tables, its config),
/// so that an unchanged set is skipped on reload.
fn source_hash(paths: &[PathBuf]) -> String {
    let mut hasher = Sha256::new();
    for path in paths {
        hasher.update(path.display().to_string().as_bytes());
        match std::fs::read(path) {
            Ok(bytes) => hasher.update(Sha256::digest(&bytes)),
            Err(_) => hasher.update(b"missing"),
        }
    }
    hex::encode(hasher.finalize())
}

fn listed(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .collect();
    files.sort();
    files
}

impl Rules {
    /// Loads every prefecture named in `config_dir/prefectures/`. A prefecture whose scripts fail
    /// to load has no set (its issuing is refused) and its error is in [`Rules::status`].
    pub fn load(scripts_dir: &Path, config_dir: &Path, limits: Limits) -> Rules {
        let rules = Rules {
            scripts_dir: scripts_dir.to_path_buf(),
            config_dir: config_dir.to_path_buf(),
            limits,
            state: ArcSwap::from_pointee(Loaded::default()),
            reload_lock: Mutex::new(()),
        };
        rules.reload();
        rules
    }

    pub fn for_prefecture(&self, prefecture_code: &str) -> Option<Arc<ScriptSet>> {
        self.state.load().sets.get(prefecture_code).cloned()
    }

    pub fn status(&self) -> Vec<ScriptStatus> {
        self.state.load().status.values().cloned().collect()
    }

    fn inputs(&self, config: &PrefectureConfig) -> Vec<PathBuf> {
        let set_dir = self.scripts_dir.join(&config.script_set);
        let prefecture_dir = set_dir.join(&config.prefecture_code);
        let reference_dir = self.config_dir.join("reference");
        let mut paths = listed(&set_dir, "rhai");
        paths.extend(listed(&set_dir.join("tests"), "toml"));
        paths.extend(listed(&prefecture_dir, "rhai"));
        paths.extend(listed(&prefecture_dir.join("tests"), "toml"));
        paths.extend(listed(&reference_dir, "csv"));
        paths.push(self.config_dir.join("prefectures").join(format!("{}.toml", config.prefecture_code)));
        paths
    }

    /// Re-reads configuration and scripts and swaps in every prefecture whose inputs changed and
    /// whose new version compiles and passes its tests. Requests in flight keep their `Arc`.
    pub fn reload(&self) {
        let _guard = self.reload_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.state.load_full();
        let mut next = Loaded { sets: current.sets.clone(), status: current.status.clone() };

        let configs = match prefecture::load_all(&self.config_dir.join("prefectures")) {
            Ok(configs) => configs,
            Err(err) => {
                tracing::error!(error = %err, "failed to read prefecture configuration; keeping loaded scripts");
                return;
            }
        };
        next.sets.retain(|code, _| configs.contains_key(code));
        next.status.retain(|code, _| configs.contains_key(code));

        let mut engine = None;
        for (code, config) in &configs {
            let hash = source_hash(&self.inputs(config));
            let status = next.status.entry(code.clone()).or_insert_with(|| ScriptStatus { prefecture_code: code.clone(), ..ScriptStatus::default() });
            if status.source_hash == hash && next.sets.contains_key(code) {
                continue;
            }

            let engine = engine.get_or_insert_with(|| self.new_engine()).clone();
            match engine.and_then(|engine| self.build(engine, config)) {
                Ok(set) => {
                    tracing::info!(prefecture = %code, set = %set.name, hash = %set.hash(), files = set.files.len(), "script set loaded");
                    status.script_set = set.name.clone();
                    status.files = set.files.clone();
                    status.hash = Some(set.hash());
                    status.loaded_at = Some(now());
                    status.last_error = None;
                    status.source_hash = hash;
                    next.sets.insert(code.clone(), Arc::new(set));
                }
                Err(err) => {
                    tracing::error!(prefecture = %code, error = %err, "script set failed to load; keeping the previous version");
                    status.script_set = config.script_set.clone();
                    status.last_error = Some(err.to_string());
                    status.last_error_at = Some(now());
                    status.source_hash = hash;
                }
            }
        }
        self.state.store(Arc::new(next));
    }

    fn new_engine(&self) -> Result<Arc<rhai::Engine>, RuleError> {
        let reference = ReferenceTables::load(&self.config_dir.join("reference"))?;
        Ok(Arc::new(build_engine(self.limits, Arc::new(reference))))
    }

    /// Compiles a prefecture's set and runs the province's and the prefecture's test cases.
    fn build(&self, engine: Arc<rhai::Engine>, config: &PrefectureConfig) -> Result<ScriptSet, RuleError> {
        let set_dir = self.scripts_dir.join(&config.script_set);
        let prefecture_dir = set_dir.join(&config.prefecture_code);
        let has_overrides = prefecture_dir.is_dir() && !rhai_files(&prefecture_dir)?.is_empty();

        let province = ScriptSet::compile(engine.clone(), self.limits, &self.scripts_dir, &set_dir, None)?;
        check_outcomes(&province.name, run_test_cases(&province, &set_dir.join("tests"), &config.prefecture_code)?)?;
        if !has_overrides {
            return Ok(province);
        }

        let merged = ScriptSet::compile(engine, self.limits, &self.scripts_dir, &set_dir, Some(&prefecture_dir))?;
        check_outcomes(&merged.name, run_test_cases(&merged, &prefecture_dir.join("tests"), &config.prefecture_code)?)?;
        Ok(merged)
    }

    /// Watches `scripts/` and `config/` and reloads on change.
    pub fn watch(self: &Arc<Self>) -> Result<WatchHandle, crate::reload::ReloadError> {
        let rules = Arc::downgrade(self);
        watch("rules", &[self.scripts_dir.clone(), self.config_dir.clone()], DEFAULT_DEBOUNCE, move |_paths| {
            if let Some(rules) = rules.upgrade() {
                rules.reload();
            }
        })
    }
}

fn check_outcomes(set: &str, outcomes: Vec<super::TestOutcome>) -> Result<(), RuleError> {
    match outcomes.into_iter().find(|outcome| !outcome.failures.is_empty()) {
        Some(failed) => Err(RuleError::TestFailed { set: set.to_string(), case: format!("{} ({})", failed.name, failed.file), message: failed.failures.join("; ") }),
        None => Ok(()),
    }
}
