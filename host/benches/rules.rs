//! Cost of evaluating the full Hubei script set for one invoice (`vat_rate`, `validate`,
//! `purchase_tax`, with the input maps built each time), against the same rules written in plain
//! Rust. Run with `cargo bench --bench rules`; prints the median per invoice over several rounds.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use mvis::domain::money::Fen;
use mvis::domain::vat::{VatRate, split_total};
use mvis::rules::authoring::candidate_for;
use rhai::{Dynamic, Map};

const ROUNDS: usize = 25;
const PER_ROUND: usize = 4_000;

struct Sample {
    issue_date: &'static str,
    seller_kind: &'static str,
    brand_model: &'static str,
    vehicle_type: &'static str,
    total: Fen,
    imported: bool,
}

const SAMPLES: [Sample; 4] = [
    Sample { issue_date: "2017-07-19", seller_kind: "general", brand_model: "一汽-大众 FV7152BAMBG", vehicle_type: "轿车", total: Fen(9_900_000), imported: false },
    Sample { issue_date: "2018-01-10", seller_kind: "general", brand_model: "东风日产牌 轩逸", vehicle_type: "轿车", total: Fen(8_000_000), imported: false },
    Sample { issue_date: "2025-03-01", seller_kind: "general", brand_model: "东风乘用车 岚图FREE", vehicle_type: "多用途乘用车", total: Fen(45_200_000), imported: false },
    Sample { issue_date: "2026-03-01", seller_kind: "small_scale", brand_model: "东风本田 CR-V", vehicle_type: "多用途乘用车", total: Fen(20_000_000), imported: true },
];

fn base_map(sample: &Sample) -> Map {
    let mut map = Map::new();
    for key in ["buyer_name", "buyer_id", "origin", "certificate_number", "engine_number", "vin", "tonnage", "tax_payment_voucher_number", "remarks", "dealer_id", "seller_name", "seller_tax_id"] {
        map.insert(key.into(), Dynamic::from(String::from("x")));
    }
    map.insert("import_certificate_number".into(), Dynamic::from(if sample.imported { "IC1" } else { "" }.to_string()));
    map.insert("inspection_number".into(), Dynamic::from(if sample.imported { "SJ1" } else { "" }.to_string()));
    map.insert("imported".into(), Dynamic::from(sample.imported));
    map.insert("issue_date".into(), Dynamic::from(sample.issue_date.to_string()));
    map.insert("seller_kind".into(), Dynamic::from(sample.seller_kind.to_string()));
    map.insert("brand_model".into(), Dynamic::from(sample.brand_model.to_string()));
    map.insert("vehicle_type".into(), Dynamic::from(sample.vehicle_type.to_string()));
    map.insert("prefecture_code".into(), Dynamic::from("420600".to_string()));
    map.insert("seating_capacity".into(), Dynamic::from(5_i64));
    map.insert("kind".into(), Dynamic::from("normal".to_string()));
    map.insert("total_amount".into(), Dynamic::from(sample.total.0));
    map
}

/// The same rules as scripts/hubei in plain Rust: the baseline a rebuild-per-change system would have.
mod plain {
    use super::*;

    pub fn vat_rate(sample: &Sample) -> u32 {
        if sample.seller_kind == "small_scale" {
            return if sample.issue_date < "2009-01-01" { 400 } else { 300 };
        }
        if sample.issue_date < "2018-05-01" {
            1700
        } else if sample.issue_date < "2019-04-01" {
            1600
        } else {
            1300
        }
    }

    fn percent_of(fen: i64, basis_points: i64) -> i64 {
        (fen * basis_points + 5_000) / 10_000
    }

    pub fn validate(sample: &Sample, tonnage: &str, inspection: &str, floor: Option<i64>) -> Vec<&'static str> {
        let mut findings = Vec::new();
        if sample.imported && inspection.is_empty() {
            findings.push("inspection_number_missing");
        }
        if sample.vehicle_type.contains("货车") && tonnage.is_empty() {
            findings.push("tonnage_required");
        }
        if floor.is_some_and(|floor| sample.total.0 < percent_of(floor, 7000)) {
            findings.push("price_below_floor");
        }
        findings
    }

    pub fn purchase_tax(sample: &Sample, net: i64, minimum: Option<i64>, new_energy: bool) -> (i64, i64) {
        let mut taxable = net;
        if sample.issue_date < "2019-07-01"
            && let Some(minimum) = minimum
            && taxable < minimum
        {
            taxable = minimum;
        }
        let nominal = percent_of(taxable, 1000);
        let passenger = sample.vehicle_type.contains("轿车") || sample.vehicle_type.contains("乘用车");
        let relief = if !new_energy {
            0
        } else if sample.issue_date >= "2014-09-01" && sample.issue_date <= "2023-12-31" {
            nominal
        } else if sample.issue_date >= "2024-01-01" && sample.issue_date <= "2025-12-31" {
            if passenger { nominal.min(3_000_000) } else { nominal }
        } else if sample.issue_date >= "2026-01-01" && sample.issue_date <= "2027-12-31" {
            if passenger { (nominal / 2).min(1_500_000) } else { nominal / 2 }
        } else {
            0
        };
        (taxable, nominal - relief)
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let set = candidate_for(&root.join("scripts/hubei"), &root.join("config"), "420600").expect("scripts/hubei loads");
    let reference = mvis::rules::ReferenceTables::load(&root.join("config/reference")).expect("reference tables load");

    let mut script_rounds = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for index in 0..PER_ROUND {
            let sample = &SAMPLES[index % SAMPLES.len()];
            let map = base_map(sample);
            let rate = set.vat_rate(map.clone()).expect("vat_rate");
            let split = split_total(sample.total, rate);
            let mut full = map;
            full.insert("price_excluding_vat".into(), Dynamic::from(split.price_excluding_vat.0));
            full.insert("vat_amount".into(), Dynamic::from(split.vat_amount.0));
            full.insert("vat_rate".into(), Dynamic::from(rate.to_string()));
            black_box(set.validate(full.clone()).expect("validate"));
            black_box(set.purchase_tax(full).expect("purchase_tax"));
        }
        script_rounds.push(started.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
    }

    let mut rust_rounds = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for index in 0..PER_ROUND {
            let sample = black_box(&SAMPLES[index % SAMPLES.len()]);
            let rate = VatRate::from_basis_points(plain::vat_rate(sample)).expect("rate");
            let split = split_total(sample.total, rate);
            let model = reference.model(sample.brand_model);
            black_box(plain::validate(sample, "", if sample.imported { "SJ1" } else { "" }, model.map(|model| model.price_min.0)));
            let minimum = reference.min_taxable_price(sample.brand_model).map(|fen| fen.0);
            black_box(plain::purchase_tax(sample, split.price_excluding_vat.0, minimum, model.is_some_and(|model| model.new_energy)));
        }
        rust_rounds.push(started.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
    }

    let (script, rust) = (median(script_rounds), median(rust_rounds));
    println!("rhai script set (vat_rate + validate + purchase_tax, maps built per call): median {script:.2} µs per invoice");
    println!("same rules in plain Rust (reference lookups included): median {rust:.3} µs per invoice");
    println!("ratio: {:.0}x", script / rust);
}
