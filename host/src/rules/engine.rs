//! The sandboxed Rhai engine: limits on operations, call depth, sizes and wall-clock time, no file,
//! module or eval access, and the host functions scripts may call.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rhai::{Dynamic, Engine, ImmutableString};

use super::reference::ReferenceTables;
use crate::domain::identifiers::{check_buyer_id, check_organization_code, check_resident_id, check_uscc};
use crate::domain::money::Fen;
use crate::domain::uppercase::amount_in_words;
use crate::domain::vin::Vin;

/// Resource limits for every script call.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_wall_time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 200_000,
            max_call_levels: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_wall_time: Duration::from_millis(200),
        }
    }
}

thread_local! {
    /// Deadline of the script call running on this thread; the progress callback checks it.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `call` with a wall-clock deadline enforced by the engine's progress callback.
pub fn with_deadline<T>(limit: Duration, call: impl FnOnce() -> T) -> T {
    let previous = DEADLINE.with(|deadline| deadline.replace(Some(Instant::now() + limit)));
    let result = call();
    DEADLINE.with(|deadline| deadline.set(previous));
    result
}

/// Marker returned by the progress callback when a call runs past its deadline.
pub const WALL_TIME_EXCEEDED: &str = "wall-clock time limit exceeded";

/// Builds an engine with the sandbox and the host functions.
pub fn build_engine(limits: Limits, reference: Arc<ReferenceTables>) -> Engine {
    let mut engine = Engine::new();

    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_expr_depths(64, 32);
    engine.set_fail_on_invalid_map_property(true);
    engine.set_strict_variables(true);
    engine.disable_symbol("eval");
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    // Reading the clock costs more than an operation, so the deadline is checked every 256th one.
    engine.on_progress(|operations| {
        if operations % 256 != 0 {
            return None;
        }
        let expired = DEADLINE.with(|deadline| deadline.get().is_some_and(|at| Instant::now() > at));
        expired.then(|| Dynamic::from(WALL_TIME_EXCEEDED))
    });
    engine.on_print(|text| tracing::info!(target: "mvis::rules::script", "{text}"));
    engine.on_debug(|text, source, position| tracing::debug!(target: "mvis::rules::script", ?source, %position, "{text}"));

    register_standards(&mut engine);
    register_money(&mut engine);
    register_dates(&mut engine);
    register_reference(&mut engine, reference);
    engine
}

/// National standards, implemented in Rust and offered to scripts.
fn register_standards(engine: &mut Engine) {
    engine.register_fn("vin_valid", |vin: &str| Vin::parse(vin).is_ok());
    engine.register_fn("vin_check_digit_valid", |vin: &str| Vin::parse_ignoring_check_digit(vin).is_ok_and(|vin| vin.check_digit_error().is_none()));
    engine.register_fn("uscc_valid", |code: &str| check_uscc(code).is_ok_and(|check| check.warnings.is_empty()));
    engine.register_fn("organization_code_valid", |code: &str| check_organization_code(code).is_ok());
    engine.register_fn("resident_id_valid", |id: &str, today: &str| {
        NaiveDate::parse_from_str(today, "%Y-%m-%d").is_ok_and(|today| check_resident_id(id, today).is_ok())
    });
    engine.register_fn("buyer_id_kind", |id: &str, today: &str| -> ImmutableString {
        let kind = NaiveDate::parse_from_str(today, "%Y-%m-%d").ok().and_then(|today| check_buyer_id(id, today).ok()).map(|check| check.kind);
        match kind {
            Some(kind) => serde_json::to_value(kind).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default().into(),
            None => ImmutableString::new(),
        }
    });
    engine.register_fn("amount_in_words", |fen: i64| -> ImmutableString { amount_in_words(Fen(fen)).into() });
}

/// Money helpers: amounts are integer fen in scripts.
fn register_money(engine: &mut Engine) {
    engine.register_fn("yuan", |text: &str| -> Result<i64, Box<rhai::EvalAltResult>> {
        Fen::parse(text).map(|fen| fen.0).map_err(|err| format!("invalid amount {text:?}: {err}").into())
    });
    engine.register_fn("format_fen", |fen: i64| -> ImmutableString { Fen(fen).to_string().into() });
    // Percentages as basis points, rounded half up away from zero, so scripts never need floats.
    engine.register_fn("percent_of", |fen: i64, basis_points: i64| -> i64 {
        let product = i128::from(fen) * i128::from(basis_points);
        let rounded = (product.abs() + 5_000) / 10_000;
        i64::try_from(if product < 0 { -rounded } else { rounded }).unwrap_or(i64::MAX)
    });
}

/// Date helpers over `YYYY-MM-DD` strings; the host checks the format of every date it passes in.
fn register_dates(engine: &mut Engine) {
    engine.register_fn("date_valid", |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok());
    engine.register_fn("year_of", |text: &str| -> i64 { text.get(0..4).and_then(|year| year.parse().ok()).unwrap_or(0) });
}

fn register_reference(engine: &mut Engine, reference: Arc<ReferenceTables>) {
    let tables = reference.clone();
    engine.register_fn("min_taxable_price", move |brand_model: &str| -> Dynamic {
        tables.min_taxable_price(brand_model).map_or(Dynamic::UNIT, |fen| Dynamic::from(fen.0))
    });
    let tables = reference.clone();
    engine.register_fn("model_price_range", move |brand_model: &str| -> Dynamic {
        match tables.model(brand_model) {
            Some(model) => {
                let mut range = rhai::Map::new();
                range.insert("min".into(), Dynamic::from(model.price_min.0));
                range.insert("max".into(), Dynamic::from(model.price_max.0));
                Dynamic::from_map(range)
            }
            None => Dynamic::UNIT,
        }
    });
    let tables = reference;
    engine.register_fn("is_new_energy", move |brand_model: &str| tables.model(brand_model).is_some_and(|model| model.new_energy));
}
