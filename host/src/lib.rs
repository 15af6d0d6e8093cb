//! MVIS, the Motor Vehicle Invoice System: issuing and managing China's unified motor vehicle sales
//! invoice (机动车销售统一发票) for a provincial tax bureau.
//!
//! Layers, each depending only on those below it: `web` (HTTP), `issuing` (use cases), `store`
//! (SQLite or PostgreSQL through sqlx), `domain` (pure types and national-standard algorithms).

pub mod bench;
pub mod cli;
mod cli_ctais;
mod cli_script;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod generate;
pub mod issuing;
pub mod plugins;
pub mod reports;
pub mod reload;
pub mod rules;
pub mod store;
pub mod web;
