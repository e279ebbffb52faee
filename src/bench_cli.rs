//! `accredit bench …` (hidden): in-process workloads that `scripts/bench.sh`
//! cannot drive through HTTP.
//!
//! `bench render-invoices --count N [--json]` renders the same one-page,
//! 20-line invoice N times on one thread the way issuing an invoice does
//! (render, SHA-256 of the bytes), and archives each PDF by writing it to a
//! file in a temporary directory (the same file each time, so the disk does
//! not fill). It prints pages per second of process CPU time (per core) and
//! of wall time. Not a test and not part of the service.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use sha2::{Digest, Sha256};

use accredit::integrations::pdf::{render_invoice, DocumentLine, DocumentParty, InvoiceDocument};

/// Hidden benchmark workloads.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Render N one-page, 20-line invoices on one thread; print the rate.
    RenderInvoices {
        /// Number of invoices to render (after 3 warm-up renders).
        #[arg(long, default_value_t = 200)]
        count: u32,
        /// Print one JSON object instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a bench subcommand.
///
/// Errors: rendering or writing the archive file failed.
pub fn run(cmd: &BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::RenderInvoices { count, json } = cmd;
    let doc = document(20);
    let dir = std::env::temp_dir().join(format!("accredit-bench-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the archive directory")?;
    let archive = dir.join("invoice.pdf");
    let render_once = || -> anyhow::Result<usize> {
        let pdf = render_invoice(&doc).context("rendering the invoice")?;
        std::hint::black_box(Sha256::digest(&pdf));
        let mut f = std::fs::File::create(&archive).context("creating the archive file")?;
        f.write_all(&pdf).context("archiving the PDF")?;
        Ok(pdf.len())
    };
    for _ in 0..3 {
        render_once()?;
    }
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let mut bytes = 0usize;
    for _ in 0..*count {
        bytes = render_once()?;
    }
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    std::fs::remove_dir_all(&dir).ok();
    let n = f64::from(*count);
    let per_cpu = if cpu > 0.0 { n / cpu } else { n / wall };
    if *json {
        println!(
            "{}",
            serde_json::json!({
                "count": count, "pdf_bytes": bytes, "cpu_seconds": cpu, "wall_seconds": wall,
                "per_cpu_second": per_cpu, "per_wall_second": n / wall,
                "ms_per_page_cpu": 1000.0 / per_cpu,
            })
        );
    } else {
        println!(
            "{count} invoices: {per_cpu:.1}/s per core (CPU), {:.1}/s wall, {bytes} bytes each",
            n / wall
        );
    }
    Ok(())
}

/// User + system CPU time of this process in seconds, from `/proc/self/stat`
/// (clock ticks, assumed 100 Hz as on every Linux build we run on); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn party(name: &str) -> DocumentParty {
    DocumentParty {
        name: name.to_owned(),
        address_lines: vec!["Unter den Linden 5".to_owned(), "10117 Berlin".to_owned()],
        country: "Germany".to_owned(),
        tax_id: Some("DE123456789".to_owned()),
        email: Some("billing@example.org".to_owned()),
    }
}

fn document(lines: usize) -> InvoiceDocument {
    InvoiceDocument {
        title: "Invoice".to_owned(),
        number: "ACC-2026-000001".to_owned(),
        issued_on: "2026-11-21".to_owned(),
        due_on: "2026-12-21".to_owned(),
        seller: party("Python Certification Foundation"),
        buyer: party("Example Training GmbH"),
        lines: (0..lines)
            .map(|i| DocumentLine {
                description: format!("Base Text and Syllabus course licence, seat {i}"),
                quantity: "1".to_owned(),
                unit_price: "US$250.00".to_owned(),
                tax: "US$0.00".to_owned(),
                total: "US$250.00".to_owned(),
            })
            .collect(),
        subtotal: "US$5,000.00".to_owned(),
        tax_total: "US$0.00".to_owned(),
        total: "US$5,000.00".to_owned(),
        currency: "USD".to_owned(),
        payment_instructions: vec!["IBAN IE29 AIBK 9311 5212 3456 78".to_owned()],
        notes: vec!["No tax has been charged on this invoice.".to_owned()],
    }
}
