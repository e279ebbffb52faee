//! Invoices (docs/domain.md, "Invoices and payments"): statuses, gap-free
//! numbers, and line arithmetic.
//!
//! An invoice is immutable once issued; only its status and the amount paid move.
//! Numbers are `SERIES-YEAR-NNNNNN`, gap-free per series and year, assigned inside
//! the issuing transaction from a counter row (never a database sequence, which
//! leaves gaps on rollback).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::money::{tax_on, Money, MoneyError};

crate::stored_enum! {
    /// Invoice lifecycle: `draft → open → paid | void | uncollectible`.
    pub enum InvoiceStatus {
        /// Being prepared; no number yet.
        Draft = "draft",
        /// Issued and awaiting payment.
        Open = "open",
        /// Paid in full.
        Paid = "paid",
        /// Cancelled by a credit note before payment.
        Void = "void",
        /// Written off.
        Uncollectible = "uncollectible",
    }
}

impl InvoiceStatus {
    /// Whether a payment may be applied in this status.
    pub fn accepts_payment(self) -> bool {
        matches!(self, InvoiceStatus::Open)
    }
}

crate::stored_enum! {
    /// The kind of thing an invoice is for; see [`InvoiceSubject`].
    pub enum InvoiceSubjectKind {
        /// One term of a course-content licence.
        LicenceTerm = "licence_term",
        /// A candidate's exam order (the exam fee).
        ExamOrder = "exam_order",
        /// An accreditation's initial or maintenance fee.
        AccreditationFee = "accreditation_fee",
        /// The submission fee of training materials.
        TrainingMaterialFee = "training_material_fee",
    }
}

/// What an invoice is for (docs/domain.md, "Invoice subject"): recorded when the
/// invoice is issued, immutable, and the one thing that decides which fulfilment runs
/// when the invoice is paid in full. A new kind of thing sold adds a variant here
/// (and its fulfilment), never a second invoicing or payment path.
///
/// Wire form: `{"kind": "licence_term", "id": "<uuid>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceSubject {
    /// What kind of thing is sold.
    pub kind: InvoiceSubjectKind,
    /// The id of the licence term, exam order, … (a UUID).
    pub id: uuid::Uuid,
}

impl InvoiceSubject {
    /// The subject of a licence term's invoice.
    pub fn licence_term(id: crate::domain::ids::LicenceTermId) -> Self {
        InvoiceSubject {
            kind: InvoiceSubjectKind::LicenceTerm,
            id: id.0,
        }
    }

    /// The subject of an exam order's invoice.
    pub fn exam_order(id: crate::domain::ids::ExamOrderId) -> Self {
        InvoiceSubject {
            kind: InvoiceSubjectKind::ExamOrder,
            id: id.0,
        }
    }

    /// The subject of an accreditation fee's invoice.
    pub fn accreditation_fee(id: crate::domain::ids::AccreditationFeeId) -> Self {
        InvoiceSubject {
            kind: InvoiceSubjectKind::AccreditationFee,
            id: id.0,
        }
    }

    /// The subject of a training-material submission fee's invoice.
    pub fn training_material_fee(id: crate::domain::ids::TrainingMaterialId) -> Self {
        InvoiceSubject {
            kind: InvoiceSubjectKind::TrainingMaterialFee,
            id: id.0,
        }
    }

    /// Reads the stored pair. Errors: an unknown kind or a malformed id (a corrupt
    /// row), never a default.
    pub fn from_stored(
        kind: &str,
        id: &str,
    ) -> Result<Self, crate::domain::stored::UnknownStoredValue> {
        let kind = InvoiceSubjectKind::from_stored(kind)?;
        let id = id
            .parse()
            .map_err(|_| crate::domain::stored::UnknownStoredValue {
                what: "invoice subject id",
                value: id.to_owned(),
            })?;
        Ok(InvoiceSubject { kind, id })
    }
}

/// A formatted invoice number, e.g. `ACC-2026-000042`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    /// Formats `series`, `year` and the 1-based `sequence` (zero-padded to 6 digits;
    /// wider numbers keep all their digits).
    pub fn format(series: &str, year: i32, sequence: i64) -> Self {
        InvoiceNumber(format!("{series}-{year}-{sequence:06}"))
    }

    /// The number text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The computed amounts of one invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    /// `unit_price × quantity`.
    pub net: Money,
    /// Tax on `net` at the line's rate.
    pub tax: Money,
    /// `net + tax`.
    pub total: Money,
}

/// Computes a line: net, tax (rounded once by [`tax_on`]) and total.
/// Errors: [`MoneyError::Overflow`].
pub fn line_amounts(
    unit_price: Money,
    quantity: i64,
    tax_rate_basis_points: i64,
) -> Result<LineAmounts, MoneyError> {
    let net = unit_price.checked_mul(quantity)?;
    let tax = tax_on(net, tax_rate_basis_points)?;
    let total = net.checked_add(tax)?;
    Ok(LineAmounts { net, tax, total })
}

/// Sums line amounts into the invoice's (subtotal, tax, total).
/// Errors: [`MoneyError::CurrencyMismatch`], [`MoneyError::Overflow`].
pub fn invoice_totals(
    currency: crate::domain::money::Currency,
    lines: &[LineAmounts],
) -> Result<(Money, Money, Money), MoneyError> {
    let mut net = Money::zero(currency);
    let mut tax = Money::zero(currency);
    for l in lines {
        net = net.checked_add(l.net)?;
        tax = tax.checked_add(l.tax)?;
    }
    Ok((net, tax, net.checked_add(tax)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    #[test]
    fn numbers_are_zero_padded_per_series_and_year() {
        assert_eq!(
            InvoiceNumber::format("ACC", 2026, 42).as_str(),
            "ACC-2026-000042"
        );
        assert_eq!(
            InvoiceNumber::format("ACC", 2026, 1_234_567).as_str(),
            "ACC-2026-1234567"
        );
    }

    #[test]
    fn lines_and_totals_add_up() {
        let l = line_amounts(Money::new(250_000, Currency::Usd), 2, 1_900).unwrap();
        assert_eq!(l.net.amount_minor, 500_000);
        assert_eq!(l.tax.amount_minor, 95_000);
        assert_eq!(l.total.amount_minor, 595_000);
        let (n, t, total) = invoice_totals(Currency::Usd, &[l, l]).unwrap();
        assert_eq!(
            (n.amount_minor, t.amount_minor, total.amount_minor),
            (1_000_000, 190_000, 1_190_000)
        );
    }
}
