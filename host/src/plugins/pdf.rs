//! Renders a printer plugin's page description to a one-page PDF with an embedded, subsetted
//! CJK font, so the page prints and its text can be extracted (e.g. by `pdftotext`).
//!
//! The font is a TrueType (glyf) font from a Debian package, by default WenQuanYi Micro Hei
//! from `fonts-wqy-microhei`. It is embedded as a CIDFontType2 with Identity-H encoding and a
//! ToUnicode map. Characters map one to one onto glyphs, without shaping, which suits the
//! Chinese and Latin text of a form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::bindings::{Page, PageItem, TextAlign};

/// The font `tools/install-deps` installs (Debian package `fonts-wqy-microhei`, Apache-2.0).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

const POINTS_PER_MM: f32 = 72.0 / 25.4;
const FONT_NAME: &[u8] = b"MVISAA+WenQuanYiMicroHei";

#[derive(Clone, Debug, thiserror::Error)]
pub enum PdfError {
    #[error("failed to read the PDF font {path}: {message}")]
    Font { path: PathBuf, message: String },
    #[error("failed to subset the PDF font: {0}")]
    Subset(String),
}

impl PdfError {
    pub fn message_zh(&self) -> String {
        match self {
            PdfError::Font { path, .. } => format!("无法读取 PDF 字体 {}（请安装 fonts-wqy-microhei 或用 --pdf-font 指定 TrueType 字体）", path.display()),
            PdfError::Subset(_) => "字体子集化失败".to_string(),
        }
    }
}

struct FontFile {
    bytes: Vec<u8>,
    index: u32,
}

/// Renders pages with one font, read from disk on first use.
#[derive(Clone)]
pub struct PdfRenderer {
    path: PathBuf,
    font: Arc<OnceLock<Result<Arc<FontFile>, String>>>,
}

impl PdfRenderer {
    pub fn new(path: &Path) -> PdfRenderer {
        PdfRenderer { path: path.to_path_buf(), font: Arc::new(OnceLock::new()) }
    }

    fn font(&self) -> Result<Arc<FontFile>, PdfError> {
        let loaded = self.font.get_or_init(|| {
            let bytes = std::fs::read(&self.path).map_err(|err| err.to_string())?;
            let face = ttf_parser::Face::parse(&bytes, 0).map_err(|err| err.to_string())?;
            if face.tables().glyf.is_none() {
                return Err("the font has no TrueType outlines (glyf table); use a TrueType font such as WenQuanYi Micro Hei".to_string());
            }
            Ok(Arc::new(FontFile { bytes, index: 0 }))
        });
        loaded.clone().map_err(|message| PdfError::Font { path: self.path.clone(), message })
    }

    /// Renders one page. Characters missing from the font print as its empty glyph.
    pub fn render(&self, page: &Page) -> Result<Vec<u8>, PdfError> {
        let font = self.font()?;
        let face = ttf_parser::Face::parse(&font.bytes, font.index).map_err(|err| PdfError::Font { path: self.path.clone(), message: err.to_string() })?;
        let glyphs = Glyphs::collect(&face, page);
        let subset = subsetter::subset(&font.bytes, font.index, &glyphs.remapper).map_err(|err| PdfError::Subset(format!("{err:?}")))?;
        Ok(write_pdf(page, &face, &glyphs, &subset))
    }
}

/// The glyphs one page uses, renumbered densely for the subset font.
struct Glyphs {
    remapper: subsetter::GlyphRemapper,
    /// Character to new glyph id.
    by_char: BTreeMap<char, u16>,
    /// New glyph id to advance width in font units, in new-id order.
    advances: Vec<u16>,
}

impl Glyphs {
    fn collect(face: &ttf_parser::Face, page: &Page) -> Glyphs {
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut by_char = BTreeMap::new();
        let mut advances = vec![face.glyph_hor_advance(ttf_parser::GlyphId(0)).unwrap_or(0)];
        remapper.remap(0);
        for item in &page.items {
            let PageItem::Text(text) = item else { continue };
            for character in text.content.chars() {
                if by_char.contains_key(&character) {
                    continue;
                }
                let glyph = face.glyph_index(character).unwrap_or(ttf_parser::GlyphId(0));
                let new_id = remapper.remap(glyph.0);
                if usize::from(new_id) == advances.len() {
                    advances.push(face.glyph_hor_advance(glyph).unwrap_or(0));
                }
                by_char.insert(character, new_id);
            }
        }
        Glyphs { remapper, by_char, advances }
    }

    fn encode(&self, text: &str) -> (Vec<u8>, u32) {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        let mut advance = 0u32;
        for character in text.chars() {
            let id = self.by_char.get(&character).copied().unwrap_or(0);
            bytes.extend_from_slice(&id.to_be_bytes());
            advance += u32::from(self.advances[usize::from(id)]);
        }
        (bytes, advance)
    }
}

fn write_pdf(page: &Page, face: &ttf_parser::Face, glyphs: &Glyphs, subset: &[u8]) -> Vec<u8> {
    let mut next_id = Ref::new(1);
    let mut allocate = || next_id.bump();
    let (catalog_id, pages_id, page_id, content_id) = (allocate(), allocate(), allocate(), allocate());
    let (font_id, cid_font_id, descriptor_id, font_file_id, cmap_id) = (allocate(), allocate(), allocate(), allocate(), allocate());

    let units_per_em = f32::from(face.units_per_em());
    let to_thousandths = |value: f32| value / units_per_em * 1000.0;
    let width_pt = page.width_mm as f32 * POINTS_PER_MM;
    let height_pt = page.height_mm as f32 * POINTS_PER_MM;

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids([page_id]).count(1);
    let mut pdf_page = pdf.page(page_id);
    pdf_page.media_box(Rect::new(0.0, 0.0, width_pt, height_pt));
    pdf_page.parent(pages_id);
    pdf_page.contents(content_id);
    pdf_page.resources().fonts().pair(Name(b"F1"), font_id);
    pdf_page.finish();

    let content = page_content(page, glyphs, units_per_em, height_pt);
    let compressed_content = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
    pdf.stream(content_id, &compressed_content).filter(Filter::FlateDecode);

    let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(font_id).base_font(Name(FONT_NAME)).encoding_predefined(Name(b"Identity-H")).descendant_font(cid_font_id).to_unicode(cmap_id);
    let mut cid_font = pdf.cid_font(cid_font_id);
    cid_font.subtype(CidFontType::Type2).base_font(Name(FONT_NAME)).system_info(system_info).font_descriptor(descriptor_id);
    cid_font.cid_to_gid_map_predefined(Name(b"Identity"));
    cid_font.widths().consecutive(0, glyphs.advances.iter().map(|advance| to_thousandths(f32::from(*advance))));
    cid_font.finish();

    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor_id)
        .name(Name(FONT_NAME))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(to_thousandths(bbox.x_min.into()), to_thousandths(bbox.y_min.into()), to_thousandths(bbox.x_max.into()), to_thousandths(bbox.y_max.into())))
        .italic_angle(0.0)
        .ascent(to_thousandths(face.ascender().into()))
        .descent(to_thousandths(face.descender().into()))
        .cap_height(to_thousandths(face.capital_height().unwrap_or(face.ascender()).into()))
        .stem_v(80.0)
        .font_file2(font_file_id);
    let compressed_font = miniz_oxide::deflate::compress_to_vec_zlib(subset, 6);
    pdf.stream(font_file_id, &compressed_font).filter(Filter::FlateDecode);

    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
    for (character, id) in &glyphs.by_char {
        cmap.pair(*id, *character);
    }
    pdf.cmap(cmap_id, &cmap.finish());
    pdf.finish()
}

/// Lines first, then text, with y turned from top-down millimetres into PDF's bottom-up points.
fn page_content(page: &Page, glyphs: &Glyphs, units_per_em: f32, height_pt: f32) -> Vec<u8> {
    let mut content = Content::new();
    for item in &page.items {
        let PageItem::Line(line) = item else { continue };
        content.set_line_width(line.width_mm as f32 * POINTS_PER_MM);
        content.move_to(line.x1_mm as f32 * POINTS_PER_MM, height_pt - line.y1_mm as f32 * POINTS_PER_MM);
        content.line_to(line.x2_mm as f32 * POINTS_PER_MM, height_pt - line.y2_mm as f32 * POINTS_PER_MM);
        content.stroke();
    }
    for item in &page.items {
        let PageItem::Text(text) = item else { continue };
        let size = text.size_pt as f32;
        let (encoded, advance) = glyphs.encode(&text.content);
        let width_pt = advance as f32 / units_per_em * size;
        let left_pt = text.x_mm as f32 * POINTS_PER_MM
            - match text.align {
                TextAlign::Left => 0.0,
                TextAlign::Center => width_pt / 2.0,
                TextAlign::Right => width_pt,
            };
        content.begin_text();
        content.set_font(Name(b"F1"), size);
        content.next_line(left_pt, height_pt - text.y_mm as f32 * POINTS_PER_MM);
        content.show(Str(&encoded));
        content.end_text();
    }
    content.finish().into_vec()
}
