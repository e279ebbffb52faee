//! The public view of any credential document a person can verify: a
//! certification's certificate and an accreditation certificate (Authorized
//! Trainer, Authorized Education Center). One shape, so the verification
//! page (`page-templates/credential.html`) renders every kind alike; each kind
//! converts its own public record into a [`CredentialDocument`]
//! ([`CredentialDocument::certification`], [`CredentialDocument::accreditation`]).
//! [`verify`] finds the document a public number identifies.
//!
//! Only facts printed on the document itself are here: no email, address,
//! candidate or provider id.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::services::accreditation::register::{self, AccreditationVerification};
use crate::services::credentials::certifications::{self, Verification};
use crate::services::ServiceError;

/// The public record of a verified number, as `GET /v1/verify/{number}` answers
/// it in JSON: a certification's record, or an accreditation's (told apart by
/// `certificate_number` vs `accreditation_number`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum VerifiedDocument {
    /// A certificate of a certification.
    Certification(Verification),
    /// An accreditation certificate of an AT or AEC.
    Accreditation(AccreditationVerification),
}

/// Finds the document `number` identifies: a certificate number first, then an
/// accreditation number (their prefixes differ: credential codes vs `AT`/`AEC`).
/// Errors: [`ServiceError::NotFound`] when neither knows it.
pub fn verify(
    conn: &mut DbConn,
    number: &str,
    today: NaiveDate,
) -> Result<VerifiedDocument, ServiceError> {
    match certifications::verify(conn, number, today) {
        Ok(v) => Ok(VerifiedDocument::Certification(v)),
        Err(ServiceError::NotFound(_)) => {
            register::verify(conn, number).map(VerifiedDocument::Accreditation)
        }
        Err(e) => Err(e),
    }
}

/// What kind of document was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A certificate of a certification (exam, composite or bootstrap review).
    Certification,
    /// An accreditation certificate of an Authorized Trainer or Education Center.
    Accreditation,
}

impl DocumentKind {
    /// Heading word, e.g. "Certificate".
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Certification => "Certificate",
            DocumentKind::Accreditation => "Accreditation certificate",
        }
    }

    /// Label of the `what` fact, e.g. "Credential".
    pub fn what_label(self) -> &'static str {
        match self {
            DocumentKind::Certification => "Credential",
            DocumentKind::Accreditation => "Accredited as",
        }
    }
}

/// How a status reads at a glance: in force, needing attention, or not in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusTone {
    /// In force (`valid`, `active`).
    Good,
    /// In force but due, or no longer in force by lapse of time (`expired`,
    /// `renewal_due`, `lapsed`, `non_compliant`).
    Warning,
    /// Withdrawn (`suspended`, `revoked`, `rejected`) or unknown.
    Bad,
}

/// Human label and tone of a wire status word of any document kind
/// (certification: docs/domain.md "Certification statuses"; accreditation:
/// DESIGN.md's accreditation states).
pub fn status_presentation(status: &str) -> (String, StatusTone) {
    let tone = match status {
        "valid" | "active" => StatusTone::Good,
        "expired" | "renewal_due" | "lapsed" | "non_compliant" => StatusTone::Warning,
        _ => StatusTone::Bad,
    };
    let label = match status {
        "valid" => "Valid".to_owned(),
        "active" => "Active".to_owned(),
        "renewal_due" => "Active, renewal due".to_owned(),
        "non_compliant" => "Non-compliant".to_owned(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get(..1) {
                let upper = first.to_uppercase();
                s.replace_range(..1, &upper);
            }
            s
        }
    };
    (label, tone)
}

/// A verifiable document as a person sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialDocument {
    /// Kind.
    pub kind: DocumentKind,
    /// Heading word of the kind (from [`DocumentKind::label`]).
    pub kind_label: &'static str,
    /// Label of `what` (from [`DocumentKind::what_label`]).
    pub what_label: &'static str,
    /// Public number printed on the document (and in its QR code).
    pub number: String,
    /// Wire status word, e.g. `valid`, `active`, `suspended`.
    pub status: String,
    /// Human status, e.g. "Valid".
    pub status_label: String,
    /// Tone of the status.
    pub tone: StatusTone,
    /// Reason given for a suspension or revocation.
    pub status_reason: Option<String>,
    /// Holder's name as printed (a person, or a provider's legal name).
    pub holder: String,
    /// What is certified or accredited, e.g. "PCEP – Certified Entry-Level Python Programmer".
    pub what: String,
    /// A further printed fact, e.g. the level.
    pub detail: Option<String>,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Expiry (exclusive); `None` = no expiry.
    pub valid_until: Option<NaiveDate>,
    /// Issuing body's legal name.
    pub issuer: String,
    /// SHA-256 (hex) of the issued PDF, when one is archived.
    pub pdf_sha256: Option<String>,
}

impl CredentialDocument {
    /// A document of `kind` with the label fields and status presentation filled.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: DocumentKind,
        number: String,
        status: String,
        status_reason: Option<String>,
        holder: String,
        what: String,
        valid_from: NaiveDate,
        valid_until: Option<NaiveDate>,
        issuer: String,
    ) -> Self {
        let (status_label, tone) = status_presentation(&status);
        CredentialDocument {
            kind,
            kind_label: kind.label(),
            what_label: kind.what_label(),
            number,
            status,
            status_label,
            tone,
            status_reason,
            holder,
            what,
            detail: None,
            valid_from,
            valid_until,
            issuer,
            pdf_sha256: None,
        }
    }

    /// The document of a certification's verification record, issued by `issuer`.
    pub fn certification(v: Verification, issuer: &str) -> Self {
        let mut doc = CredentialDocument::new(
            DocumentKind::Certification,
            v.certificate_number,
            v.status,
            v.reason,
            v.holder_name,
            format!("{} – {}", v.credential_code, v.credential_name),
            v.issued_on,
            v.expires_on,
            issuer.to_owned(),
        );
        doc.detail = v.level.map(|l| {
            let name = l.as_str();
            format!("Level: {}{}", name[..1].to_uppercase(), &name[1..])
        });
        doc.pdf_sha256 = Some(v.pdf_sha256);
        doc
    }

    /// The document of an accreditation's verification record, issued by `issuer`.
    pub fn accreditation(v: AccreditationVerification, issuer: &str) -> Self {
        let mut doc = CredentialDocument::new(
            DocumentKind::Accreditation,
            v.accreditation_number,
            v.status.as_str().to_owned(),
            v.reason,
            v.holder_name,
            v.accredited_as,
            v.valid_from,
            v.valid_until,
            issuer.to_owned(),
        );
        doc.pdf_sha256 = Some(v.pdf_sha256);
        doc
    }

    /// The document of any verified record.
    pub fn of(v: VerifiedDocument, issuer: &str) -> Self {
        match v {
            VerifiedDocument::Certification(v) => CredentialDocument::certification(v, issuer),
            VerifiedDocument::Accreditation(v) => CredentialDocument::accreditation(v, issuer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_of_every_kind_read_plainly() {
        assert_eq!(
            status_presentation("valid"),
            ("Valid".into(), StatusTone::Good)
        );
        assert_eq!(
            status_presentation("renewal_due"),
            ("Active, renewal due".into(), StatusTone::Warning)
        );
        assert_eq!(
            status_presentation("revoked"),
            ("Revoked".into(), StatusTone::Bad)
        );
        assert_eq!(
            status_presentation("under_review"),
            ("Under review".into(), StatusTone::Bad)
        );
    }
}
