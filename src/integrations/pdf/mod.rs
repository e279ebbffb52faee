//! PDF documents the service issues: invoices and credit notes
//! (`invoice`) and certificates (`certificate`), each a layout over shared
//! parts — embedded fonts and the one font-run splitter (`fonts`), drawing
//! primitives (`canvas`), palette and text styles (`style`), and font
//! resources and saving (`document`).
//!
//! Renderers take display models whose strings are already formatted by the
//! caller (money, dates, addresses), so this layer holds layout only — no
//! domain rules — and returns the finished file as bytes. Text in Latin,
//! Greek, Cyrillic, Vietnamese, Chinese and Japanese prints and extracts
//! verbatim in both layouts.

mod canvas;
pub mod certificate;
mod document;
mod fonts;
pub mod invoice;
mod style;
#[cfg(test)]
mod tests;

pub use certificate::*;
pub use document::PdfError;
pub use invoice::*;
