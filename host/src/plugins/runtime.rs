//! The wasmtime engine that runs plugins, and the limits every call runs under.
//!
//! Components are compiled once and pre-linked (`InstancePre`). Each call gets a fresh instance
//! from the pooling allocator in a fresh `Store`, which is dropped after the call whether it
//! succeeded or trapped, so no state and no poisoned instance outlives a call.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap};

use super::bindings::printer::mvis::plugin::log;

/// Limits of one plugin call. The same values apply in the server and in `mvis plugin test`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct PluginLimits {
    /// Wall time after which the call is interrupted.
    #[serde(serialize_with = "serialize_millis")]
    pub deadline: Duration,
    /// Largest linear memory of one instance, in bytes.
    pub memory_bytes: usize,
    /// Largest input (text of the records plus settings), in bytes.
    pub max_input_bytes: usize,
    /// Largest output (device bytes, or the text of a page description), in bytes.
    pub max_output_bytes: usize,
    /// Instances that may exist at once; further calls wait for a free slot.
    pub max_concurrent_calls: u32,
}

fn serialize_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(duration.as_millis())
}

impl Default for PluginLimits {
    /// Returns limits sized for printing. A printed invoice takes well under a millisecond, so
    /// 250 ms only stops a plugin that has gone wrong, and 32 MiB is many times the 1.2 MiB peak
    /// that `mvis plugin test` reports for the shipped drivers.
    fn default() -> PluginLimits {
        PluginLimits {
            deadline: Duration::from_millis(250),
            memory_bytes: 32 << 20,
            max_input_bytes: 256 << 10,
            max_output_bytes: 4 << 20,
            max_concurrent_calls: 32,
        }
    }
}

/// Pooled instances beyond `max_concurrent_calls`, for self-tests during reloads.
const SPARE_INSTANCES: u32 = 2;

/// How often the engine's epoch advances; deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Most log lines one call may write; the rest are counted and dropped.
const MAX_LOG_LINES_PER_CALL: u32 = 100;
/// Maximum length of a kept log line, in bytes; longer lines are cut.
const MAX_LOG_LINE_BYTES: usize = 2000;

/// Data of one call's `Store`: the plugin's identity for logs, and what the memory limiter saw.
pub struct CallState {
    plugin_id: Arc<str>,
    plugin_version: Arc<str>,
    memory_cap: usize,
    /// Largest memory size the instance reached, in bytes.
    pub peak_memory_bytes: usize,
    /// Size of the first growth the limiter denied, in bytes.
    pub denied_memory_bytes: Option<usize>,
    log_lines: u32,
}

impl CallState {
    fn new(plugin_id: Arc<str>, plugin_version: Arc<str>, memory_cap: usize) -> CallState {
        CallState { plugin_id, plugin_version, memory_cap, peak_memory_bytes: 0, denied_memory_bytes: None, log_lines: 0 }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.denied_memory_bytes.get_or_insert(desired);
            return Ok(false);
        }
        self.peak_memory_bytes = self.peak_memory_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES_PER_CALL {
            if self.log_lines == MAX_LOG_LINES_PER_CALL + 1 {
                tracing::warn!(plugin = %self.plugin_id, version = %self.plugin_version, "plugin log limit reached; dropping further lines of this call");
            }
            return;
        }
        let mut end = message.len().min(MAX_LOG_LINE_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let message = &message[..end];
        let (plugin, version) = (&*self.plugin_id, &*self.plugin_version);
        match level {
            log::Level::Trace => tracing::trace!(target: "mvis::plugin", plugin, version, "{message}"),
            log::Level::Debug => tracing::debug!(target: "mvis::plugin", plugin, version, "{message}"),
            log::Level::Info => tracing::info!(target: "mvis::plugin", plugin, version, "{message}"),
            log::Level::Warn => tracing::warn!(target: "mvis::plugin", plugin, version, "{message}"),
            log::Level::Error => tracing::error!(target: "mvis::plugin", plugin, version, "{message}"),
        }
    }
}

/// Failure of a call at the runtime level. A plugin's own `failure` is not one of these.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CallError {
    #[error("interrupted after the {deadline_ms} ms deadline")]
    Timeout { deadline_ms: u128 },
    #[error("memory limit of {cap_bytes} bytes exceeded (asked for {requested_bytes} bytes)")]
    MemoryLimit { cap_bytes: usize, requested_bytes: usize },
    #[error("trapped: {0}")]
    Trap(String),
    #[error("input of {bytes} bytes exceeds the {limit} byte limit")]
    InputTooLarge { bytes: usize, limit: usize },
    #[error("output of {bytes} bytes exceeds the {limit} byte limit")]
    OutputTooLarge { bytes: usize, limit: usize },
    #[error("failed to instantiate: {0}")]
    Instantiate(String),
}

/// Time and memory one call used.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct CallStats {
    pub elapsed: Duration,
    pub peak_memory_bytes: usize,
}

/// The engine, linker and limits shared by every plugin.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    limits: PluginLimits,
    slots: Arc<tokio::sync::Semaphore>,
}

impl PluginRuntime {
    pub fn new(limits: PluginLimits) -> wasmtime::Result<Arc<PluginRuntime>> {
        // Requests take at most `max_concurrent_calls` instances through the semaphore. The spare
        // ones serve the self-test of a reload, which runs outside it, one reload at a time.
        let instances = limits.max_concurrent_calls + SPARE_INSTANCES;
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(instances)
            .total_core_instances(instances * 8)
            .total_memories(instances)
            .total_tables(instances * 4)
            .max_memory_size(limits.memory_bytes);

        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = Engine::new(&config)?;

        let mut linker = Linker::new(&engine);
        log::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)?;

        let runtime = Arc::new(PluginRuntime { engine, linker, limits, slots: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_calls as usize)) });
        start_epoch_ticker(Arc::downgrade(&runtime));
        Ok(runtime)
    }

    pub fn limits(&self) -> PluginLimits {
        self.limits
    }

    /// Compiles a component. Takes milliseconds to seconds: never call it on a request path.
    pub fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        Component::new(&self.engine, bytes)
    }

    /// Resolves the component's imports against what the host offers (logging only).
    pub fn link(&self, component: &Component) -> wasmtime::Result<InstancePre<CallState>> {
        self.linker.instantiate_pre(component)
    }

    /// Waits for a free instance slot, for callers on the async side.
    pub async fn acquire_slot(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.slots.clone().acquire_owned().await.expect("plugin slot semaphore is never closed")
    }

    /// Runs `call` in a fresh store under the limits and classifies what went wrong. Blocks the
    /// thread for up to the deadline: run it on a blocking thread, holding a slot.
    pub fn run<R>(&self, plugin_id: &Arc<str>, plugin_version: &Arc<str>, call: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<R>) -> (Result<R, CallError>, CallStats) {
        self.run_with_deadline(self.limits.deadline, plugin_id, plugin_version, call)
    }

    /// Runs `call` like [`PluginRuntime::run`], but interrupts it after `deadline` in place of the
    /// limits' deadline. Reports use it, because a large table takes longer than an invoice.
    pub fn run_with_deadline<R>(
        &self,
        deadline: Duration,
        plugin_id: &Arc<str>,
        plugin_version: &Arc<str>,
        call: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, CallStats) {
        let started = Instant::now();
        let mut store = Store::new(&self.engine, CallState::new(plugin_id.clone(), plugin_version.clone(), self.limits.memory_bytes));
        store.limiter(|state| state);
        store.set_epoch_deadline(deadline_ticks(deadline));
        store.epoch_deadline_trap();

        let result = call(&mut store);
        let stats = CallStats { elapsed: started.elapsed(), peak_memory_bytes: store.data().peak_memory_bytes };
        let result = result.map_err(|err| self.classify(&err, store.data(), deadline));
        (result, stats)
    }

    fn classify(&self, err: &wasmtime::Error, state: &CallState, deadline: Duration) -> CallError {
        if let Some(requested_bytes) = state.denied_memory_bytes {
            return CallError::MemoryLimit { cap_bytes: self.limits.memory_bytes, requested_bytes };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Timeout { deadline_ms: deadline.as_millis() },
            Some(trap) => CallError::Trap(format!("{trap}: {err:?}")),
            None if err.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => CallError::Instantiate(format!("{err:?}")),
            None => CallError::Trap(format!("{err:?}")),
        }
    }
}

fn deadline_ticks(deadline: Duration) -> u64 {
    // One extra tick, because the current tick may be nearly over when the call starts.
    (deadline.as_millis() / EPOCH_TICK.as_millis()) as u64 + 1
}

/// Advances the engine's epoch every tick until the runtime is dropped.
fn start_epoch_ticker(runtime: Weak<PluginRuntime>) {
    std::thread::Builder::new()
        .name("plugin-epoch".to_string())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match runtime.upgrade() {
                    Some(runtime) => runtime.engine.increment_epoch(),
                    None => return,
                }
            }
        })
        .expect("epoch ticker thread starts");
}
