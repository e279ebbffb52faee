//! The cascade between a person's professional standing, their AT and the AECs that
//! employ it, with its audit trail; and a property test: random sequences of admin
//! actions, payments, renewals, certification changes and clock steps never leave
//! the transition table, and every change of status has exactly one audit event.

use accredit::domain::accreditation::lifecycle::{
    transition, AccreditationKind, AccreditationStatus, Action,
};
use chrono::Duration;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use super::{active_at, decide, events, get, grant, pay_fee, professional, set_date, spawn, sweep};
use crate::helpers::TestApp;

fn trail(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["to_status"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// An AEC applying with `trainer` as its AT, the link confirmed by the AT's token,
/// approved and paid. Returns (AEC id, AEC token).
async fn active_aec(app: &TestApp, trainer: &str, trainer_token: &str) -> (String, String) {
    let (pid, _) = app.create_provider("Centre GmbH", "education_center").await;
    let token = app.provider_token(&pid).await;
    let r = app
        .post("/v1/accreditations", &token, &json!({
            "kind": "education_center", "statement": "We teach Python.",
            "facility": {"address": "Rynek Główny 1, Kraków", "capacity": 24, "attestation": "We employ the AT named."},
            "trainer_accreditation_ids": [trainer]
        }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let link = r.body["trainer_links"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Not eligible before the AT confirms.
    let refused = decide(app, &id, "approve", 422).await;
    assert_eq!(
        refused["type"],
        "https://accredit.example/problems/not-eligible"
    );
    // Only the AT's own account confirms.
    let path = format!("/v1/accreditations/{id}/trainer-links/{link}/confirmation");
    assert_eq!(app.post(&path, &token, &json!(null)).await.status, 404);
    let c = app.post(&path, trainer_token, &json!(null)).await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert!(c.body["confirmed_at"].is_string());
    decide(app, &id, "approve", 200).await;
    assert_eq!(pay_fee(app, &id).await["status"], "active");
    (id, token)
}

#[tokio::test]
async fn losing_and_regaining_professional_standing_cascades_through_at_and_aec() {
    let app = spawn().await;
    let (_, at_token, at, cid, pcpp2) = active_at(&app).await;
    let (aec, _) = active_aec(&app, &at, &at_token).await;
    // PCPP2 revoked: the AT is suspended, the AEC non-compliant with a deadline.
    let r = app
        .post(
            &format!("/v1/certifications/{pcpp2}/revocation"),
            &app.admin_token,
            &json!({"reason": "exam fraud"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = get(&app, &at).await;
    assert_eq!(
        (a["status"].as_str(), a["suspension_cause"].as_str()),
        (Some("suspended"), Some("professional_standing"))
    );
    assert!(
        a["status_reason"]
            .as_str()
            .unwrap()
            .contains("level is none"),
        "{a}"
    );
    let c = get(&app, &aec).await;
    assert_eq!(c["status"], "non_compliant");
    assert_eq!(
        c["non_compliant_deadline"], "2027-04-10",
        "90 days after 2027-01-10"
    );
    // The deadline passes: suspended (idempotently).
    sweep(&app, "2027-04-09").await;
    assert_eq!(get(&app, &aec).await["status"], "non_compliant");
    assert_eq!(sweep(&app, "2027-04-10").await["suspended"], 1);
    assert_eq!(sweep(&app, "2027-04-10").await["suspended"], 0);
    let c = get(&app, &aec).await;
    assert_eq!(
        (c["status"].as_str(), c["suspension_cause"].as_str()),
        (Some("suspended"), Some("no_active_trainer"))
    );
    // PCPP2 awarded again: the AT is reinstated, and with it the AEC.
    set_date(&app, "2027-04-20");
    grant(&app, &cid, "PCPP2").await;
    assert_eq!(get(&app, &at).await["status"], "active");
    let c = get(&app, &aec).await;
    assert_eq!(c["status"], "active");
    assert!(c["non_compliant_deadline"].is_null() && c["suspension_cause"].is_null());
    assert_eq!(
        trail(&events(&app, &at).await)[3..],
        owned(&[
            ("standing_lost", "suspended", "rule:professional_standing"),
            ("standing_restored", "active", "rule:professional_standing"),
        ])[..]
    );
    let aec_trail = trail(&events(&app, &aec).await);
    assert_eq!(
        aec_trail[aec_trail.len() - 3..],
        owned(&[
            (
                "last_trainer_gone",
                "non_compliant",
                "rule:aec_trainer_requirement"
            ),
            ("deadline_passed", "suspended", "clock:sweep"),
            ("trainer_restored", "active", "rule:aec_trainer_requirement"),
        ])[..]
    );
    // An admin's suspension of the AT also makes the AEC non-compliant; reinstating
    // the AT brings it back.
    decide(&app, &at, "suspend", 200).await;
    assert_eq!(get(&app, &aec).await["status"], "non_compliant");
    decide(&app, &at, "reinstate", 200).await;
    assert_eq!(get(&app, &aec).await["status"], "active");
    app.assert_ledger_balanced().await;
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    Admin(Action),
    PayFee,
    Renew,
    RevokePcpp2,
    RegrantPcpp2,
    ClockDays(i64),
}

fn step() -> impl Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => proptest::sample::select(Action::ADMIN.to_vec()).prop_map(Step::Admin),
        2 => Just(Step::PayFee),
        1 => Just(Step::Renew),
        1 => Just(Step::RevokePcpp2),
        1 => Just(Step::RegrantPcpp2),
        3 => (1i64..200).prop_map(Step::ClockDays),
    ]
}

/// Checks the audit trail of `id` against the table: it starts with the creating
/// event, each event starts where the previous ended and is a transition the table
/// allows for that action, and the last one ends in the current status.
async fn check_trail(app: &TestApp, id: &str, kind: AccreditationKind, history: &[Step]) {
    let a = get(app, id).await;
    let status = AccreditationStatus::parse(a["status"].as_str().unwrap()).unwrap();
    assert!(
        kind == AccreditationKind::EducationCenter || status != AccreditationStatus::NonCompliant
    );
    let evs = events(app, id).await;
    assert!(evs[0]["from_status"].is_null(), "{history:?}");
    let mut at = AccreditationStatus::parse(evs[0]["to_status"].as_str().unwrap()).unwrap();
    for e in &evs[1..] {
        let from = AccreditationStatus::parse(e["from_status"].as_str().unwrap()).unwrap();
        let to = AccreditationStatus::parse(e["to_status"].as_str().unwrap()).unwrap();
        let action = Action::parse(e["action"].as_str().unwrap()).unwrap();
        assert_eq!(from, at, "event chain broken after {history:?}: {evs:?}");
        assert_eq!(transition(kind, from, action), Ok(to), "{history:?}");
        at = to;
    }
    assert_eq!(
        at, status,
        "status changed without an event after {history:?}"
    );
}

#[tokio::test]
async fn random_histories_stay_inside_the_table_with_one_event_per_change() {
    let app = spawn().await;
    let mut runner = TestRunner::new(Config {
        cases: 4,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(step(), 5..25);
    for _ in 0..4 {
        let steps = strategy.new_tree(&mut runner).unwrap().current();
        let (cid, mut pcpp2) = professional(&app).await;
        let (_, token, a) = super::apply_at(&app, &cid).await;
        let id = a["id"].as_str().unwrap().to_owned();
        let mut history = Vec::new();
        for s in steps {
            history.push(s.clone());
            match &s {
                Step::Admin(action) => {
                    let r = app
                        .post(
                            &format!("/v1/accreditations/{id}/decisions"),
                            &app.admin_token,
                            &json!({"action": action, "reason": "random"}),
                        )
                        .await;
                    assert!(
                        [200, 409, 422].contains(&r.status.as_u16()),
                        "{history:?}: {}",
                        r.body
                    );
                }
                Step::PayFee => {
                    if let Some(inv) = get(&app, &id).await["fee_invoice_id"].as_str() {
                        let today = app.ctx.clock.today().to_string();
                        assert_eq!(app.pay_by_bank(inv, &today).await.status, 201);
                    }
                }
                Step::Renew => {
                    let r = app
                        .post(
                            &format!("/v1/accreditations/{id}/renewals"),
                            &token,
                            &json!(null),
                        )
                        .await;
                    assert!(
                        [201, 409].contains(&r.status.as_u16()),
                        "{history:?}: {}",
                        r.body
                    );
                }
                Step::RevokePcpp2 => {
                    app.post(
                        &format!("/v1/certifications/{pcpp2}/revocation"),
                        &app.admin_token,
                        &json!({"reason": "random"}),
                    )
                    .await;
                }
                Step::RegrantPcpp2 => {
                    let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": "PCPP2", "basis": "bootstrap_review", "case": "random"})).await;
                    if r.status == 201 {
                        pcpp2 = r.body["id"].as_str().unwrap().to_owned();
                    }
                }
                Step::ClockDays(d) => {
                    app.clock.as_ref().unwrap().advance(Duration::days(*d));
                    let today = app.ctx.clock.today().to_string();
                    sweep(&app, &today).await;
                }
            }
            check_trail(&app, &id, AccreditationKind::Trainer, &history).await;
        }
    }
}

#[tokio::test]
async fn the_sweep_suspends_an_at_whose_certification_expired() {
    use diesel::RunQueryDsl;
    let app = spawn().await;
    // PCPP2 valid for 6 months in this catalogue.
    app.ctx
        .db(|c| {
            diesel::sql_query("UPDATE credentials SET validity_months = 6 WHERE code = 'PCPP2'")
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, _, at, _, _) = active_at(&app).await;
    sweep(&app, "2027-07-09").await;
    assert_eq!(get(&app, &at).await["status"], "active");
    sweep(&app, "2027-07-10").await;
    let a = get(&app, &at).await;
    assert_eq!(
        (a["status"].as_str(), a["suspension_cause"].as_str()),
        (Some("suspended"), Some("professional_standing"))
    );
    let n = events(&app, &at).await.len();
    sweep(&app, "2027-07-10").await;
    let evs = events(&app, &at).await;
    assert_eq!(evs.len(), n, "idempotent");
    assert_eq!(evs[n - 1]["actor"], "rule:professional_standing");
}

/// Verified community credits count towards `professional`: an AT suspended for
/// professional standing because the person's credits fell short is reinstated the
/// moment a reviewed contribution brings them back, without waiting for a sweep.
#[tokio::test]
async fn a_verified_contribution_that_restores_the_level_reinstates_the_at_at_once() {
    use diesel::RunQueryDsl;
    let app = spawn().await;
    let (_, _, at, cid, _) = active_at(&app).await;
    // A correction lowers the person's verified credits below the minimum of 10.
    let c = cid.clone();
    app.ctx
        .db(move |conn| {
            diesel::sql_query(format!(
                "UPDATE contributions SET credits = 4 WHERE candidate_id = '{c}'"
            ))
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    sweep(&app, "2026-03-01").await;
    let a = get(&app, &at).await;
    assert_eq!(
        (a["status"].as_str(), a["suspension_cause"].as_str()),
        (Some("suspended"), Some("professional_standing"))
    );

    // A new contribution verified with 6 credits: 4 + 6 = 10, professional again.
    let cand: accredit::domain::ids::CandidateId = cid.parse().unwrap();
    let now = app.ctx.clock.now();
    let submitted = app
        .ctx
        .db(move |conn| {
            accredit::services::parties::candidates::submit_contribution(
                conn,
                cand,
                &accredit::services::parties::candidates::NewContribution {
                    description: "Maintains a CPython translation".into(),
                },
                now,
            )
        })
        .await
        .unwrap();
    let reviewed = app
        .post(
            &format!("/v1/contributions/{}/review", submitted.id),
            &app.admin_token,
            &json!({"verified": true, "credits": 6}),
        )
        .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    let a = get(&app, &at).await;
    assert_eq!(a["status"], "active", "{a}");
    let evs = events(&app, &at).await;
    let last = evs.last().unwrap();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (
            Some("standing_restored"),
            Some("rule:professional_standing")
        )
    );
}
