//! Building a page description for the host's PDF renderer, with a printer profile's offsets
//! applied to every position.

use crate::form::{Area, MM_PER_POINT};
use crate::print::{Line, Page, PageItem, PrinterProfile, Text, TextAlign};

pub struct PageBuilder {
    width_mm: f64,
    height_mm: f64,
    offset_x_mm: f64,
    offset_y_mm: f64,
    items: Vec<PageItem>,
}

impl PageBuilder {
    pub fn new(width_mm: f64, height_mm: f64, profile: &PrinterProfile) -> PageBuilder {
        PageBuilder { width_mm, height_mm, offset_x_mm: profile.offset_x_mm, offset_y_mm: profile.offset_y_mm, items: Vec::new() }
    }

    /// Places text with its baseline at `y_mm`; empty text adds nothing.
    pub fn text(&mut self, x_mm: f64, y_mm: f64, size_pt: f64, align: TextAlign, content: &str) {
        if content.is_empty() {
            return;
        }
        self.items.push(PageItem::Text(Text {
            x_mm: round_mm(x_mm + self.offset_x_mm),
            y_mm: round_mm(y_mm + self.offset_y_mm),
            size_pt: round_mm(size_pt),
            align,
            content: content.to_string(),
        }));
    }

    /// Places one line of text inside `area`, shrunk until its estimated width fits.
    pub fn text_in(&mut self, area: &Area, max_size_pt: f64, align: TextAlign, content: &str) {
        let size_pt = fit_size_pt(content, area.width_mm - 2.0 * TEXT_PADDING_MM, max_size_pt);
        let x_mm = match align {
            TextAlign::Left => area.x_mm + TEXT_PADDING_MM,
            TextAlign::Center => area.x_mm + area.width_mm / 2.0,
            TextAlign::Right => area.x_mm + area.width_mm - TEXT_PADDING_MM,
        };
        self.text(x_mm, area.baseline_mm(size_pt), size_pt, align, content);
    }

    pub fn line(&mut self, x1_mm: f64, y1_mm: f64, x2_mm: f64, y2_mm: f64, width_mm: f64) {
        self.items.push(PageItem::Line(Line {
            x1_mm: round_mm(x1_mm + self.offset_x_mm),
            y1_mm: round_mm(y1_mm + self.offset_y_mm),
            x2_mm: round_mm(x2_mm + self.offset_x_mm),
            y2_mm: round_mm(y2_mm + self.offset_y_mm),
            width_mm,
        }));
    }

    pub fn rectangle(&mut self, area: &Area, width_mm: f64) {
        let (left, top) = (area.x_mm, area.y_mm);
        let (right, bottom) = (area.x_mm + area.width_mm, area.y_mm + area.height_mm);
        self.line(left, top, right, top, width_mm);
        self.line(right, top, right, bottom, width_mm);
        self.line(right, bottom, left, bottom, width_mm);
        self.line(left, bottom, left, top, width_mm);
    }

    pub fn finish(self) -> Page {
        Page { width_mm: self.width_mm, height_mm: self.height_mm, items: self.items }
    }
}

/// Space between a box's edge and its text.
pub const TEXT_PADDING_MM: f64 = 1.0;

/// Smallest size text is shrunk to; below it a printed character is no longer legible.
pub const MIN_TEXT_SIZE_PT: f64 = 5.0;

/// Estimated width of `text` at `size_pt`: CJK and other wide characters take one em, the rest
/// half an em. Good enough to choose a size; the PDF renderer uses the font's real advances.
pub fn estimated_width_mm(text: &str, size_pt: f64) -> f64 {
    let ems: f64 = text.chars().map(|character| if character.is_ascii() { 0.55 } else { 1.0 }).sum();
    ems * size_pt * MM_PER_POINT
}

/// The largest size up to `max_size_pt`, in steps of 0.5 pt, at which `text` fits `width_mm`.
pub fn fit_size_pt(text: &str, width_mm: f64, max_size_pt: f64) -> f64 {
    let mut size_pt = max_size_pt;
    while size_pt > MIN_TEXT_SIZE_PT && estimated_width_mm(text, size_pt) > width_mm {
        size_pt -= 0.5;
    }
    size_pt.max(MIN_TEXT_SIZE_PT)
}

/// Rounds to 0.01 mm so that page descriptions compare equal across float noise.
fn round_mm(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
