//! Accreditation of Authorized Trainers (AT) and Authorized Education Centers (AEC)
//! (docs/domain.md, "Accreditation"; proposal: "PSF Approval of Authorized Training
//! Providers"): the kinds, the statuses, and the one transition table every change
//! of status goes through ([`lifecycle::transition`]).

pub mod lifecycle;
pub mod materials;
