//! Printer driver `printer-pdf`: lays the invoice out as a page description that the host renders
//! to PDF. Overlay mode (套打) places only the values, for pre-printed forms; preview mode adds the
//! form's title, frame and labels.

use mvis_plugin_sdk::form::{self, Area, CELLS, HEADER, ISSUER, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, SEAL_LABEL, TITLE};
use mvis_plugin_sdk::page::PageBuilder;
use mvis_plugin_sdk::print::{Guest, Page, PrintJob, PrintMode, PrintOutput, PrinterProfile, TextAlign};
use mvis_plugin_sdk::settings::Settings;
use mvis_plugin_sdk::{Failure, Invoice};

struct Driver;

/// Size of labels in preview mode, before shrinking to fit their box.
const LABEL_SIZE_PT: f64 = 8.0;
const TITLE_SIZE_PT: f64 = 18.0;
const FRAME_LINE_MM: f64 = 0.3;

impl Guest for Driver {
    fn render(job: PrintJob) -> Result<PrintOutput, Failure> {
        let settings = Settings::parse(&job.settings)?;
        let text_size_pt = settings.number("text_size_pt", 10.0);
        let mut page = PageBuilder::new(PAGE_WIDTH_MM, PAGE_HEIGHT_MM, &job.profile);
        if job.mode == PrintMode::Preview {
            draw_form(&mut page);
        }
        draw_values(&mut page, &job.invoice, text_size_pt);
        Ok(PrintOutput::Page(page.finish()))
    }

    fn calibration(profile: PrinterProfile, _settings: String) -> Result<PrintOutput, Failure> {
        Ok(PrintOutput::Page(calibration_page(&profile)))
    }
}

/// Draws the pre-printed parts of the form: title, table frame and labels.
fn draw_form(page: &mut PageBuilder) {
    page.text(PAGE_WIDTH_MM / 2.0, 16.0, TITLE_SIZE_PT, TextAlign::Center, TITLE);
    page.text(PAGE_WIDTH_MM / 2.0, 23.0, 10.0, TextAlign::Center, "发 票 联");
    for field in HEADER {
        page.text(field.label_x_mm, field.baseline_mm, LABEL_SIZE_PT, TextAlign::Left, field.label);
    }
    for cell in CELLS {
        page.rectangle(&cell.label_area, FRAME_LINE_MM);
        page.rectangle(&cell.value_area, FRAME_LINE_MM);
        page.text_in(&cell.label_area, LABEL_SIZE_PT, TextAlign::Center, cell.label);
    }
    page.text(ISSUER.label_x_mm, ISSUER.baseline_mm, LABEL_SIZE_PT, TextAlign::Left, ISSUER.label);
    let (seal_label, seal_x, seal_y) = SEAL_LABEL;
    page.text(seal_x, seal_y, LABEL_SIZE_PT, TextAlign::Left, seal_label);
}

fn draw_values(page: &mut PageBuilder, invoice: &Invoice, text_size_pt: f64) {
    for field in HEADER {
        page.text(field.value_x_mm, field.baseline_mm, text_size_pt, TextAlign::Left, &form::value_of(invoice, field.field));
    }
    for cell in CELLS {
        page.text_in(&cell.value_area, text_size_pt, TextAlign::Left, &form::value_of(invoice, cell.field));
    }
    page.text(ISSUER.value_x_mm, ISSUER.baseline_mm, text_size_pt, TextAlign::Left, &form::value_of(invoice, ISSUER.field));
}

/// Draws a millimetre grid over the whole form, shifted by the profile's offsets: lines every
/// 5 mm, thicker and numbered every 10 mm, and millimetre ticks along the top and left edges. On
/// a correct profile, the grid's origin lands on the form's top left corner.
fn calibration_page(profile: &PrinterProfile) -> Page {
    let mut page = PageBuilder::new(PAGE_WIDTH_MM, PAGE_HEIGHT_MM, profile);
    let width = PAGE_WIDTH_MM as u32;
    let height = PAGE_HEIGHT_MM as u32;
    for x in 0..=width {
        let position = f64::from(x);
        match x % 5 {
            0 => page.line(position, 0.0, position, PAGE_HEIGHT_MM, grid_line_width(x)),
            _ => page.line(position, 0.0, position, TICK_LENGTH_MM, TICK_WIDTH_MM),
        }
        if x % 10 == 0 && x > 0 {
            page.text(position + 0.5, 4.0, 6.0, TextAlign::Left, &x.to_string());
        }
    }
    for y in 0..=height {
        let position = f64::from(y);
        match y % 5 {
            0 => page.line(0.0, position, PAGE_WIDTH_MM, position, grid_line_width(y)),
            _ => page.line(0.0, position, TICK_LENGTH_MM, position, TICK_WIDTH_MM),
        }
        if y % 10 == 0 && y > 0 {
            page.text(0.5, position - 0.5, 6.0, TextAlign::Left, &y.to_string());
        }
    }
    let caption = format!("校准页 打印机配置 {}：水平偏移 {:.1} mm，垂直偏移 {:.1} mm", profile.name, profile.offset_x_mm, profile.offset_y_mm);
    let caption_area = Area { x_mm: 40.0, y_mm: 80.0, width_mm: 160.0, height_mm: 12.0 };
    page.text_in(&caption_area, 12.0, TextAlign::Center, &caption);
    page.finish()
}

const TICK_LENGTH_MM: f64 = 2.0;
const TICK_WIDTH_MM: f64 = 0.1;

fn grid_line_width(position_mm: u32) -> f64 {
    if position_mm % 10 == 0 { 0.3 } else { 0.1 }
}

mvis_plugin_sdk::export_printer!(Driver);
