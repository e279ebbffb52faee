//! What every PDF the service writes shares beyond drawing: the font
//! resources of a document ([`Fonts`]), and [`save`], which embeds exactly
//! the faces the pages draw with, subsets them and serialises the file.
//!
//! Font choice happens per text run while drawing (`canvas` splits text
//! with [`Weight::runs`]), so no layout has to predict which strings need
//! the CJK fallback face: [`save`] embeds it only if some page draws with
//! it, and then only the glyphs used (printpdf's `text_layout` subsetting).

use std::collections::BTreeSet;

use printpdf::{
    FontId, Op, PdfDocument, PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt,
};

use super::fonts::{fallback_face, FontSource, Weight};

/// Failure to produce a PDF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// printpdf reported errors while writing the file (for example a font
    /// it could not subset); the output would be wrong or oversized, so it
    /// is discarded.
    #[error("PDF serialisation failed: {}", .0.join("; "))]
    Serialize(Vec<String>),
}

/// Resource ids of the faces one document may draw with: DejaVu Sans
/// regular and bold, and the fallback face for characters DejaVu lacks.
///
/// The ids are chosen up front; the faces themselves are added to the
/// document by [`save`], and only those the pages use.
#[derive(Debug, Clone)]
pub(crate) struct Fonts {
    regular: FontId,
    bold: FontId,
    fallback: FontId,
}

impl Fonts {
    /// Fresh ids for one document.
    pub(crate) fn new() -> Self {
        Self {
            regular: FontId::new(),
            bold: FontId::new(),
            fallback: FontId::new(),
        }
    }

    /// The font a run drawn by `source` in `weight` is set in.
    pub(crate) fn handle(&self, source: FontSource, weight: Weight) -> PdfFontHandle {
        let id = match (source, weight) {
            (FontSource::Primary, Weight::Regular) => &self.regular,
            (FontSource::Primary, Weight::Bold) => &self.bold,
            (FontSource::Fallback, _) => &self.fallback,
        };
        PdfFontHandle::External(id.clone())
    }
}

/// Document information written into the PDF's `Info` dictionary.
#[derive(Debug)]
pub(crate) struct Info<'a> {
    /// Title, e.g. "Invoice ACC-2026-000001".
    pub title: &'a str,
    /// The issuer.
    pub author: &'a str,
    /// What the document is about, e.g. "Invoice for Zoë Łukasiewicz".
    pub subject: &'a str,
}

/// Writes `pages` (operation lists drawn with `fonts`, each page
/// `width` × `height` points) into a PDF file.
///
/// Embeds each face some page sets text in — the fallback face only if a
/// page drew a run with it — subset to the glyphs used, with a `ToUnicode`
/// map so the text extracts verbatim. Faces are parsed once per process
/// (`fonts`); adding one to a document clones the parsed face.
///
/// Errors: [`PdfError::Serialize`] if printpdf reports an error while
/// writing the file.
pub(crate) fn save(
    info: &Info<'_>,
    fonts: &Fonts,
    (width, height): (f32, f32),
    pages: Vec<Vec<Op>>,
) -> Result<Vec<u8>, PdfError> {
    let mut pdf = PdfDocument::new(info.title);
    pdf.metadata.info.author = info.author.to_owned();
    pdf.metadata.info.creator = "Accredit".to_owned();
    pdf.metadata.info.producer = "Accredit (printpdf)".to_owned();
    pdf.metadata.info.subject = info.subject.to_owned();

    let used: BTreeSet<&FontId> = pages
        .iter()
        .flatten()
        .filter_map(|op| match op {
            Op::SetFont {
                font: PdfFontHandle::External(id),
                ..
            } => Some(id),
            _ => None,
        })
        .collect();
    for (id, face) in [
        (&fonts.regular, Weight::Regular.face()),
        (&fonts.bold, Weight::Bold.face()),
    ] {
        if used.contains(id) {
            insert_font(&mut pdf, id, face);
        }
    }
    if used.contains(&fonts.fallback) {
        insert_font(&mut pdf, &fonts.fallback, fallback_face());
    }

    let pages = pages
        .into_iter()
        .map(|ops| PdfPage::new(Pt(width).into(), Pt(height).into(), ops))
        .collect();
    let options = PdfSaveOptions {
        subset_fonts: true,
        optimize: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = pdf.with_pages(pages).save(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .into_iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg)
        .collect();
    if errors.is_empty() {
        Ok(bytes)
    } else {
        Err(PdfError::Serialize(errors))
    }
}

/// Adds `face` to `pdf` under `id` (what `PdfDocument::add_font` does,
/// with an id chosen before drawing).
fn insert_font(pdf: &mut PdfDocument, id: &FontId, face: &printpdf::ParsedFont) {
    pdf.resources
        .fonts
        .map
        .insert(id.clone(), printpdf::PdfFont::new(face.clone()));
}
