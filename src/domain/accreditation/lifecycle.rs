//! The accreditation lifecycle as ONE transition table (docs/domain.md,
//! "Accreditation states"):
//!
//! ```text
//! applied → under_review → approved (awaiting payment) → active → renewal_due → active | lapsed
//! suspended ⇄ active        non_compliant (AEC only) → active | suspended
//! rejected and revoked are final
//! ```
//!
//! Every change of status — by an admin, a payment, a cascade or the clock — is an
//! [`Action`] applied through [`transition`]; a pair the table does not list is an
//! [`IllegalTransition`] and changes nothing.

use serde::{Deserialize, Serialize};

crate::stored_enum! {
    /// What is accredited: a person who trains (AT) or an organisation with a
    /// training facility (AEC). Same names as the provider kinds.
    pub enum AccreditationKind {
        /// Authorized Trainer.
        Trainer = "trainer",
        /// Authorized Education Center.
        EducationCenter = "education_center",
    }
}

crate::stored_enum! {
    /// Status of an accreditation.
    pub enum AccreditationStatus {
        /// Application received.
        Applied = "applied",
        /// An admin is reviewing it.
        UnderReview = "under_review",
        /// Approved; the initial fee invoice awaits payment.
        Approved = "approved",
        /// Paid and within its term.
        Active = "active",
        /// Still accredited; expiry is near (or passed, inside the grace period).
        RenewalDue = "renewal_due",
        /// Not renewed by the end of the grace period.
        Lapsed = "lapsed",
        /// Suspended by an admin or by a cascade (lost standing, no active trainer).
        Suspended = "suspended",
        /// AEC only: no active AT any more; suspended at its deadline.
        NonCompliant = "non_compliant",
        /// Application refused (final for that application).
        Rejected = "rejected",
        /// Withdrawn by an admin (final).
        Revoked = "revoked",
    }
}

impl AccreditationStatus {
    /// Whether the accreditation is in force: it counts for the gates (licences,
    /// referring centre), for an AEC's trainer requirement and for the register.
    pub fn in_force(self) -> bool {
        matches!(
            self,
            AccreditationStatus::Active | AccreditationStatus::RenewalDue
        )
    }

    /// Whether no action leaves this status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AccreditationStatus::Rejected | AccreditationStatus::Revoked
        )
    }
}

crate::stored_enum! {
    /// Why a `suspended` accreditation is suspended; decides what lifts it.
    pub enum SuspensionCause {
        /// An admin's decision; only an admin's `reinstate` lifts it.
        Admin = "admin",
        /// The AT's person fell below `professional`; lifted when it returns.
        ProfessionalStanding = "professional_standing",
        /// The AEC's non-compliance deadline passed without an active AT; lifted when
        /// an active AT is linked again.
        NoActiveTrainer = "no_active_trainer",
    }
}

crate::stored_enum! {
    /// Everything that may change an accreditation's status.
    pub enum Action {
        /// Admin: take an application into review.
        StartReview = "start_review",
        /// Admin: approve; the initial fee invoice is issued.
        Approve = "approve",
        /// Admin: refuse the application.
        Reject = "reject",
        /// Admin: suspend.
        Suspend = "suspend",
        /// Admin: lift a suspension.
        Reinstate = "reinstate",
        /// Admin: revoke (final).
        Revoke = "revoke",
        /// Payment: the initial or a maintenance fee invoice was paid in full.
        FeePaid = "fee_paid",
        /// Clock: expiry is within the renewal window.
        RenewalWindowOpened = "renewal_window_opened",
        /// Clock: expiry plus grace has passed.
        GraceEnded = "grace_ended",
        /// Cascade (AT): the person's level fell below `professional`.
        StandingLost = "standing_lost",
        /// Cascade (AT): the person's level is `professional` or higher again.
        StandingRestored = "standing_restored",
        /// Cascade (AEC): its last active AT went.
        LastTrainerGone = "last_trainer_gone",
        /// Cascade (AEC): an active AT is linked again.
        TrainerRestored = "trainer_restored",
        /// Clock (AEC): the non-compliance deadline passed.
        DeadlinePassed = "deadline_passed",
    }
}

impl Action {
    /// Actions an admin takes through the API (each with a reason).
    pub const ADMIN: [Action; 6] = [
        Action::StartReview,
        Action::Approve,
        Action::Reject,
        Action::Suspend,
        Action::Reinstate,
        Action::Revoke,
    ];

    /// Whether an admin takes this action (the others are rules).
    pub fn is_admin(self) -> bool {
        Self::ADMIN.contains(&self)
    }
}

/// An action the table does not allow from a status (for that kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("`{action}` is not allowed for a {kind} accreditation in status `{from}`")]
pub struct IllegalTransition {
    /// The kind.
    pub kind: AccreditationKind,
    /// The current status.
    pub from: AccreditationStatus,
    /// The refused action.
    pub action: Action,
}

/// The transition table: the status `action` leads to from `from`, for an
/// accreditation of `kind` (`non_compliant` and its actions exist for AECs only,
/// the standing actions for ATs only). A payment while suspended or non-compliant
/// extends the term but keeps the status (the suspension has its own way out).
///
/// Errors: [`IllegalTransition`] for every pair not listed.
pub fn transition(
    kind: AccreditationKind,
    from: AccreditationStatus,
    action: Action,
) -> Result<AccreditationStatus, IllegalTransition> {
    use AccreditationKind::{EducationCenter as Aec, Trainer as At};
    use AccreditationStatus::*;
    let to = match (kind, from, action) {
        (_, Applied, Action::StartReview) => Some(UnderReview),
        (_, Applied | UnderReview, Action::Approve) => Some(Approved),
        (_, Applied | UnderReview, Action::Reject) => Some(Rejected),
        (_, Approved | Active | RenewalDue | Lapsed, Action::FeePaid) => Some(Active),
        (_, Suspended, Action::FeePaid) => Some(Suspended),
        (Aec, NonCompliant, Action::FeePaid) => Some(NonCompliant),
        (_, Active, Action::RenewalWindowOpened) => Some(RenewalDue),
        (_, Active | RenewalDue, Action::GraceEnded) => Some(Lapsed),
        (Aec, NonCompliant, Action::GraceEnded) => Some(Lapsed),
        (_, Active | RenewalDue | Lapsed, Action::Suspend) => Some(Suspended),
        (Aec, NonCompliant, Action::Suspend) => Some(Suspended),
        (_, Suspended, Action::Reinstate) => Some(Active),
        (_, Approved | Active | RenewalDue | Lapsed | Suspended | NonCompliant, Action::Revoke) => {
            Some(Revoked)
        }
        (At, Active | RenewalDue, Action::StandingLost) => Some(Suspended),
        (At, Suspended, Action::StandingRestored) => Some(Active),
        (Aec, Active | RenewalDue, Action::LastTrainerGone) => Some(NonCompliant),
        (Aec, NonCompliant | Suspended, Action::TrainerRestored) => Some(Active),
        (Aec, NonCompliant, Action::DeadlinePassed) => Some(Suspended),
        _ => None,
    };
    // `NonCompliant` never appears for an AT: the only arms producing it are AEC arms.
    to.ok_or(IllegalTransition { kind, from, action })
}

/// The suspension cause a transition into `suspended` records, `None` otherwise.
pub fn suspension_cause(action: Action, to: AccreditationStatus) -> Option<SuspensionCause> {
    if to != AccreditationStatus::Suspended {
        return None;
    }
    Some(match action {
        Action::StandingLost => SuspensionCause::ProfessionalStanding,
        Action::DeadlinePassed => SuspensionCause::NoActiveTrainer,
        _ => SuspensionCause::Admin,
    })
}

/// Whether a rule (not an admin) may lift a suspension with `cause` by `action`:
/// lost standing only by [`Action::StandingRestored`], no active trainer only by
/// [`Action::TrainerRestored`]; an admin's suspension only by an admin.
pub fn rule_may_lift(cause: SuspensionCause, action: Action) -> bool {
    matches!(
        (cause, action),
        (
            SuspensionCause::ProfessionalStanding,
            Action::StandingRestored
        ) | (SuspensionCause::NoActiveTrainer, Action::TrainerRestored)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use AccreditationStatus::*;

    #[test]
    fn the_happy_path_of_both_kinds() {
        for kind in AccreditationKind::ALL {
            let mut s = Applied;
            for a in [
                Action::StartReview,
                Action::Approve,
                Action::FeePaid,
                Action::RenewalWindowOpened,
                Action::FeePaid,
            ] {
                s = transition(*kind, s, a).unwrap();
            }
            assert_eq!(s, Active);
        }
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for kind in AccreditationKind::ALL {
            for from in [Rejected, Revoked] {
                for a in Action::ALL {
                    assert!(transition(*kind, from, *a).is_err(), "{from} {a}");
                }
            }
        }
    }

    #[test]
    fn non_compliance_is_for_education_centres_only() {
        assert_eq!(
            transition(AccreditationKind::Trainer, Active, Action::LastTrainerGone),
            Err(IllegalTransition {
                kind: AccreditationKind::Trainer,
                from: Active,
                action: Action::LastTrainerGone
            })
        );
        let s = transition(
            AccreditationKind::EducationCenter,
            Active,
            Action::LastTrainerGone,
        )
        .unwrap();
        assert_eq!(s, NonCompliant);
        assert_eq!(
            transition(
                AccreditationKind::EducationCenter,
                s,
                Action::DeadlinePassed
            ),
            Ok(Suspended)
        );
    }

    #[test]
    fn suspension_causes_decide_what_lifts_them() {
        assert_eq!(
            suspension_cause(Action::StandingLost, Suspended),
            Some(SuspensionCause::ProfessionalStanding)
        );
        assert_eq!(suspension_cause(Action::FeePaid, Active), None);
        assert!(rule_may_lift(
            SuspensionCause::ProfessionalStanding,
            Action::StandingRestored
        ));
        assert!(!rule_may_lift(
            SuspensionCause::Admin,
            Action::StandingRestored
        ));
        assert!(!rule_may_lift(
            SuspensionCause::NoActiveTrainer,
            Action::StandingRestored
        ));
    }

    proptest! {
        /// Any sequence of actions: an AT never reaches `non_compliant`, nothing
        /// leaves a final status, and a refused action names the state it left alone.
        #[test]
        fn random_sequences_stay_inside_the_table(
            aec in any::<bool>(),
            actions in proptest::collection::vec(0..Action::ALL.len(), 0..60),
        ) {
            let kind = if aec { AccreditationKind::EducationCenter } else { AccreditationKind::Trainer };
            let mut s = Applied;
            for i in actions {
                let a = Action::ALL[i];
                match transition(kind, s, a) {
                    Ok(to) => {
                        prop_assert!(!s.is_final());
                        prop_assert!(kind == AccreditationKind::EducationCenter || to != NonCompliant);
                        s = to;
                    }
                    Err(e) => prop_assert_eq!(e.from, s),
                }
            }
        }
    }
}
