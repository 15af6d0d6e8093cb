//! ESC/P output for 24-pin LQ-class dot-matrix printers, with text in GB18030.
//!
//! Paper cannot move backwards, so [`EscpPage`] collects text first and writes it top to bottom.
//! Every position is converted from its absolute millimetre target, so rounding never adds up.
//!
//! Commands used (Epson ESC/P, 24-pin):
//! - `ESC @` initialises the printer.
//! - `ESC $ nL nH` sets the absolute horizontal position in 1/60 inch.
//! - `ESC J n` feeds the paper n/180 inch, at most 255 per command.
//! - `CR` prints the line buffer and returns the carriage; `FF` ejects the form.
//! - `FS &` and `FS .` enter and leave Chinese character mode. These come from Chinese printer
//!   manuals (e.g. for LQ-630K-class models), not from Epson's ESC/P reference.

use crate::print::PrinterProfile;
use crate::{Failure, failure};

const ESC: u8 = 0x1B;
const FS: u8 = 0x1C;
const CR: u8 = 0x0D;
const FF: u8 = 0x0C;

/// Vertical units per inch of `ESC J`.
const VERTICAL_UNITS_PER_INCH: f64 = 180.0;
/// Horizontal units per inch of `ESC $`.
const HORIZONTAL_UNITS_PER_INCH: f64 = 60.0;
const MAX_FEED_PER_COMMAND: u32 = 255;

/// Distance from the top of the print head's characters to their baseline: 24 dots at 1/180 inch
/// make a 3.4 mm character, whose baseline sits about 5/6 of the way down.
/// NOTE: an estimate from the head geometry, not measured on a printer; profiles absorb the error.
pub const CHARACTER_ASCENT_MM: f64 = 2.8;

pub struct EscpOptions {
    /// Wrap text that is not plain ASCII in `FS &` … `FS .`.
    pub chinese_mode_commands: bool,
    /// End with a form feed that ejects the page.
    pub form_feed: bool,
}

struct Placed {
    top_units: u32,
    x_units: u32,
    bytes: Vec<u8>,
    chinese: bool,
}

pub struct EscpPage {
    offset_x_mm: f64,
    offset_y_mm: f64,
    options: EscpOptions,
    placed: Vec<Placed>,
}

impl EscpPage {
    pub fn new(profile: &PrinterProfile, options: EscpOptions) -> EscpPage {
        EscpPage { offset_x_mm: profile.offset_x_mm, offset_y_mm: profile.offset_y_mm, options, placed: Vec::new() }
    }

    /// Places text with its left edge at `x_mm` and its baseline at `baseline_mm`. A position
    /// that the profile's offsets move above or left of the paper's origin is clamped to it.
    pub fn text(&mut self, x_mm: f64, baseline_mm: f64, text: &str) -> Result<(), Failure> {
        if text.is_empty() {
            return Ok(());
        }
        let top_mm = baseline_mm - CHARACTER_ASCENT_MM + self.offset_y_mm;
        let left_mm = x_mm + self.offset_x_mm;
        self.placed.push(Placed {
            top_units: to_units(top_mm, VERTICAL_UNITS_PER_INCH),
            x_units: to_units(left_mm, HORIZONTAL_UNITS_PER_INCH),
            bytes: encode_gb18030(text)?,
            chinese: !text.is_ascii(),
        });
        Ok(())
    }

    /// Writes the stream: initialisation, then every text top to bottom and left to right.
    pub fn finish(mut self) -> Vec<u8> {
        self.placed.sort_by_key(|placed| (placed.top_units, placed.x_units));
        let mut out = vec![ESC, b'@'];
        let mut current_units = 0;
        for placed in &self.placed {
            if placed.top_units > current_units {
                out.push(CR);
                feed(&mut out, placed.top_units - current_units);
                current_units = placed.top_units;
            }
            let [low, high] = u16::try_from(placed.x_units).unwrap_or(u16::MAX).to_le_bytes();
            out.extend_from_slice(&[ESC, b'$', low, high]);
            let chinese = placed.chinese && self.options.chinese_mode_commands;
            if chinese {
                out.extend_from_slice(&[FS, b'&']);
            }
            out.extend_from_slice(&placed.bytes);
            if chinese {
                out.extend_from_slice(&[FS, b'.']);
            }
        }
        out.push(CR);
        if self.options.form_feed {
            out.push(FF);
        }
        out
    }
}

fn feed(out: &mut Vec<u8>, mut units: u32) {
    while units > 0 {
        let step = units.min(MAX_FEED_PER_COMMAND);
        out.extend_from_slice(&[ESC, b'J', step as u8]);
        units -= step;
    }
}

fn to_units(mm: f64, units_per_inch: f64) -> u32 {
    (mm.max(0.0) / 25.4 * units_per_inch).round() as u32
}

/// Encodes text in GB18030. The half-width yen sign becomes the full-width `￥` first, because LQ
/// printers print its four-byte GB18030 code as garbage. Control characters are rejected: they
/// would be taken as printer commands.
pub fn encode_gb18030(text: &str) -> Result<Vec<u8>, Failure> {
    if let Some(control) = text.chars().find(|character| character.is_control()) {
        return Err(failure("text_control_character", None, format!("打印内容含控制字符 U+{:04X}，请修改发票内容后重新打印", u32::from(control))));
    }
    let text = text.replace('¥', "￥");
    let (bytes, _, had_errors) = encoding_rs::GB18030.encode(&text);
    if had_errors {
        return Err(failure("text_not_encodable", None, format!("“{text}”含无法用 GB18030 编码的字符，请修改后重新打印")));
    }
    Ok(bytes.into_owned())
}
