//! Reference tables from `config/reference/`: vehicle models (new-energy flag, list-price range)
//! and the pre-2019 minimum taxable prices for purchase tax.

use std::path::Path;

use crate::domain::money::Fen;

use super::RuleError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VehicleModel {
    pub brand: String,
    pub model: String,
    pub vehicle_type: String,
    pub new_energy: bool,
    pub price_min: Fen,
    pub price_max: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct MinimumPrice {
    brand_model: String,
    price: Fen,
}

/// The loaded tables, with match keys normalised once at load: whitespace and 牌 removed.
#[derive(Clone, Debug, Default)]
pub struct ReferenceTables {
    models: Vec<VehicleModel>,
    /// (brand key, model key) of each row of `models`, in the same order.
    model_keys: Vec<(String, String)>,
    minimum_prices: Vec<MinimumPrice>,
    /// Match key of each row of `minimum_prices`.
    minimum_price_keys: Vec<String>,
}

/// Removes whitespace and 牌 so that "东风日产牌 轩逸" and "东风日产轩逸" compare equal.
fn match_key(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '牌').collect()
}

fn read(path: &Path) -> Result<String, RuleError> {
    std::fs::read_to_string(path).map_err(|err| RuleError::Read { path: path.display().to_string(), message: err.to_string() })
}

fn bad_line(path: &Path, line: usize, message: String) -> RuleError {
    RuleError::Read { path: format!("{}:{line}", path.display()), message }
}

fn yuan(path: &Path, line: usize, text: &str) -> Result<Fen, RuleError> {
    Fen::parse(text.trim()).map_err(|err| bad_line(path, line, format!("invalid amount {text:?}: {err}")))
}

impl ReferenceTables {
    /// Loads `vehicle-models.csv` and `minimum-taxable-prices.csv` from `dir`.
    pub fn load(dir: &Path) -> Result<ReferenceTables, RuleError> {
        let models_path = dir.join("vehicle-models.csv");
        let mut models = Vec::new();
        for (index, line) in read(&models_path)?.lines().enumerate().skip(1).filter(|(_, line)| !line.trim().is_empty()) {
            let fields: Vec<&str> = line.split(',').collect();
            let [brand, model, vehicle_type, _origin, new_energy, price_min, price_max, _seats] = fields[..] else {
                return Err(bad_line(&models_path, index + 1, format!("expected 8 fields, found {}", fields.len())));
            };
            models.push(VehicleModel {
                brand: brand.trim().to_string(),
                model: model.trim().to_string(),
                vehicle_type: vehicle_type.trim().to_string(),
                new_energy: new_energy.trim() == "yes",
                price_min: yuan(&models_path, index + 1, price_min)?,
                price_max: yuan(&models_path, index + 1, price_max)?,
            });
        }

        let prices_path = dir.join("minimum-taxable-prices.csv");
        let mut minimum_prices = Vec::new();
        for (index, line) in read(&prices_path)?.lines().enumerate().skip(1).filter(|(_, line)| !line.trim().is_empty()) {
            let Some((brand_model, price)) = line.rsplit_once(',') else {
                return Err(bad_line(&prices_path, index + 1, "expected brand_model,min_taxable_price".to_string()));
            };
            minimum_prices.push(MinimumPrice { brand_model: brand_model.trim().to_string(), price: yuan(&prices_path, index + 1, price)? });
        }
        let model_keys = models.iter().map(|row| (match_key(&row.brand), match_key(&row.model))).collect();
        let minimum_price_keys = minimum_prices.iter().map(|row| match_key(&row.brand_model)).collect();
        Ok(ReferenceTables { models, model_keys, minimum_prices, minimum_price_keys })
    }

    /// Finds the model that an invoice's 厂牌型号 names. The text must contain the brand (with or
    /// without the trailing 牌) and the model, and the longest matching model wins.
    pub fn model(&self, brand_model: &str) -> Option<&VehicleModel> {
        let key = match_key(brand_model);
        self.models
            .iter()
            .zip(&self.model_keys)
            .filter(|(_, (brand, model))| key.contains(model.as_str()) && key.contains(brand.as_str()))
            .max_by_key(|(_, (_, model))| model.chars().count())
            .map(|(row, _)| row)
    }

    /// Returns the minimum taxable price of a 厂牌型号 whose text contains a row's brand and model.
    pub fn min_taxable_price(&self, brand_model: &str) -> Option<Fen> {
        let key = match_key(brand_model);
        self.minimum_prices
            .iter()
            .zip(&self.minimum_price_keys)
            .filter(|(_, wanted)| key.contains(wanted.as_str()))
            .max_by_key(|(_, wanted)| wanted.chars().count())
            .map(|(row, _)| row.price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> ReferenceTables {
        ReferenceTables::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/reference")).unwrap()
    }

    #[test]
    fn model_matches_brand_with_or_without_pai() {
        let tables = tables();
        assert_eq!(tables.model("东风日产牌 轩逸 1.6L").unwrap().model, "轩逸");
        assert_eq!(tables.model("东风日产轩逸").unwrap().model, "轩逸");
        assert!(tables.model("某某牌 不存在").is_none());
    }

    #[test]
    fn minimum_price_matches_invoice_text() {
        let tables = tables();
        assert_eq!(tables.min_taxable_price("一汽-大众 FV7152BAMBG"), Some(Fen(8_460_000)));
        assert_eq!(tables.min_taxable_price("东风日产牌 轩逸"), Some(Fen(7_680_000)));
        assert_eq!(tables.min_taxable_price("比亚迪 秦"), None);
    }
}
