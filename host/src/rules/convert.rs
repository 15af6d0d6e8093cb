//! Conversions between the host's records and the maps scripts see. Field names are the canonical
//! names; amounts are integer fen; dates are `YYYY-MM-DD` strings; the VAT rate is a decimal string.

use chrono::NaiveDate;
use rhai::{Dynamic, Map};

use crate::domain::invoice::{Invoice, InvoiceDraft, ValidatedDraft};
use crate::domain::money::Fen;
use crate::domain::vat::SellerKind;
use crate::store::dealers::Dealer;

fn text(map: &mut Map, key: &str, value: &str) {
    map.insert(key.into(), Dynamic::from(value.to_string()));
}

fn seller_kind_text(kind: SellerKind) -> &'static str {
    match kind {
        SellerKind::General => "general",
        SellerKind::SmallScale => "small_scale",
    }
}

fn draft_fields(map: &mut Map, draft: &InvoiceDraft) {
    for (key, value) in [
        ("buyer_name", &draft.buyer_name),
        ("buyer_id", &draft.buyer_id),
        ("vehicle_type", &draft.vehicle_type),
        ("brand_model", &draft.brand_model),
        ("origin", &draft.origin),
        ("certificate_number", &draft.certificate_number),
        ("import_certificate_number", &draft.import_certificate_number),
        ("inspection_number", &draft.inspection_number),
        ("engine_number", &draft.engine_number),
        ("vin", &draft.vin),
        ("tonnage", &draft.tonnage),
        ("tax_payment_voucher_number", &draft.tax_payment_voucher_number),
        ("remarks", &draft.remarks),
    ] {
        text(map, key, value.trim());
    }
    map.insert("seating_capacity".into(), draft.seating_capacity.map_or(Dynamic::UNIT, Dynamic::from));
    map.insert("imported".into(), Dynamic::from(draft.is_imported()));
}

fn seller_fields(map: &mut Map, dealer: &Dealer) {
    text(map, "dealer_id", &dealer.dealer_id);
    text(map, "prefecture_code", &dealer.prefecture_code);
    text(map, "seller_kind", seller_kind_text(dealer.seller_kind));
    text(map, "seller_name", &dealer.name);
    text(map, "seller_tax_id", &dealer.taxpayer_id);
}

/// Builds the argument of `vat_rate`, before amounts are computed: the draft, the seller and the
/// issue date. `total_amount` is fen when it parses, `()` otherwise.
pub fn draft_map(draft: &InvoiceDraft, dealer: &Dealer, issue_date: NaiveDate) -> Map {
    let mut map = Map::new();
    draft_fields(&mut map, draft);
    seller_fields(&mut map, dealer);
    text(&mut map, "issue_date", &issue_date.to_string());
    let total = Fen::parse(draft.total_amount.trim()).map_or(Dynamic::UNIT, |fen| Dynamic::from(fen.0));
    map.insert("total_amount".into(), total);
    map
}

/// Builds the argument of `validate` for a draft that passed the national checks.
pub fn validated_map(validated: &ValidatedDraft, dealer: &Dealer) -> Map {
    let mut map = draft_map(&validated.draft, dealer, validated.issue_date);
    map.insert("total_amount".into(), Dynamic::from(validated.total_amount.0));
    map.insert("price_excluding_vat".into(), Dynamic::from(validated.price_excluding_vat.0));
    map.insert("vat_amount".into(), Dynamic::from(validated.vat_amount.0));
    text(&mut map, "vat_rate", &validated.vat_rate.to_string());
    text(&mut map, "kind", "normal");
    map
}

/// Builds the argument of the script functions for a stored invoice (dry runs, purchase tax).
pub fn invoice_map(invoice: &Invoice, seller_kind: SellerKind) -> Map {
    let draft = InvoiceDraft {
        buyer_name: invoice.buyer_name.clone(),
        buyer_id: invoice.buyer_id.clone(),
        vehicle_type: invoice.vehicle_type.clone(),
        brand_model: invoice.brand_model.clone(),
        origin: invoice.origin.clone(),
        certificate_number: invoice.certificate_number.clone(),
        import_certificate_number: invoice.import_certificate_number.clone(),
        inspection_number: invoice.inspection_number.clone(),
        engine_number: invoice.engine_number.clone(),
        vin: invoice.vin.clone(),
        total_amount: invoice.total_amount.to_string(),
        tonnage: invoice.tonnage.clone(),
        seating_capacity: invoice.seating_capacity,
        tax_payment_voucher_number: invoice.tax_payment_voucher_number.clone(),
        remarks: invoice.remarks.clone(),
    };
    let mut map = Map::new();
    draft_fields(&mut map, &draft);
    text(&mut map, "dealer_id", &invoice.dealer_id);
    text(&mut map, "prefecture_code", &invoice.prefecture_code);
    text(&mut map, "seller_kind", seller_kind_text(seller_kind));
    text(&mut map, "seller_name", &invoice.seller_name);
    text(&mut map, "seller_tax_id", &invoice.seller_tax_id);
    text(&mut map, "issue_date", &invoice.issue_date.to_string());
    text(&mut map, "invoice_code", &invoice.invoice_code);
    text(&mut map, "invoice_number", &invoice.invoice_number);
    text(&mut map, "kind", invoice.kind.as_str());
    text(&mut map, "status", invoice.status.as_str());
    text(&mut map, "vat_rate", &invoice.vat_rate.to_string());
    map.insert("total_amount".into(), Dynamic::from(invoice.total_amount.0));
    map.insert("price_excluding_vat".into(), Dynamic::from(invoice.price_excluding_vat.0));
    map.insert("vat_amount".into(), Dynamic::from(invoice.vat_amount.0));
    map
}

/// Builds the argument of `offline_limits`.
pub fn dealer_map(dealer: &Dealer) -> Map {
    let mut map = Map::new();
    seller_fields(&mut map, dealer);
    map
}
