//! Reminder policies and the rule deciding which step of a policy is due
//! (docs/domain.md, "Reminders and the scheduler"; issue 11, "Policies").
//!
//! A policy belongs to a [`SubjectKind`] and lists [`Step`]s: day offsets from the
//! subject's *anchor date* (a licence's `expires_on`, an invoice's `due_on`, …;
//! negative = before it), each with an email template and an `enabled` flag. A
//! step's due date is `anchor + offset_days`. Renewing a subject moves its anchor,
//! so the steps of the old anchor that were not reached yet are never due.
//!
//! **Catch-up rule** ([`plan`]): when several steps are due and not yet decided
//! (the scheduler was down), only the latest one is sent; the earlier ones are
//! recorded as skipped ([`Decision::SkippedCatchUp`]), never a burst of stale
//! reminders. The latest one itself is skipped as [`Decision::SkippedStale`] when
//! its due date is more than `catch_up_days` before the sweep date.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

crate::stored_enum! {
    /// What a reminder is about; one policy per kind.
    pub enum SubjectKind {
        /// A course-content or site licence; anchor `expires_on`.
        Licence = "licence",
        /// An AT or AEC accreditation in force; anchor `expires_on`.
        Accreditation = "accreditation",
        /// A `non_compliant` AEC; anchor its non-compliance deadline.
        AecNonCompliance = "aec_non_compliance",
        /// Accredited training material; anchor `approved_until`.
        TrainingMaterial = "training_material",
        /// A valid certification that expires; anchor `expires_on`.
        Certification = "certification",
        /// An unused exam voucher; anchor `expires_on`.
        Voucher = "voucher",
        /// An open invoice (dunning); anchor `due_on`.
        Invoice = "invoice",
    }
}

crate::stored_enum! {
    /// What the final enabled step of a policy also does, once.
    pub enum FinalAction {
        /// Nothing besides the email.
        None = "none",
        /// Mark the invoice uncollectible (dunning only).
        MarkUncollectible = "mark_uncollectible",
        /// Suspend the invoiced provider's accreditation (dunning only).
        SuspendAccreditation = "suspend_accreditation",
    }
}

crate::stored_enum! {
    /// How a step was decided.
    pub enum Decision {
        /// The email is sent.
        Send = "send",
        /// Overtaken by a later due step (catch-up rule).
        SkippedCatchUp = "skipped_catch_up",
        /// Due longer ago than the catch-up window.
        SkippedStale = "skipped_stale",
    }
}

/// Largest offset magnitude accepted, in days (ten years).
pub const MAX_OFFSET_DAYS: i32 = 3650;

/// Most steps one policy may have.
pub const MAX_STEPS: usize = 50;

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Days from the anchor date; negative = before it. Unique within a policy,
    /// and the step's identity (a reminder row is keyed by it).
    #[schema(minimum = -3650, maximum = 3650)]
    #[serde(deserialize_with = "crate::domain::integral::i32")]
    pub offset_days: i32,
    /// Email template directory name under `email-templates/`.
    pub template: String,
    /// Whether the step is sent; a disabled step is ignored.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

/// A reminder policy: steps sorted by offset and the final action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The subject kind.
    pub kind: SubjectKind,
    /// Steps, sorted by `offset_days`, offsets unique.
    pub steps: Vec<Step>,
    /// What the final enabled step does.
    pub final_action: FinalAction,
}

/// Why a policy was refused: `(field, detail)` pairs.
pub type PolicyErrors = Vec<(String, String)>;

impl Policy {
    /// Validates and normalises (sorts) a policy. `template_exists` tells whether a
    /// template name names an email template. Refused: no step or more than
    /// [`MAX_STEPS`], an offset outside ±[`MAX_OFFSET_DAYS`], a duplicate offset, an
    /// unknown template, a final action other than `none` on a kind other than
    /// [`SubjectKind::Invoice`].
    pub fn parse(
        kind: SubjectKind,
        mut steps: Vec<Step>,
        final_action: FinalAction,
        template_exists: impl Fn(&str) -> bool,
    ) -> Result<Policy, PolicyErrors> {
        let mut errors = PolicyErrors::new();
        if steps.is_empty() || steps.len() > MAX_STEPS {
            errors.push((
                "steps".into(),
                format!("between 1 and {MAX_STEPS} steps are required"),
            ));
        }
        for (i, s) in steps.iter().enumerate() {
            if s.offset_days.abs() > MAX_OFFSET_DAYS {
                errors.push((
                    format!("steps[{i}].offset_days"),
                    format!("must be within ±{MAX_OFFSET_DAYS} days"),
                ));
            }
            if steps[..i].iter().any(|o| o.offset_days == s.offset_days) {
                errors.push((
                    format!("steps[{i}].offset_days"),
                    format!("offset {} appears more than once", s.offset_days),
                ));
            }
            if !template_exists(&s.template) {
                errors.push((
                    format!("steps[{i}].template"),
                    format!("no reminder email template named `{}`", s.template),
                ));
            }
        }
        if final_action != FinalAction::None && kind != SubjectKind::Invoice {
            errors.push((
                "final_action".into(),
                "only the invoice (dunning) policy has a final action".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        steps.sort_by_key(|s| s.offset_days);
        Ok(Policy {
            kind,
            steps,
            final_action,
        })
    }

    /// The offset of the last enabled step (the one carrying the final action).
    pub fn final_offset(&self) -> Option<i32> {
        self.steps
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.offset_days)
            .max()
    }

    /// The range of anchor dates for which a step may still need deciding on
    /// `as_of`: `[as_of − last offset − catch_up_days, as_of − first offset]`
    /// (inclusive). `None` when no step is enabled.
    pub fn anchor_window(
        &self,
        as_of: NaiveDate,
        catch_up_days: u32,
    ) -> Option<(NaiveDate, NaiveDate)> {
        let enabled = self.steps.iter().filter(|s| s.enabled);
        let first = enabled.clone().map(|s| s.offset_days).min()?;
        let last = enabled.map(|s| s.offset_days).max()?;
        Some((
            as_of - Duration::days(i64::from(last) + i64::from(catch_up_days)),
            as_of - Duration::days(i64::from(first)),
        ))
    }
}

/// A step decided for one subject on one sweep date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The step's offset (its identity).
    pub offset_days: i32,
    /// `anchor + offset_days`.
    pub due_on: NaiveDate,
    /// The step's template.
    pub template: String,
    /// Send or skip.
    pub decision: Decision,
    /// Whether this is the policy's final enabled step (it carries the final
    /// action).
    pub is_final: bool,
}

/// The steps of `policy` to decide now for a subject anchored on `anchor`, swept
/// on `as_of`; `decided` are the offsets already recorded for this anchor. A step
/// is due when enabled and `anchor + offset ≤ as_of`. Of the due, undecided steps
/// only the latest is sent (when it is also the latest due step overall and not
/// more than `catch_up_days` old); all the others are skipped — see the module doc.
/// Returns nothing when no undecided step is due.
pub fn plan(
    policy: &Policy,
    anchor: NaiveDate,
    as_of: NaiveDate,
    decided: &[i32],
    catch_up_days: u32,
) -> Vec<Planned> {
    let final_offset = policy.final_offset();
    let due: Vec<&Step> = policy
        .steps
        .iter()
        .filter(|s| s.enabled && anchor + Duration::days(i64::from(s.offset_days)) <= as_of)
        .collect();
    let Some(latest) = due.iter().map(|s| s.offset_days).max() else {
        return vec![];
    };
    due.into_iter()
        .filter(|s| !decided.contains(&s.offset_days))
        .map(|s| {
            let due_on = anchor + Duration::days(i64::from(s.offset_days));
            let decision = if s.offset_days != latest {
                Decision::SkippedCatchUp
            } else if (as_of - due_on).num_days() > i64::from(catch_up_days) {
                Decision::SkippedStale
            } else {
                Decision::Send
            };
            Planned {
                offset_days: s.offset_days,
                due_on,
                template: s.template.clone(),
                decision,
                is_final: Some(s.offset_days) == final_offset,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn licence_policy() -> Policy {
        let steps = [-60, -30, -7, 0, 7]
            .into_iter()
            .map(|o| Step {
                offset_days: o,
                template: "t".into(),
                enabled: true,
            })
            .collect();
        Policy::parse(SubjectKind::Licence, steps, FinalAction::None, |_| true).unwrap()
    }

    fn sent(p: &[Planned]) -> Vec<i32> {
        p.iter()
            .filter(|x| x.decision == Decision::Send)
            .map(|x| x.offset_days)
            .collect()
    }

    #[test]
    fn each_step_is_due_on_its_day_and_not_before() {
        let p = licence_policy();
        let exp = d("2027-03-01");
        assert!(plan(&p, exp, d("2026-12-30"), &[], 14).is_empty());
        let on = plan(&p, exp, d("2026-12-31"), &[], 14);
        assert_eq!(sent(&on), vec![-60]);
        assert_eq!(on[0].due_on, d("2026-12-31"));
        // Decided already: nothing more until the next step.
        assert!(plan(&p, exp, d("2027-01-05"), &[-60], 14).is_empty());
        assert_eq!(sent(&plan(&p, exp, d("2027-01-30"), &[-60], 14)), vec![-30]);
    }

    #[test]
    fn catch_up_sends_only_the_latest_and_skips_the_rest() {
        let p = licence_policy();
        let out = plan(&p, d("2027-03-01"), d("2027-02-25"), &[], 14);
        assert_eq!(sent(&out), vec![-7]);
        let skipped: Vec<_> = out
            .iter()
            .filter(|x| x.decision == Decision::SkippedCatchUp)
            .map(|x| x.offset_days)
            .collect();
        assert_eq!(skipped, vec![-60, -30]);
    }

    #[test]
    fn a_step_older_than_the_catch_up_window_is_skipped_as_stale() {
        let p = licence_policy();
        let out = plan(&p, d("2027-03-01"), d("2027-03-30"), &[-60, -30, -7, 0], 14);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].offset_days, 7);
        assert_eq!(out[0].decision, Decision::SkippedStale);
    }

    #[test]
    fn an_undecided_step_behind_a_decided_later_one_is_skipped() {
        let p = licence_policy();
        let out = plan(&p, d("2027-03-01"), d("2027-02-23"), &[-7], 14);
        assert!(out.iter().all(|x| x.decision == Decision::SkippedCatchUp));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn disabled_steps_are_ignored_and_final_is_the_last_enabled() {
        let steps = vec![
            Step {
                offset_days: 7,
                template: "t".into(),
                enabled: true,
            },
            Step {
                offset_days: 30,
                template: "t".into(),
                enabled: false,
            },
            Step {
                offset_days: 14,
                template: "t".into(),
                enabled: true,
            },
        ];
        let p = Policy::parse(
            SubjectKind::Invoice,
            steps,
            FinalAction::SuspendAccreditation,
            |_| true,
        )
        .unwrap();
        assert_eq!(p.final_offset(), Some(14));
        let out = plan(&p, d("2027-01-01"), d("2027-02-15"), &[7, 14], 60);
        assert!(out.is_empty());
        let out = plan(&p, d("2027-01-01"), d("2027-01-15"), &[7], 60);
        assert_eq!(sent(&out), vec![14]);
        assert!(out[0].is_final);
    }

    #[test]
    fn validation_refuses_duplicates_unknown_templates_and_misplaced_actions() {
        let step = |o, t: &str| Step {
            offset_days: o,
            template: t.into(),
            enabled: true,
        };
        let errs = Policy::parse(
            SubjectKind::Licence,
            vec![
                step(-7, "a"),
                step(-7, "a"),
                step(0, "nope"),
                step(99999, "a"),
            ],
            FinalAction::MarkUncollectible,
            |t| t == "a",
        )
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "steps[1].offset_days",
                "steps[2].template",
                "steps[3].offset_days",
                "final_action"
            ]
        );
        assert!(Policy::parse(SubjectKind::Voucher, vec![], FinalAction::None, |_| true).is_err());
    }

    #[test]
    fn the_anchor_window_covers_first_step_to_last_step_plus_catch_up() {
        let p = licence_policy();
        let (lo, hi) = p.anchor_window(d("2027-01-01"), 14).unwrap();
        assert_eq!(lo, d("2026-12-11"));
        assert_eq!(hi, d("2027-03-02"));
    }
}
