//! The guest side of MVIS plugins: bindings for the `mvis:plugin` worlds in `wit/`, and helpers
//! for logging, amounts, settings, the invoice form's geometry, page descriptions, ESC/P and
//! report tables.
//!
//! A plugin crate is a `cdylib` built for `wasm32-unknown-unknown`, implements the `Guest` trait of
//! one world and exports it with that world's macro, e.g. `mvis_plugin_sdk::export_printer!(Driver)`.
//! `mvis plugin package` then turns the core module into a component and embeds `plugin.toml`.
//! See `template/` for a complete printer driver to start from.

pub mod form;
pub mod log;
pub mod money;
pub mod page;
pub mod report;
pub mod settings;

#[cfg(feature = "escp")]
pub mod escp;

/// Bindings for the `printer` world.
pub mod printer {
    wit_bindgen::generate!({
        path: "wit",
        world: "printer",
        pub_export_macro: true,
        export_macro_name: "export_printer",
        default_bindings_module: "mvis_plugin_sdk::printer",
    });
}

/// Bindings for the `ctais-adapter` world. Shared records come from [`printer`].
pub mod ctais_adapter {
    wit_bindgen::generate!({
        path: "wit",
        world: "ctais-adapter",
        pub_export_macro: true,
        export_macro_name: "export_ctais_adapter",
        default_bindings_module: "mvis_plugin_sdk::ctais_adapter",
        with: {
            "mvis:plugin/types@1.0.0": crate::printer::mvis::plugin::types,
            "mvis:plugin/log@1.0.0": crate::printer::mvis::plugin::log,
        },
    });
}

/// Bindings for the `report-format` world. Shared records come from [`printer`].
pub mod report_format {
    wit_bindgen::generate!({
        path: "wit",
        world: "report-format",
        pub_export_macro: true,
        export_macro_name: "export_report_format",
        default_bindings_module: "mvis_plugin_sdk::report_format",
        with: {
            "mvis:plugin/types@1.0.0": crate::printer::mvis::plugin::types,
            "mvis:plugin/log@1.0.0": crate::printer::mvis::plugin::log,
        },
    });
}

pub use ctais_adapter::export_ctais_adapter;
pub use printer::export_printer;
pub use printer::mvis::plugin::types::{Failure, Fen, Invoice, InvoiceKind, InvoiceStatus};
pub use report_format::export_report_format;

/// The printer driver interface: `Guest` to implement, and its records.
pub mod print {
    pub use crate::printer::exports::mvis::plugin::printer_driver::*;
}

/// The version of the `mvis:plugin` package these bindings were generated from. A plugin's
/// manifest must name it as `interface_version`.
pub const INTERFACE_VERSION: &str = "1.0.0";

/// Builds a [`Failure`] to return from a plugin function.
pub fn failure(code: &str, field: Option<&str>, message: impl Into<String>) -> Failure {
    Failure { code: code.to_string(), field: field.map(str::to_string), message: message.into() }
}
