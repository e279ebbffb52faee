//! The look shared by every PDF the service issues: colours, the
//! [`TextStyle`] type and the text styles both layouts use, so an invoice
//! and a certificate from the same issuer share one palette.
//!
//! Styles only one layout uses stay in that layout's module, built with
//! [`style`] from this palette.

use printpdf::{Color, Rgb};

use super::fonts::Weight;

/// An sRGB colour, written as `0xRRGGBB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour(pub u32);

impl Colour {
    /// The colour as printpdf's device RGB (each channel 0.0–1.0).
    pub(crate) fn to_pdf(self) -> Color {
        let channel = |shift: u32| ((self.0 >> shift) & 0xFF) as f32 / 255.0;
        Color::Rgb(Rgb {
            r: channel(16),
            g: channel(8),
            b: channel(0),
            icc_profile: None,
        })
    }
}

/// Body text: near-black slate.
pub(crate) const INK: Colour = Colour(0x1F2933);
/// Secondary text: labels, footers, captions.
pub(crate) const MUTED: Colour = Colour(0x6B7280);
/// The issuer's colour: titles, the mark, totals.
pub(crate) const ACCENT: Colour = Colour(0x1E3A5F);
/// Paper white (the check in the mark).
pub(crate) const WHITE: Colour = Colour(0xFFFFFF);
/// Rules between blocks (invoice).
pub(crate) const RULE: Colour = Colour(0xD5DAE1);
/// Rules between table rows (invoice).
pub(crate) const ROW_RULE: Colour = Colour(0xE6E9EE);
/// Table header band (invoice).
pub(crate) const HEADER_FILL: Colour = Colour(0xF1F4F8);
/// Total summary box (invoice).
pub(crate) const SUMMARY_FILL: Colour = Colour(0xEAF0F7);
/// Frame, ornaments and seal (certificate).
pub(crate) const GOLD: Colour = Colour(0xB08D57);
/// Tinted paper inside the frame (certificate).
pub(crate) const PAPER: Colour = Colour(0xFDFBF6);

/// How a run of text is set: weight, size in points and colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    /// DejaVu weight; fallback (CJK) runs use the single fallback face,
    /// emboldened by stroking when this is bold.
    pub weight: Weight,
    /// Font size in points.
    pub size: f32,
    /// Fill colour.
    pub colour: Colour,
}

/// A [`TextStyle`] in a `const` context.
pub(crate) const fn style(weight: Weight, size: f32, colour: Colour) -> TextStyle {
    TextStyle {
        weight,
        size,
        colour,
    }
}

/// Small bold capitals over a value or block ("BILL TO", "ISSUED").
pub(crate) const LABEL: TextStyle = style(Weight::Bold, 7.5, MUTED);

impl TextStyle {
    /// Width of `text` in this style, in points.
    pub(crate) fn width(&self, text: &str) -> f32 {
        self.weight.width(text, self.size)
    }

    /// `text` wrapped to `max_width` points, at most `max_lines` lines
    /// (see [`Weight::wrap`]).
    pub(crate) fn wrap(&self, text: &str, max_width: f32, max_lines: usize) -> Vec<String> {
        self.weight.wrap(text, self.size, max_width, max_lines)
    }

    /// `text` shortened with "…" to fit `max_width` points.
    pub(crate) fn truncate(&self, text: &str, max_width: f32) -> String {
        self.weight.truncate(text, self.size, max_width)
    }

    /// `text` in this style if it fits `max_width` points; otherwise in a
    /// smaller size (down to 60 %) that fits, shortened with "…" only if
    /// even that is too wide. For values that should stay whole, such as
    /// amounts and document numbers.
    pub(crate) fn fit(&self, text: &str, max_width: f32) -> (String, TextStyle) {
        let width = self.width(text);
        if width <= max_width {
            return (text.to_owned(), *self);
        }
        let scaled = TextStyle {
            size: (self.size * max_width / width).max(self.size * 0.6),
            ..*self
        };
        (scaled.truncate(text, max_width), scaled)
    }
}
