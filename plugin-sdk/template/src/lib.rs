//! A minimal printer driver: the VIN and the total amount on the invoice form, as a page
//! description that the host renders to PDF. Copy this crate to start a driver of your own.

use mvis_plugin_sdk::form::{self, CELLS, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use mvis_plugin_sdk::page::PageBuilder;
use mvis_plugin_sdk::print::{Guest, PrintJob, PrintOutput, PrinterProfile, TextAlign};
use mvis_plugin_sdk::settings::Settings;
use mvis_plugin_sdk::{Failure, failure, log};

struct Driver;

/// Fields this template prints.
const PRINTED_FIELDS: &[&str] = &["vin", "total_amount_uppercase", "total_amount"];

impl Guest for Driver {
    fn render(job: PrintJob) -> Result<PrintOutput, Failure> {
        let settings = Settings::parse(&job.settings)?;
        let size_pt = settings.number("text_size_pt", 12.0);
        if job.invoice.vin.is_empty() {
            // A failure reaches the user as the API error `plugin_failed` with this message.
            return Err(failure("vin_missing", Some("vin"), "发票没有车辆识别代号，无法打印"));
        }
        log::debug(&format!("printing invoice {}", job.invoice.invoice_number));

        let mut page = PageBuilder::new(PAGE_WIDTH_MM, PAGE_HEIGHT_MM, &job.profile);
        for cell in CELLS.iter().filter(|cell| PRINTED_FIELDS.contains(&cell.field)) {
            page.text_in(&cell.value_area, size_pt, TextAlign::Left, &form::value_of(&job.invoice, cell.field));
        }
        Ok(PrintOutput::Page(page.finish()))
    }

    fn calibration(profile: PrinterProfile, _settings: String) -> Result<PrintOutput, Failure> {
        let mut page = PageBuilder::new(PAGE_WIDTH_MM, PAGE_HEIGHT_MM, &profile);
        page.line(0.0, 0.0, 10.0, 0.0, 0.3);
        page.line(0.0, 0.0, 0.0, 10.0, 0.3);
        page.text(12.0, 6.0, 8.0, TextAlign::Left, &format!("{} (0, 0)", profile.name));
        Ok(PrintOutput::Page(page.finish()))
    }
}

mvis_plugin_sdk::export_printer!(Driver);
