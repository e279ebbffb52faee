//! Certifications earned by composite rule and bootstrap review: CEPP awarded
//! exactly once in every order, levels needing verified credits, and CJK names on
//! certificates.

use serde_json::json;

use crate::exams::{buy_voucher, candidate, sit, vendor};
use crate::helpers::{run_tool, TestApp};

#[tokio::test]
async fn cepp_is_awarded_exactly_once_when_the_third_component_passes() {
    let app = TestApp::spawn().await;
    let (cid, _, token) = candidate(&app, "Αλέξανδρος", "Παπαδόπουλος").await;
    let (vid, vtoken) = vendor(&app, "V").await;
    for exam in ["PCEP", "PCAP", "PCPP1", "PCPP2"] {
        let (_, voucher) = buy_voucher(&app, &token, exam, &vid, None).await;
        sit(&app, &vtoken, &voucher, true).await;
    }
    let certs = app
        .get(
            &format!("/v1/certifications?candidate_id={cid}"),
            &app.admin_token,
        )
        .await;
    let codes: Vec<&str> = certs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "CEPP").count(),
        1,
        "{codes:?}"
    );
    assert_eq!(codes.len(), 5);
    // Bootstrapping an already-held credential is refused.
    let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": "CEPP", "basis": "bootstrap_review", "case": "x"})).await;
    assert_eq!(r.status, 409);
    // Revoking a component flags the composite.
    let pcap = certs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["credential_code"] == "PCAP")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/v1/certifications/{pcap}/revocation"),
        &app.admin_token,
        &json!({"reason": "r"}),
    )
    .await;
    let certs = app.get("/v1/certifications", &token).await;
    let cepp = certs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["credential_code"] == "CEPP")
        .unwrap()
        .clone();
    assert_eq!(cepp["component_revoked"], true);
}

#[tokio::test]
async fn bootstrap_review_counts_toward_composites_and_levels_need_credits() {
    let app = TestApp::spawn().await;
    let (cid, _, token) = candidate(&app, "Пётр", "Чайковский").await;
    for code in ["PCAP", "PCPP1"] {
        let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": code, "basis": "bootstrap_review", "case": "Core developer since 2001"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["basis"], "bootstrap_review");
    }
    let me = app.get(&format!("/v1/candidates/{cid}"), &token).await;
    assert_eq!(me.body["level"], "certified");
    let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": "PCPP2", "basis": "bootstrap_review", "case": "Author of the Base Text"})).await;
    assert_eq!(r.status, 201);
    let me = app.get(&format!("/v1/candidates/{cid}"), &token).await;
    assert_eq!(
        me.body["level"], "certified",
        "professional needs verified credits too"
    );
    let c = app
        .post(
            &format!("/v1/candidates/{cid}/contributions"),
            &token,
            &json!({"description": "Maintains a PyPI package"}),
        )
        .await;
    assert_eq!(c.status, 201);
    let rv = app
        .post(
            &format!(
                "/v1/contributions/{}/review",
                c.body["id"].as_str().unwrap()
            ),
            &app.admin_token,
            &json!({"verified": true, "credits": 40}),
        )
        .await;
    assert_eq!(rv.status, 200, "{}", rv.body);
    let me = app.get(&format!("/v1/candidates/{cid}"), &token).await;
    assert_eq!(me.body["level"], "expert");
    let certs = app.get("/v1/certifications", &token).await;
    assert!(certs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["credential_code"] == "CEPP"));
}

#[tokio::test]
async fn cepp_is_awarded_once_in_every_order_and_cjk_names_print() {
    let app = TestApp::spawn().await;
    let orders = [
        ["PCAP", "PCPP1", "PCPP2"],
        ["PCAP", "PCPP2", "PCPP1"],
        ["PCPP1", "PCAP", "PCPP2"],
        ["PCPP1", "PCPP2", "PCAP"],
        ["PCPP2", "PCAP", "PCPP1"],
        ["PCPP2", "PCPP1", "PCAP"],
    ];
    for order in orders {
        let (cid, _, token) = candidate(&app, "山田", "太郎").await;
        for code in order {
            let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": code, "basis": "bootstrap_review", "case": "reviewed"})).await;
            assert_eq!(r.status, 201, "{order:?}: {}", r.body);
        }
        let certs = app.get("/v1/certifications", &token).await;
        let data = certs.body["data"].as_array().unwrap();
        assert_eq!(
            data.iter()
                .filter(|c| c["credential_code"] == "CEPP")
                .count(),
            1,
            "{order:?}"
        );
        assert_eq!(data.len(), 4, "{order:?}");
        let cepp = data
            .iter()
            .find(|c| c["credential_code"] == "CEPP")
            .unwrap();
        assert_eq!(cepp["basis"], "composite");
        let pdf = app
            .get(
                &format!(
                    "/v1/certifications/{}/certificate",
                    cepp["id"].as_str().unwrap()
                ),
                &token,
            )
            .await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.pdf");
        std::fs::write(&path, &pdf.bytes).unwrap();
        let (ok, text) = run_tool("pdftotext", &[path.to_str().unwrap(), "-"]);
        assert!(
            ok && text.contains("山田 太郎") && text.contains("CEPP"),
            "{text}"
        );
    }
}
