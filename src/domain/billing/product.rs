//! The product catalogue's kinds. Prices are versioned: a price change is a new
//! version with an `effective_from`; invoices copy the version they used.

use serde::{Deserialize, Serialize};

use super::ledger::RevenueStream;

/// What a catalogue product is, which decides how it is sold and booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A yearly course-content licence (Base Text + Syllabus, training materials, exam materials).
    CourseLicence,
    /// The Base Text: print, ebook or company-internal site licence.
    BaseText,
    /// An exam fee (PCEP, PCAP, PCPP1, PCPP2).
    ExamFee,
    /// An AT/AEC accreditation or maintenance fee.
    AccreditationFee,
}

impl ProductKind {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::CourseLicence => "course_licence",
            ProductKind::BaseText => "base_text",
            ProductKind::ExamFee => "exam_fee",
            ProductKind::AccreditationFee => "accreditation_fee",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ProductKind::CourseLicence,
            ProductKind::BaseText,
            ProductKind::ExamFee,
            ProductKind::AccreditationFee,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The revenue account this kind of sale is recognised into.
    pub fn revenue_stream(self) -> RevenueStream {
        match self {
            ProductKind::CourseLicence => RevenueStream::CourseLicences,
            ProductKind::BaseText => RevenueStream::BaseText,
            ProductKind::ExamFee => RevenueStream::ExamFees,
            ProductKind::AccreditationFee => RevenueStream::AccreditationFees,
        }
    }
}
