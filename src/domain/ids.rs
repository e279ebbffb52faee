//! Typed identifiers. Each entity has its own id type so a licence id can never be
//! passed where an invoice id is expected. Ids are UUIDv7 (time-ordered, so cursor
//! pagination by id is creation order) stored as their hyphenated text form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A training provider: an Authorized Trainer or an Authorized Education Center.
    ProviderId
);
typed_id!(
    /// An API client (OAuth 2.0 client-credentials identity).
    ClientId
);
typed_id!(
    /// A course-content licence.
    LicenceId
);
typed_id!(
    /// One paid (or payable) term of a licence.
    LicenceTermId
);
typed_id!(
    /// An issued invoice or credit note.
    InvoiceId
);
typed_id!(
    /// A payment applied to an invoice.
    PaymentId
);
typed_id!(
    /// A balanced ledger transaction (a set of postings).
    LedgerTransactionId
);
typed_id!(
    /// A row of the transactional outbox.
    OutboxId
);
typed_id!(
    /// A versioned price of a catalogue product.
    PriceId
);
typed_id!(
    /// A candidate (test-taker).
    CandidateId
);
typed_id!(
    /// An independent testing vendor.
    VendorId
);
typed_id!(
    /// A candidate's order of an exam voucher.
    ExamOrderId
);
typed_id!(
    /// An exam voucher.
    VoucherId
);
typed_id!(
    /// One sitting of an exam (a redeemed voucher).
    ExamAttemptId
);
typed_id!(
    /// A certification held by a candidate.
    CertificationId
);
typed_id!(
    /// A fee split policy version.
    SplitPolicyId
);
typed_id!(
    /// A payout to a partner.
    PayoutId
);
typed_id!(
    /// A community contribution submitted by a candidate.
    ContributionId
);
typed_id!(
    /// An AT or AEC accreditation.
    AccreditationId
);
typed_id!(
    /// One fee invoice of an accreditation (initial or maintenance).
    AccreditationFeeId
);
typed_id!(
    /// An AEC's link to an AT it employs.
    TrainerLinkId
);
typed_id!(
    /// One entry of an accreditation's audit trail.
    AccreditationEventId
);
typed_id!(
    /// Training materials submitted for accreditation.
    TrainingMaterialId
);
