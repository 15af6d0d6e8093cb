//! Printer driver `printer-escp`: the invoice as an ESC/P stream for 24-pin LQ-class dot-matrix
//! printers, Chinese text in GB18030. Fields go where `printer-pdf` puts them, so one printer
//! profile's offsets fit both drivers.
//!
//! Overlay mode (套打) prints the values on a pre-printed form. Preview mode prints the labels
//! too, for a test on plain paper; a dot-matrix printer in text mode draws no frame.

use mvis_plugin_sdk::escp::{EscpOptions, EscpPage};
use mvis_plugin_sdk::form::{self, CELLS, HEADER, ISSUER, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, TITLE};
use mvis_plugin_sdk::page::TEXT_PADDING_MM;
use mvis_plugin_sdk::print::{Guest, PrintJob, PrintMode, PrintOutput, PrinterProfile};
use mvis_plugin_sdk::settings::Settings;
use mvis_plugin_sdk::Failure;

struct Driver;

impl Guest for Driver {
    fn render(job: PrintJob) -> Result<PrintOutput, Failure> {
        let mut page = EscpPage::new(&job.profile, options(&job.settings)?);
        let invoice = &job.invoice;
        let preview = job.mode == PrintMode::Preview;

        if preview {
            page.text(PAGE_WIDTH_MM / 2.0 - 25.0, 16.0, TITLE)?;
        }
        for field in HEADER {
            if preview {
                page.text(field.label_x_mm, field.baseline_mm, field.label)?;
            }
            page.text(field.value_x_mm, field.baseline_mm, &form::value_of(invoice, field.field))?;
        }
        for cell in CELLS {
            if preview {
                page.text(cell.label_area.x_mm + TEXT_PADDING_MM, cell.label_area.baseline_mm(10.0), cell.label)?;
            }
            let value = form::value_of(invoice, cell.field);
            page.text(cell.value_area.x_mm + TEXT_PADDING_MM, cell.value_area.baseline_mm(10.0), &value)?;
        }
        if preview {
            page.text(ISSUER.label_x_mm, ISSUER.baseline_mm, ISSUER.label)?;
        }
        page.text(ISSUER.value_x_mm, ISSUER.baseline_mm, &form::value_of(invoice, ISSUER.field))?;
        Ok(PrintOutput::DeviceBytes(page.finish()))
    }

    /// Prints a cross every 10 mm, x coordinates along the top and y coordinates down the left
    /// edge, all shifted by the profile's offsets.
    fn calibration(profile: PrinterProfile, settings: String) -> Result<PrintOutput, Failure> {
        let mut page = EscpPage::new(&profile, options(&settings)?);
        let caption = format!("校准页 {} 偏移 x={:.1}mm y={:.1}mm", profile.name, profile.offset_x_mm, profile.offset_y_mm);
        page.text(20.0, 6.0, &caption)?;
        for x in (20..PAGE_WIDTH_MM as u32).step_by(20) {
            page.text(f64::from(x), 14.0, &x.to_string())?;
        }
        for y in (20..PAGE_HEIGHT_MM as u32).step_by(10) {
            page.text(0.0, f64::from(y), &y.to_string())?;
            for x in (20..PAGE_WIDTH_MM as u32).step_by(10) {
                page.text(f64::from(x), f64::from(y), "+")?;
            }
        }
        Ok(PrintOutput::DeviceBytes(page.finish()))
    }
}

fn options(settings: &str) -> Result<EscpOptions, Failure> {
    let settings = Settings::parse(settings)?;
    Ok(EscpOptions {
        chinese_mode_commands: settings.boolean("chinese_mode_commands", true),
        form_feed: settings.boolean("form_feed", true),
    })
}

mvis_plugin_sdk::export_printer!(Driver);
