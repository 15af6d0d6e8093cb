//! File watching for hot reload. Watches directories (not files, so that editors that replace a
//! file by renaming are seen), collects events until the directories are quiet for a moment, then
//! hands the changed paths to the subsystem, which validates before it swaps anything in.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

/// Quiet time after the last event before a reload starts, so a save of several files reloads once.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("failed to watch {path}: {source}")]
    Watch { path: PathBuf, source: notify::Error },
}

/// Keeps the watch alive; dropping it stops watching.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
}

/// Watches `dirs` recursively and calls `on_change` on a dedicated thread with the changed paths,
/// sorted and without duplicates, once the directories have been quiet for `debounce`.
pub fn watch(name: &'static str, dirs: &[PathBuf], debounce: Duration, on_change: impl Fn(Vec<PathBuf>) + Send + 'static) -> Result<WatchHandle, ReloadError> {
    let (sender, receiver) = mpsc::channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| match result {
        Ok(event) => {
            for path in event.paths {
                let _ = sender.send(path);
            }
        }
        Err(err) => tracing::warn!(watcher = name, error = %err, "file watch error"),
    })
    .map_err(|source| ReloadError::Watch { path: PathBuf::new(), source })?;

    for dir in dirs {
        watcher.watch(dir, RecursiveMode::Recursive).map_err(|source| ReloadError::Watch { path: dir.clone(), source })?;
    }
    tracing::info!(watcher = name, dirs = ?dirs, "watching for changes");

    std::thread::Builder::new()
        .name(format!("reload-{name}"))
        .spawn(move || debounce_loop(name, &receiver, debounce, on_change))
        .expect("reload thread starts");
    Ok(WatchHandle { _watcher: watcher })
}

fn debounce_loop(name: &str, receiver: &mpsc::Receiver<PathBuf>, debounce: Duration, on_change: impl Fn(Vec<PathBuf>)) {
    while let Ok(first) = receiver.recv() {
        let mut changed = BTreeSet::from([first]);
        while let Ok(path) = receiver.recv_timeout(debounce) {
            changed.insert(path);
        }
        tracing::debug!(watcher = name, files = changed.len(), "change detected");
        on_change(changed.into_iter().collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn watch_reports_changed_file_once() {
        let dir = std::env::temp_dir().join(format!("mvis-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let _handle = watch("test", std::slice::from_ref(&dir), Duration::from_millis(100), move |paths| sink.lock().unwrap().push(paths)).unwrap();

        std::fs::write(dir.join("a.rhai"), "fn a() { 1 }").unwrap();
        std::fs::write(dir.join("a.rhai"), "fn a() { 2 }").unwrap();

        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let batches = seen.lock().unwrap().clone();
        assert!(!batches.is_empty(), "no change reported");
        assert!(batches[0].iter().any(|path| path.ends_with("a.rhai")), "{batches:?}");
    }
}
