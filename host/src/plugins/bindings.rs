//! Host bindings for the `mvis:plugin` worlds, generated from `plugin-sdk/wit`, and the
//! conversion of a stored invoice into the interface's `invoice` record.

use crate::domain::invoice::{Invoice, InvoiceKind, InvoiceStatus};

pub mod printer {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "printer",
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

pub mod ctais_adapter {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "ctais-adapter",
        additional_derives: [serde::Serialize, serde::Deserialize],
        with: {
            "mvis:plugin/types": super::printer::mvis::plugin::types,
            "mvis:plugin/log": super::printer::mvis::plugin::log,
        },
    });
}

pub mod report_format {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "report-format",
        with: {
            "mvis:plugin/types": super::printer::mvis::plugin::types,
            "mvis:plugin/log": super::printer::mvis::plugin::log,
        },
    });
}

pub use printer::exports::mvis::plugin::printer_driver::{Line, Page, PageItem, PrintJob, PrintMode, PrintOutput, PrinterProfile, Text, TextAlign};
pub use printer::mvis::plugin::types as wit_types;

/// Converts a stored invoice into the record plugins receive. Amounts cross as integer fen.
pub fn invoice_record(invoice: &Invoice) -> wit_types::Invoice {
    wit_types::Invoice {
        invoice_code: invoice.invoice_code.clone(),
        invoice_number: invoice.invoice_number.clone(),
        kind: match invoice.kind {
            InvoiceKind::Normal => wit_types::InvoiceKind::Normal,
            InvoiceKind::Credit => wit_types::InvoiceKind::Credit,
        },
        status: match invoice.status {
            InvoiceStatus::Issued => wit_types::InvoiceStatus::Issued,
            InvoiceStatus::Voided => wit_types::InvoiceStatus::Voided,
            InvoiceStatus::Credited => wit_types::InvoiceStatus::Credited,
        },
        issue_date: invoice.issue_date.format("%Y-%m-%d").to_string(),
        machine_number: invoice.machine_number.clone(),
        prefecture_code: invoice.prefecture_code.clone(),
        dealer_id: invoice.dealer_id.clone(),
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
        total_amount: invoice.total_amount.0,
        total_amount_uppercase: invoice.total_amount_uppercase.clone(),
        vat_rate: invoice.vat_rate.to_string(),
        vat_amount: invoice.vat_amount.0,
        price_excluding_vat: invoice.price_excluding_vat.0,
        seller_name: invoice.seller_name.clone(),
        seller_tax_id: invoice.seller_tax_id.clone(),
        seller_phone: invoice.seller_phone.clone(),
        seller_address: invoice.seller_address.clone(),
        seller_bank: invoice.seller_bank.clone(),
        seller_account: invoice.seller_account.clone(),
        tax_authority_name: invoice.tax_authority_name.clone(),
        tax_authority_code: invoice.tax_authority_code.clone(),
        tax_payment_voucher_number: invoice.tax_payment_voucher_number.clone(),
        tonnage: invoice.tonnage.clone(),
        seating_capacity: invoice.seating_capacity.and_then(|seats| u32::try_from(seats).ok()),
        issuer: invoice.issuer.clone(),
        remarks: invoice.remarks.clone(),
        original_invoice_code: invoice.original_invoice_code.clone(),
        original_invoice_number: invoice.original_invoice_number.clone(),
    }
}

/// Bytes of text in an invoice record: what the size cap on a call's input counts.
pub fn invoice_text_bytes(invoice: &wit_types::Invoice) -> usize {
    [
        &invoice.invoice_code, &invoice.invoice_number, &invoice.issue_date, &invoice.machine_number, &invoice.prefecture_code,
        &invoice.dealer_id, &invoice.buyer_name, &invoice.buyer_id, &invoice.vehicle_type, &invoice.brand_model, &invoice.origin,
        &invoice.certificate_number, &invoice.import_certificate_number, &invoice.inspection_number, &invoice.engine_number,
        &invoice.vin, &invoice.total_amount_uppercase, &invoice.vat_rate, &invoice.seller_name, &invoice.seller_tax_id,
        &invoice.seller_phone, &invoice.seller_address, &invoice.seller_bank, &invoice.seller_account, &invoice.tax_authority_name,
        &invoice.tax_authority_code, &invoice.tax_payment_voucher_number, &invoice.tonnage, &invoice.issuer, &invoice.remarks,
        &invoice.original_invoice_code, &invoice.original_invoice_number,
    ]
    .iter()
    .map(|text| text.len())
    .sum()
}
