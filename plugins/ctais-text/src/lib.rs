//! CTAIS adapter `ctais-text`: exchange files as GBK text, one record per line, `|` between fields.
//!
//! A file is a header line `CTAIS-TEXT|1|<kind>|<prefecture>|<from>|<to>`, record lines in the
//! field order of `layout`, and a trailer `END|<number of record lines>`. LF and CRLF both end a
//! line; blank lines are skipped. CTAIS's own extract formats are not public, so this format is
//! MVIS's own, modelled on the fields CTAIS keeps. All knowledge of it stays in this crate: a
//! prefecture with another format selects another adapter.
//!
//! Decoding checks every line on its own and reports bad lines with their numbers, so one typo
//! does not hide the rest of the file. Only a file that cannot be trusted as a whole (wrong
//! header, other kind, missing trailer, wrong count) fails.

mod decode;
mod layout;
mod text;

use mvis_plugin_sdk::Failure;
use mvis_plugin_sdk::ctais_adapter::exports::mvis::plugin::ctais_exchange::{DecodedFile, ExchangeFile, Guest, InvoiceExport, RecordKind};

use crate::layout::{Field, INVOICE_EXPORT_FIELDS, INVOICE_EXPORT_KIND, MAGIC, SEPARATOR, TRAILER, VERSION};
use crate::text::{encode_line, format_amount};

struct Adapter;

impl Guest for Adapter {
    fn decode_file(kind: RecordKind, file: ExchangeFile, _settings: String) -> Result<DecodedFile, Failure> {
        decode::decode(kind, &file)
    }

    fn encode_invoice_export(export: InvoiceExport, _settings: String) -> Result<ExchangeFile, Failure> {
        let mut content = Vec::new();
        let header = [MAGIC, VERSION, INVOICE_EXPORT_KIND, &export.prefecture_code, &export.period_from, &export.period_to].join(&SEPARATOR.to_string());
        content.extend_from_slice(header.as_bytes());
        content.extend_from_slice(b"\r\n");

        for invoice in &export.invoices {
            let values = export_values(invoice);
            let fields: Vec<(&Field, String)> = INVOICE_EXPORT_FIELDS.iter().zip(values).collect();
            let line = encode_line(&fields).map_err(|(name, label, reason)| {
                mvis_plugin_sdk::failure(
                    "field_not_encodable",
                    Some(name),
                    format!("发票 {} {} 的{label}无法写入 GBK 文本：{reason}；请更正后再导出", invoice.invoice_code, invoice.invoice_number),
                )
            })?;
            content.extend_from_slice(&line);
        }
        content.extend_from_slice(format!("{TRAILER}{SEPARATOR}{}\r\n", export.invoices.len()).as_bytes());

        let compact = |date: &str| date.replace('-', "");
        let file_name = format!("{INVOICE_EXPORT_KIND}_{}_{}_{}.txt", export.prefecture_code, compact(&export.period_from), compact(&export.period_to));
        Ok(ExchangeFile { file_name, content })
    }
}

/// Returns an invoice's export fields in the order of [`INVOICE_EXPORT_FIELDS`].
fn export_values(invoice: &mvis_plugin_sdk::Invoice) -> Vec<String> {
    use mvis_plugin_sdk::{InvoiceKind, InvoiceStatus};
    let kind = match invoice.kind {
        InvoiceKind::Normal => "0",
        InvoiceKind::Credit => "1",
    };
    let status = match invoice.status {
        InvoiceStatus::Issued => "0",
        InvoiceStatus::Voided => "2",
        InvoiceStatus::Credited => "3",
    };
    vec![
        invoice.invoice_code.clone(),
        invoice.invoice_number.clone(),
        invoice.issue_date.clone(),
        kind.to_string(),
        status.to_string(),
        invoice.seller_tax_id.clone(),
        invoice.seller_name.clone(),
        invoice.buyer_name.clone(),
        invoice.buyer_id.clone(),
        invoice.vehicle_type.clone(),
        invoice.brand_model.clone(),
        invoice.origin.clone(),
        invoice.certificate_number.clone(),
        invoice.import_certificate_number.clone(),
        invoice.inspection_number.clone(),
        invoice.engine_number.clone(),
        invoice.vin.clone(),
        invoice.tonnage.clone(),
        invoice.seating_capacity.map(|seats| seats.to_string()).unwrap_or_default(),
        format_amount(invoice.total_amount),
        invoice.vat_rate.clone(),
        format_amount(invoice.vat_amount),
        format_amount(invoice.price_excluding_vat),
        invoice.original_invoice_code.clone(),
        invoice.original_invoice_number.clone(),
        invoice.tax_authority_code.clone(),
    ]
}

mvis_plugin_sdk::export_ctais_adapter!(Adapter);
