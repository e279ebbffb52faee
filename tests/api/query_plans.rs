//! Every query of a write path (purchase, payment, fulfilment, outbox) and of a hot
//! read is answered through an index: a full scan of a table that grows with sales
//! makes sales slower as data grows (issue 7). SQLite: `EXPLAIN QUERY PLAN` must
//! not `SCAN` a growing table (a `SCAN … USING INDEX` reads the whole index too).
//! PostgreSQL: with `enable_seqscan = off` the planner still chooses a `Seq Scan`
//! only when no index can answer, so the test needs no data; an index scan with
//! no `Index Cond` (a walk over the whole primary key, filtering) counts as a scan.

use accredit::db::schema::invoice_documents;
use accredit::db::DbConn;
use diesel::sql_types::Text;
use diesel::{QueryDsl, QueryableByName, RunQueryDsl};
use sha2::Digest;

use crate::helpers::TestApp;
use crate::licences::LICENCE;

/// Tables that stay small (catalogue, configuration): a scan there is fine.
const SMALL: &[&str] = &[
    "products",
    "invoice_counters",
    "credentials",
    "testing_vendors",
    "split_policies",
];

/// The queries, with the function that runs them. Literal values stand in for binds.
const QUERIES: &[(&str, &str)] = &[
    ("licences::view", "SELECT * FROM licence_terms WHERE licence_id = 'l' ORDER BY id"),
    ("licences::renew (open term)", "SELECT * FROM licence_terms WHERE licence_id = 'l' AND state = 'awaiting_payment'"),
    ("fulfilment (term of an invoice)", "SELECT * FROM licence_terms WHERE invoice_id = 'i'"),
    ("licences::find_row", "SELECT * FROM licences WHERE id = 'l'"),
    ("licences::list", "SELECT * FROM licences WHERE provider_id = 'p' AND id > 'a' ORDER BY id LIMIT 51"),
    ("providers::find_row", "SELECT * FROM providers WHERE id = 'p'"),
    ("catalogue::find (price in force)", "SELECT * FROM product_prices WHERE product_code = 'x' AND effective_from <= '2026-11-23 00:00:00' ORDER BY version DESC LIMIT 1"),
    ("idempotency::claim", "SELECT * FROM idempotency_keys WHERE caller = 'c' AND idempotency_key = 'k'"),
    ("invoicing::next_sequence", "SELECT last_sequence FROM invoice_counters WHERE series = 'ACC' AND year = 2026"),
    ("invoicing::find_header", "SELECT id, number FROM invoices WHERE id = 'i'"),
    ("invoicing::get (lines)", "SELECT * FROM invoice_lines WHERE invoice_id = 'i' ORDER BY position"),
    ("invoicing::list (provider)", "SELECT id FROM invoices WHERE provider_id = 'p' AND id > 'a' ORDER BY id LIMIT 51"),
    ("fulfilment (invoice of a subject)", "SELECT id FROM invoices WHERE subject_kind = 'licence_term' AND subject_id = 's'"),
    ("payments::list (of an invoice)", "SELECT * FROM payments WHERE invoice_id = 'i' ORDER BY created_at, id"),
    ("stripe_payments (intent of an invoice)", "SELECT * FROM payment_intents WHERE invoice_id = 'i'"),
    ("stripe webhook (payment of an intent)", "SELECT * FROM payments WHERE stripe_payment_intent_id = 'pi'"),
    ("stripe webhook (event seen)", "SELECT * FROM stripe_events WHERE id = 'evt'"),
    ("ledger::postings_for_source", "SELECT p.* FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id WHERE t.source_type = 'invoice' AND t.source_id = 'i' ORDER BY t.id, p.position"),
    ("orders (order of an invoice)", "SELECT * FROM exam_orders WHERE invoice_id = 'i'"),
    ("payouts (payables of a payout)", "SELECT * FROM payables WHERE payout_id = 'po'"),
    ("outbox worker claim", "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= '2026-11-23 00:00:00' AND (locked_until IS NULL OR locked_until < '2026-11-23 00:00:00') ORDER BY next_attempt_at LIMIT 20"),
    ("outbox worker finish", "SELECT * FROM outbox WHERE id = 'o'"),
    ("invoice_documents::archived", "SELECT pdf FROM invoice_documents WHERE invoice_id = 'i'"),
];

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    json: String,
}

/// The full scans in a PostgreSQL JSON plan node and its children.
fn pg_scans(node: &serde_json::Value, out: &mut Vec<String>) {
    let kind = node["Node Type"].as_str().unwrap_or("");
    let table = node["Relation Name"].as_str().unwrap_or("");
    let full = match kind {
        "Seq Scan" => true,
        "Index Scan" | "Index Only Scan" => node.get("Index Cond").is_none(),
        _ => false,
    };
    if full {
        out.push(format!(
            "{kind} on {table} {}",
            node["Index Name"].as_str().unwrap_or("")
        ));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        pg_scans(child, out);
    }
}

/// The full scans in the plan of `sql`, as `(table, plan line)`.
fn full_scans(conn: &mut DbConn, sql: &str) -> Vec<String> {
    let lines: Vec<String> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlan>(c)
            .expect("explain")
            .into_iter()
            .map(|p| p.detail)
            .collect(),
        DbConn::Pg(c) => {
            diesel::sql_query("SET enable_seqscan = off")
                .execute(c)
                .expect("set");
            let plan = diesel::sql_query(format!("EXPLAIN (FORMAT JSON) {sql}"))
                .get_result::<PgPlan>(c)
                .expect("explain");
            let plan: serde_json::Value = serde_json::from_str(&plan.json).expect("json plan");
            let mut scans = Vec::new();
            pg_scans(&plan[0]["Plan"], &mut scans);
            scans
        }
    };
    lines
        .into_iter()
        .filter(|l| {
            let table = if let Some(rest) = l.trim_start().strip_prefix("SCAN ") {
                rest.split_whitespace().next()
            } else if let Some((_, rest)) = l.split_once(" on ") {
                rest.split_whitespace().next()
            } else {
                None
            };
            table.is_some_and(|t| !SMALL.contains(&t))
        })
        .collect()
}

#[tokio::test]
async fn write_path_queries_use_an_index() {
    let app = TestApp::spawn().await;
    let mut conn = app.ctx.pool.get().expect("connection");
    // The detector itself: a filter on an unindexed column of a growing table is caught.
    let probe = "SELECT id FROM invoices WHERE payment_instructions = 'x' ORDER BY id";
    assert!(
        !full_scans(&mut conn, probe).is_empty(),
        "the plan check must flag a full scan ({probe})"
    );
    let failures: Vec<String> = QUERIES
        .iter()
        .filter_map(|(what, sql)| {
            let scans = full_scans(&mut conn, sql);
            (!scans.is_empty()).then(|| format!("{what}: {sql}\n    {}", scans.join("\n    ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "full scans on the write path:\n{}",
        failures.join("\n")
    );
}

/// The sale does not render the invoice PDF (issue 7: rendering held the writer
/// lock or the counter row): the purchase commits without an archived PDF, a read
/// right after it renders and archives it (concurrent first reads all get the one
/// archived copy), the invoice's `pdf_sha256` is that copy's hash, and the
/// "invoice issued" email that the outbox sends afterwards attaches the same bytes.
#[tokio::test]
async fn invoice_pdf_is_rendered_after_the_sale_commits() {
    let app = TestApp::spawn().await;
    let (_, email, token) = app.provider("Zoë Łukasiewicz Training GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice_id = order["invoice_id"].as_str().unwrap().to_owned();
    let archived = |app: &TestApp| -> i64 {
        let mut conn = app.ctx.pool.get().expect("connection");
        invoice_documents::table
            .count()
            .get_result(&mut *conn)
            .expect("count")
    };
    assert_eq!(archived(&app), 0, "the sale committed without rendering");

    let path = format!("/v1/invoices/{invoice_id}/pdf");
    let reads = futures_util::future::join_all((0..4).map(|_| app.get(&path, &token))).await;
    for r in &reads {
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.bytes.starts_with(b"%PDF-"));
        assert_eq!(
            r.bytes, reads[0].bytes,
            "one archived copy for every reader"
        );
    }
    assert_eq!(archived(&app), 1);
    let invoice = app.get(&format!("/v1/invoices/{invoice_id}"), &token).await;
    assert_eq!(
        invoice.body["pdf_sha256"],
        hex::encode(sha2::Sha256::digest(&reads[0].bytes))
    );

    assert_eq!(app.run_jobs().await, 1, "one job: archive, then the email");
    let mails = app.emails_to(&email);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].attachments[0].2, reads[0].bytes);
    assert_eq!(archived(&app), 1);
}
