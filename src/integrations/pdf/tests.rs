//! Tests of the PDF layouts: the invoice layout, and checks of both layouts
//! with the tools a reader's software resembles — `pdftotext` (poppler) for
//! the text and `qpdf --check` for the file structure. Helpers here are
//! shared with `certificate`'s tests.

use std::process::Command;

use printpdf::PdfDocument;

use super::certificate::{render_certificate, CertificateDocument};
use super::invoice::*;

/// Page objects in the file: `/Type/Page` minus the `/Type/Pages` tree
/// node (lopdf writes dictionaries without spaces).
pub(super) fn page_count(pdf: &[u8]) -> usize {
    let count = |needle: &[u8]| pdf.windows(needle.len()).filter(|w| *w == needle).count();
    count(b"/Type/Page") - count(b"/Type/Pages")
}

/// Whether the raw file bytes contain `needle` (font names, markers).
pub(super) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The text of every page, as printpdf's own parser extracts it.
pub(super) fn extracted_text(pdf: &[u8]) -> String {
    let parsed =
        PdfDocument::parse(pdf, &Default::default(), &mut Vec::new()).expect("parses back");
    parsed.extract_text().concat().join("\n")
}

/// `pdf` written to a file in a fresh temporary directory (removed when
/// the returned guard drops), and the file's path.
fn temp_pdf(pdf: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("writes the PDF");
    let path = path.to_str().expect("UTF-8 temp path").to_owned();
    (dir, path)
}

/// Runs `cmd` with `args`; returns whether it succeeded, and its stdout
/// and stderr. `scripts/test.sh` installs the tools (Debian
/// `poppler-utils`, `qpdf`).
fn run_tool(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is not installed ({e}); scripts/test.sh installs it"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// What `pdftotext` extracts from `pdf`, after `qpdf --check` has passed
/// on it and `pdffonts` has shown every font embedded as a subset.
fn checked_text(pdf: &[u8]) -> String {
    let (_dir, path) = temp_pdf(pdf);
    let (ok, out) = run_tool("qpdf", &["--check", &path]);
    assert!(ok, "qpdf --check: {out}");
    let (ok, fonts) = run_tool("pdffonts", &[&path]);
    assert!(ok, "pdffonts: {fonts}");
    for line in fonts.lines().skip(2) {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "font not subset: {line}"
        );
    }
    let (ok, text) = run_tool("pdftotext", &[&path, "-"]);
    assert!(ok, "pdftotext: {text}");
    text
}

fn party(name: &str) -> DocumentParty {
    DocumentParty {
        name: name.to_owned(),
        address_lines: vec!["Friedrichstraße 123".to_owned(), "10117 Berlin".to_owned()],
        country: "Germany".to_owned(),
        tax_id: Some("DE123456789".to_owned()),
        email: Some("accounts@example.com".to_owned()),
    }
}

fn document(lines: usize) -> InvoiceDocument {
    InvoiceDocument {
        title: "Invoice".to_owned(),
        number: "ACC-2026-000001".to_owned(),
        issued_on: "2026-11-21".to_owned(),
        due_on: "2026-12-21".to_owned(),
        seller: party("Accredit Certification Body Ltd"),
        buyer: party("Zoë Łukasiewicz Training GmbH"),
        lines: (0..lines)
            .map(|i| DocumentLine {
                description: format!("Certification fee, candidate Mỹ Nguyễn #{i}"),
                quantity: "1".to_owned(),
                unit_price: "US$2,500.00".to_owned(),
                tax: "US$0.00".to_owned(),
                total: "US$2,500.00".to_owned(),
            })
            .collect(),
        subtotal: "US$2,500.00".to_owned(),
        tax_total: "US$0.00".to_owned(),
        total: "US$2,500.00".to_owned(),
        currency: "USD".to_owned(),
        payment_instructions: vec!["IBAN IE29 AIBK 9311 5212 3456 78".to_owned()],
        notes: vec!["Thank you for your business.".to_owned()],
    }
}

#[test]
fn renders_one_page_with_subset_fonts() {
    let pdf = render_invoice(&document(3)).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(contains(&pdf, "%%EOF"));
    assert_eq!(page_count(&pdf), 1);
    assert!(contains(&pdf, "+DejaVuSans/"), "regular font subset");
    assert!(contains(&pdf, "+DejaVuSans-Bold"), "bold font subset");
    assert!(contains(&pdf, "/ToUnicode"), "text is extractable");
    assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
}

#[test]
fn text_round_trips_through_a_pdf_parser() {
    let pdf = render_invoice(&document(2)).expect("renders");
    let text = extracted_text(&pdf);
    for expected in [
        "Zoë Łukasiewicz Training GmbH",
        "Mỹ Nguyễn",
        "ACC-2026-000001",
        "US$2,500.00",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
}

#[test]
fn many_lines_flow_onto_further_pages() {
    let pdf = render_invoice(&document(80)).expect("renders");
    assert!(page_count(&pdf) >= 3, "{} pages", page_count(&pdf));
}

#[test]
fn degenerate_input_still_renders() {
    let empty = InvoiceDocument {
        title: String::new(),
        number: String::new(),
        lines: Vec::new(),
        payment_instructions: Vec::new(),
        notes: vec![String::new(), "   ".to_owned()],
        seller: DocumentParty {
            name: String::new(),
            address_lines: Vec::new(),
            country: String::new(),
            tax_id: None,
            email: None,
        },
        ..document(0)
    };
    assert!(render_invoice(&empty).is_ok());

    let long = "W".repeat(2_000);
    let mut huge = document(1);
    huge.buyer.name = long.clone();
    huge.seller.address_lines = vec![long.clone(); 3];
    huge.lines[0].description = long.clone();
    huge.lines[0].total = "US$999,999,999,999,999.99".to_owned();
    huge.total = long.clone();
    huge.payment_instructions = vec![long.clone(); 40];
    huge.notes = vec![long; 40];
    let pdf = render_invoice(&huge).expect("renders");
    assert!(page_count(&pdf) >= 2);
}

/// A Japanese company as buyer: name and address lines in CJK.
fn japanese_buyer() -> DocumentParty {
    DocumentParty {
        name: "株式会社 山田".to_owned(),
        address_lines: vec![
            "東京都千代田区丸の内1-1-1".to_owned(),
            "山田ビル 3階".to_owned(),
        ],
        country: "日本 (Japan)".to_owned(),
        tax_id: Some("T1234567890123".to_owned()),
        email: Some("keiri@yamada.example".to_owned()),
    }
}

#[test]
fn invoice_prints_cjk_buyer_name_and_address() {
    let mut doc = document(2);
    doc.buyer = japanese_buyer();
    doc.lines[0].description = "PCAP 試験料 — exam fee for 山田 太郎".to_owned();
    let pdf = render_invoice(&doc).expect("renders");
    assert!(contains(&pdf, "+DroidSansFallback"), "fallback face subset");
    assert!(pdf.len() < 120_000, "{} bytes", pdf.len());

    let text = checked_text(&pdf);
    for expected in [
        "株式会社 山田",
        "東京都千代田区丸の内1-1-1",
        "山田ビル 3階",
        "日本 (Japan)",
        "PCAP 試験料",
        "山田 太郎",
        "Friedrichstraße 123",
        "ACC-2026-000001",
        "US$2,500.00",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    // printpdf's own parser maps the fallback glyphs back too.
    assert!(extracted_text(&pdf).contains("株式会社 山田"));
}

#[test]
fn fallback_face_is_embedded_only_when_drawn() {
    let latin = render_invoice(&document(3)).expect("renders");
    assert!(!contains(&latin, "DroidSansFallback"), "no fallback");
    let text = checked_text(&latin);
    assert!(text.contains("Zoë Łukasiewicz Training GmbH"), "{text}");
    assert!(text.contains("Mỹ Nguyễn"), "{text}");

    // A CJK name that is cut to fit still draws with the fallback face.
    let mut long = document(1);
    long.buyer = japanese_buyer();
    long.buyer.name = "株式会社山田".repeat(40);
    let pdf = render_invoice(&long).expect("renders");
    assert!(contains(&pdf, "+DroidSansFallback"));
    assert!(checked_text(&pdf).contains("株式会社山田株式会社"));
}

#[test]
fn certificate_with_cjk_name_passes_the_tools() {
    let doc = CertificateDocument {
        holder_name: "山田 太郎".to_owned(),
        credential_code: "PCAP".to_owned(),
        credential_name: "Certified Associate in Python Programming".to_owned(),
        level: Some("Certified".to_owned()),
        certificate_number: "PCAP-2026-7K3M9Q2X".to_owned(),
        issued_on: "2026-11-21".to_owned(),
        expires_on: None,
        verification_url: "https://accredit.example/v1/verify/PCAP-2026-7K3M9Q2X".to_owned(),
        issuer_name: "Python Certification Foundation".to_owned(),
    };
    let text = checked_text(&render_certificate(&doc).expect("renders"));
    assert!(text.contains("山田 太郎"), "{text}");
    assert!(text.contains("PCAP-2026-7K3M9Q2X"), "{text}");
}
