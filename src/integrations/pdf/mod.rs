//! PDF documents the service issues: invoices and credit notes now,
//! certificates later, each in its own module over the shared embedded
//! fonts (`fonts`) and drawing primitives (`canvas`).
//!
//! Renderers take display models whose strings are already formatted by the
//! caller (money, dates, addresses), so this layer holds layout only — no
//! domain rules — and returns the finished file as bytes.

mod canvas;
pub mod certificate;
mod fonts;
pub mod invoice;

pub use certificate::*;
pub use invoice::*;
