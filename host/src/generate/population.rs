//! The synthetic market the generator draws from: prefectures weighted by vehicle sales, dealers
//! with their brands, vehicle models with price ranges, and buyers.

use std::path::Path;

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::IndexedRandom;

use crate::domain::identifiers::{resident_id_with_check_char, uscc_with_check_chars};
use crate::domain::vat::SellerKind;
use crate::domain::vin::Vin;

/// Share of new-vehicle sales by prefecture. NOTE: estimates from population and economic size,
/// not published sales figures; they only shape the synthetic data.
const PREFECTURE_WEIGHTS: &[(&str, f64)] = &[
    ("420100", 34.0),
    ("420600", 8.0),
    ("420500", 8.0),
    ("421000", 6.0),
    ("421100", 6.0),
    ("420900", 5.0),
    ("420300", 4.0),
    ("420800", 4.0),
    ("420200", 3.0),
    ("421200", 3.0),
    ("422800", 3.0),
    ("420700", 2.0),
    ("421300", 2.0),
    ("429004", 1.5),
    ("429005", 1.3),
    ("429006", 1.2),
    ("429021", 0.1),
];

/// Relative sales by calendar month (January first): a slow February around the Spring Festival
/// and a busy December. Estimates, like the prefecture weights.
pub const MONTH_WEIGHTS: [f64; 12] = [0.9, 0.6, 1.0, 0.95, 1.0, 1.05, 0.9, 0.95, 1.05, 1.0, 1.1, 1.3];

/// World manufacturer identifiers (VIN positions 1–3) by brand, for plausible VINs. Brands not
/// listed get `LZZ`.
const BRAND_WMI: &[(&str, &str)] = &[
    ("东风日产", "LGB"),
    ("东风本田", "LVH"),
    ("神龙汽车", "LDC"),
    ("东风乘用车", "LGD"),
    ("东风商用车", "LGA"),
    ("上汽大众", "LSV"),
    ("一汽-大众", "LFV"),
    ("一汽丰田", "LFM"),
    ("广汽丰田", "LVG"),
    ("上汽通用", "LSG"),
    ("比亚迪", "LGX"),
    ("特斯拉", "LRW"),
    ("上汽通用五菱", "LZW"),
    ("吉利汽车", "L6T"),
    ("长安汽车", "LS5"),
    ("长城汽车", "LGW"),
    ("理想汽车", "LW4"),
    ("小鹏汽车", "LMV"),
    ("江铃汽车", "LEF"),
    ("宝马", "WBA"),
    ("丰田", "JTM"),
];

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"];
const GIVEN_NAMES: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "建国"];
const COMPANY_WORDS: &[&str] = &["恒达", "华信", "楚天", "长江", "汉正", "荆楚", "鑫源", "瑞丰", "东湖", "江汉"];

/// Characters allowed in a VIN (GB 16735: no I, O, Q).
const VIN_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

/// VIN model-year codes (position 10) for 2001–2030 in order; the cycle repeats every 30 years.
const MODEL_YEAR_CODES: &[u8] = b"123456789ABCDEFGHJKLMNPRSTVWXY";

/// One vehicle model of the reference catalogue.
#[derive(Clone, Debug)]
pub struct VehicleModel {
    pub brand: String,
    pub model: String,
    pub vehicle_type: String,
    pub origin: String,
    pub imported: bool,
    pub price_min_yuan: i64,
    pub price_max_yuan: i64,
    pub seating_capacity: Option<i64>,
    wmi: &'static str,
    /// VIN positions 4–8, fixed per model.
    descriptor: String,
}

/// A synthetic dealer: its row data and the models it sells.
#[derive(Clone, Debug)]
pub struct SyntheticDealer {
    pub dealer_id: String,
    pub prefecture_code: String,
    pub prefecture_name: String,
    pub taxpayer_id: String,
    pub name: String,
    pub seller_kind: SellerKind,
    pub tax_authority_name: String,
    pub tax_authority_code: String,
    /// Indexes into the catalogue.
    pub models: Vec<usize>,
    /// Relative size; big dealers sell more.
    pub weight: f64,
}

/// Reads `reference/vehicle-models.csv`: brand, model, vehicle_type, origin, new_energy,
/// price_min_yuan, price_max_yuan, seating_capacity.
pub fn load_catalogue(config_dir: &Path) -> anyhow::Result<Vec<VehicleModel>> {
    let path = config_dir.join("reference/vehicle-models.csv");
    let text = std::fs::read_to_string(&path).with_context(|| format!("无法读取车型参考表 {}", path.display()))?;

    let mut models = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 8 {
            bail!("{} 第 {} 行应有 8 列，实有 {} 列", path.display(), index + 1, fields.len());
        }
        let number = |column: usize| -> anyhow::Result<i64> {
            fields[column].parse().with_context(|| format!("{} 第 {} 行第 {} 列不是整数", path.display(), index + 1, column + 1))
        };
        let brand = fields[0].to_string();
        let wmi = BRAND_WMI.iter().find(|(name, _)| *name == brand).map_or("LZZ", |(_, wmi)| wmi);
        models.push(VehicleModel {
            descriptor: vin_descriptor(index),
            wmi,
            brand,
            model: fields[1].to_string(),
            vehicle_type: fields[2].to_string(),
            imported: matches!(fields[3], "德国" | "日本" | "美国"),
            origin: fields[3].to_string(),
            price_min_yuan: number(5)?,
            price_max_yuan: number(6)?,
            seating_capacity: fields[7].parse().ok(),
        });
    }
    if models.is_empty() {
        bail!("车型参考表 {} 没有车型", path.display());
    }
    Ok(models)
}

/// Makes VIN positions 4–8 from a model's row number, so each model keeps its own descriptor.
fn vin_descriptor(row: usize) -> String {
    let mut value = row * 7919 + 104_729;
    (0..5)
        .map(|_| {
            let character = VIN_ALPHABET[value % VIN_ALPHABET.len()] as char;
            value /= VIN_ALPHABET.len();
            character
        })
        .collect()
}

/// Creates `total` dealers spread over the prefectures by sales weight, at least one each, with
/// two to four brands each. Dealer ids are `gen-<prefecture>-<n>`.
pub fn make_dealers(rng: &mut impl Rng, total: usize, prefecture_names: &[(String, String)], catalogue: &[VehicleModel]) -> Vec<SyntheticDealer> {
    let weight_sum: f64 = PREFECTURE_WEIGHTS.iter().map(|(_, weight)| weight).sum();
    let mut brands: Vec<&str> = catalogue.iter().map(|model| model.brand.as_str()).collect();
    brands.sort_unstable();
    brands.dedup();

    let mut dealers = Vec::new();
    for (code, weight) in PREFECTURE_WEIGHTS {
        let Some((_, prefecture_name)) = prefecture_names.iter().find(|(known, _)| known == code) else { continue };
        let count = ((total as f64) * weight / weight_sum).round().max(1.0) as usize;
        for serial in 1..=count {
            let brand_count = rng.random_range(2..=4);
            let chosen: Vec<&str> = brands.choose_multiple(rng, brand_count).copied().collect();
            let models = (0..catalogue.len()).filter(|&index| chosen.contains(&catalogue[index].brand.as_str())).collect();
            let small_scale = rng.random_bool(0.1);
            let taxpayer_body = format!("91{code}{:03}MA{}", serial % 1000, &code[3..6]);
            dealers.push(SyntheticDealer {
                dealer_id: format!("gen-{code}-{serial:03}"),
                prefecture_code: code.to_string(),
                prefecture_name: prefecture_name.clone(),
                taxpayer_id: uscc_with_check_chars(&taxpayer_body).expect("generated USCC body uses the USCC charset"),
                name: format!("{prefecture_name}{}{}汽车销售服务有限公司", chosen[0], COMPANY_WORDS[serial % COMPANY_WORDS.len()]),
                seller_kind: if small_scale { SellerKind::SmallScale } else { SellerKind::General },
                tax_authority_name: format!("国家税务总局{prefecture_name}税务局"),
                tax_authority_code: format!("1{}000000", &code[..4]),
                models,
                // A long tail: a few large dealers and many small ones.
                weight: 1.0 / (1.0 + rng.random::<f64>() * 4.0).powi(2) + 0.05,
            });
        }
    }
    dealers
}

/// Picks dealers by weight within the sales-weighted prefectures.
pub struct DealerPicker {
    index: WeightedIndex<f64>,
}

impl DealerPicker {
    pub fn new(dealers: &[SyntheticDealer]) -> DealerPicker {
        let weight_of = |code: &str| PREFECTURE_WEIGHTS.iter().find(|(known, _)| *known == code).map_or(1.0, |(_, weight)| *weight);
        let mut per_prefecture: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
        for dealer in dealers {
            *per_prefecture.entry(dealer.prefecture_code.as_str()).or_default() += dealer.weight;
        }
        let weights: Vec<f64> = dealers
            .iter()
            .map(|dealer| weight_of(&dealer.prefecture_code) * dealer.weight / per_prefecture[dealer.prefecture_code.as_str()])
            .collect();
        DealerPicker { index: WeightedIndex::new(weights).expect("dealer weights are positive") }
    }

    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        self.index.sample(rng)
    }
}

/// Draws a buyer's name and id: 85 % private persons with resident ids, 15 % companies with USCCs.
pub fn make_buyer(rng: &mut impl Rng, prefecture_code: &str, serial: u64) -> (String, String) {
    if rng.random_bool(0.85) {
        let name = format!("{}{}", SURNAMES.choose(rng).expect("not empty"), GIVEN_NAMES.choose(rng).expect("not empty"));
        let birth = NaiveDate::from_ymd_opt(rng.random_range(1960..=2003), rng.random_range(1..=12), rng.random_range(1..=28)).expect("valid date");
        let first17 = format!("{prefecture_code}{}{:03}", birth.format("%Y%m%d"), serial % 1000);
        (name, resident_id_with_check_char(&first17).expect("17 generated digits"))
    } else {
        let word = COMPANY_WORDS.choose(rng).expect("not empty");
        let body = format!("91{prefecture_code}MA{:06}", serial % 1_000_000);
        (format!("湖北{word}商贸有限公司"), uscc_with_check_chars(&body).expect("generated USCC body uses the USCC charset"))
    }
}

/// Makes a VIN that no other generated invoice shares: the model's WMI and descriptor, the model
/// year of the issue date, then `ordinal` in the plant code and serial (up to 33 million ordinals).
pub fn make_vin(model: &VehicleModel, issue_date: NaiveDate, ordinal: u64) -> Vin {
    let year_code = MODEL_YEAR_CODES[((issue_date.year() - 2001).rem_euclid(30)) as usize] as char;
    let plant = VIN_ALPHABET[(ordinal / 1_000_000) as usize % VIN_ALPHABET.len()] as char;
    let text = format!("{}{}0{year_code}{plant}{:06}", model.wmi, model.descriptor, ordinal % 1_000_000);
    Vin::with_computed_check_digit(&text).expect("generated VIN uses only VIN characters")
}

/// Largest ordinal [`make_vin`] keeps unique.
pub const MAX_VIN_ORDINALS: u64 = 33 * 1_000_000;

/// Draws a price between the model's bounds, rounded to 100 yuan, in fen.
pub fn draw_price_fen(rng: &mut impl Rng, model: &VehicleModel) -> i64 {
    let yuan = rng.random_range(model.price_min_yuan..=model.price_max_yuan.max(model.price_min_yuan));
    (yuan / 100).max(1) * 100 * 100
}
