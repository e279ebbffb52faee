//! The A4 landscape certificate a holder receives for a credential.
//!
//! Input is a display model ([`CertificateDocument`]) whose strings are
//! printed as given — the holder's name exactly as registered, dates already
//! formatted — so this module holds layout only. The page has a double
//! frame, the issuer's mark and name, the title, the holder's name large and
//! centred, the credential and level, and a bottom band with the certificate
//! number and dates (left), a seal (centre) and a QR code linking to the
//! public verification page with its URL printed beneath (right).
//!
//! Names in any script DejaVu Sans covers (Latin with diacritics, Greek,
//! Cyrillic, Vietnamese) use it directly; CJK characters are drawn in runs of
//! the embedded fallback face, which is embedded only in documents that
//! draw with it (see `document`). The QR code is drawn as vector rectangles: sharp at
//! any zoom or print resolution and a few hundred bytes of content stream.

use qrcode::{Color as QrColor, EcLevel, QrCode};

use super::canvas::Canvas;
use super::document::{save, Fonts, Info, PdfError};
use super::fonts::Weight;
use super::style::{style, TextStyle, ACCENT, GOLD, INK, LABEL, MUTED, PAPER, WHITE};

/// Everything printed on a certificate, already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDocument {
    /// The holder's name exactly as registered, in any script (e.g.
    /// "Zoë Łukasiewicz", "Пётр Чайковский", "山田 太郎"); printed verbatim,
    /// shrunk (then wrapped over two lines) to fit if very long.
    pub holder_name: String,
    /// Short code of the credential, e.g. "PCAP".
    pub credential_code: String,
    /// Full name of the credential, e.g. "Certified Associate in Python
    /// Programming".
    pub credential_name: String,
    /// Level, e.g. "Certified", "Professional" or "Expert", printed as
    /// "Level: …"; `None` (or a blank string) omits the level line.
    pub level: Option<String>,
    /// Public certificate number, e.g. "PCAP-2026-7K3M9Q2X".
    pub certificate_number: String,
    /// Issue date, e.g. "2026-11-21".
    pub issued_on: String,
    /// Expiry date; `None` prints "Does not expire".
    pub expires_on: Option<String>,
    /// Public verification page, encoded in the QR code and printed under
    /// it, e.g. `https://accredit.example/v1/verify/PCAP-2026-7K3M9Q2X`.
    pub verification_url: String,
    /// The certification body, e.g. "Python Certification Foundation".
    pub issuer_name: String,
}

/// What the certificate prints when [`CertificateDocument::expires_on`] is
/// `None`.
pub const DOES_NOT_EXPIRE: &str = "Does not expire";

// --- Page geometry (points; A4 landscape = 297 × 210 mm) and text styles ---

const PAGE_WIDTH: f32 = 841.89;
const PAGE_HEIGHT: f32 = 595.276;
const CENTRE: f32 = PAGE_WIDTH / 2.0;
/// Outer (heavy) and inner (fine) frame insets from the page edge.
const OUTER_INSET: f32 = 24.0;
const INNER_INSET: f32 = 31.0;
/// Left and right edges of the bottom band's columns.
const BAND_LEFT: f32 = 78.0;
const BAND_RIGHT: f32 = PAGE_WIDTH - 78.0;
/// Widest any centred line may be.
const TEXT_WIDTH: f32 = 640.0;

const ISSUER: TextStyle = style(Weight::Bold, 12.5, ACCENT);
const TITLE: TextStyle = style(Weight::Regular, 36.0, ACCENT);
const LEAD: TextStyle = style(Weight::Regular, 12.0, MUTED);
const HOLDER: TextStyle = style(Weight::Bold, 34.0, INK);
const CREDENTIAL: TextStyle = style(Weight::Bold, 19.0, ACCENT);
const LEVEL: TextStyle = style(Weight::Regular, 12.5, INK);
const VALUE: TextStyle = style(Weight::Bold, 11.0, INK);
const SEAL_TEXT: TextStyle = style(Weight::Regular, 8.0, MUTED);
const URL: TextStyle = style(Weight::Regular, 7.5, MUTED);

/// Smallest size the holder's name is shrunk to on one line before it is
/// wrapped over two.
const HOLDER_ONE_LINE_MIN: f32 = 22.0;
/// Smallest size of a holder's name wrapped over two lines.
const HOLDER_MIN_SIZE: f32 = 16.0;
/// Side of the QR code, quiet zone excluded, in points.
const QR_SIZE: f32 = 84.0;

/// Renders a one-page A4 landscape certificate PDF; fonts embedded and
/// subset.
///
/// Text stays real text with a `ToUnicode` map, so `pdftotext` and search
/// return the holder's name verbatim in every supported script. The QR code
/// encodes [`CertificateDocument::verification_url`] (error correction M),
/// and the code and the printed URL are also a link to it. Typical size:
/// ~36 KB; a CJK name adds a few KB (the fallback face subset to the
/// glyphs used).
/// Takes a few milliseconds of CPU (the first CJK certificate of a process
/// also parses the 4 MB fallback face, once): call it from a blocking
/// context (`web::block`, `spawn_blocking`), not directly on an async
/// executor thread.
///
/// A URL too long for any QR code (over ~2,300 bytes) is printed without
/// one.
///
/// Errors: [`PdfError::Serialize`] if printpdf reports an error while
/// writing the file.
pub fn render_certificate(doc: &CertificateDocument) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::new();
    let mut canvas = Canvas::new(fonts.clone(), PAGE_HEIGHT);
    draw(&mut canvas, doc);
    let info = Info {
        title: &format!("Certificate {}", doc.certificate_number),
        author: &doc.issuer_name,
        subject: &format!("{} — {}", doc.credential_name, doc.holder_name),
    };
    save(
        &info,
        &fonts,
        (PAGE_WIDTH, PAGE_HEIGHT),
        vec![canvas.into_ops()],
    )
}

/// The characters of `text` that no embedded font can draw, each once, in
/// order of appearance; whitespace and control characters are not counted.
///
/// Such characters print as an empty box and are missing from the text a
/// reader extracts, so a caller may refuse or flag a name before issuing a
/// certificate for it. Covered: Latin (incl. Vietnamese), Greek, Cyrillic
/// (DejaVu Sans) and Chinese and Japanese (Droid Sans Fallback); notably
/// not covered: Hangul. Text is not shaped or reordered, so right-to-left
/// and complex scripts (Arabic, Hebrew, Indic) print wrongly even where a
/// glyph exists; this check does not catch that. Parses the fallback face
/// (once per process) if `text` has characters DejaVu lacks.
pub fn unprintable_chars(text: &str) -> Vec<char> {
    let mut missing: Vec<char> = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() || missing.contains(&c) {
            continue;
        }
        if !Weight::Regular.can_draw(c) || !Weight::Bold.can_draw(c) {
            missing.push(c);
        }
    }
    missing
}

/// The whole page, top to bottom.
fn draw(c: &mut Canvas, doc: &CertificateDocument) {
    frame(c);

    // Header: mark, issuer, title and an ornamental rule.
    let mark = 34.0;
    c.logo_mark(CENTRE - mark / 2.0, 60.0, mark, ACCENT, WHITE);
    centred_fit(c, 116.0, &doc.issuer_name, ISSUER, TEXT_WIDTH);
    c.text_centred_tracked(CENTRE, 166.0, "CERTIFICATE", TITLE, 6.0);
    ornament(c, 186.0, 90.0);

    // The award.
    c.text_centred(CENTRE, 224.0, "This is to certify that", LEAD);
    let (name_bottom, name_width) = holder_name(c, 272.0, &doc.holder_name);
    let rule = (name_width / 2.0 + 40.0).clamp(180.0, TEXT_WIDTH / 2.0);
    c.hline(CENTRE - rule, CENTRE + rule, name_bottom + 16.0, 0.75, GOLD);
    let mut y = name_bottom + 46.0;
    c.text_centred(
        CENTRE,
        y,
        "has met all requirements of the credential",
        LEAD,
    );
    y += 32.0;
    let credential = if doc.credential_code.trim().is_empty() {
        doc.credential_name.clone()
    } else {
        format!("{} ({})", doc.credential_name, doc.credential_code)
    };
    for line in CREDENTIAL.wrap(&credential, TEXT_WIDTH, 2) {
        c.text_centred(CENTRE, y, &line, CREDENTIAL);
        y += 23.0;
    }
    if let Some(level) = doc.level.as_deref().filter(|l| !l.trim().is_empty()) {
        centred_fit(c, y + 1.0, &format!("Level: {level}"), LEVEL, TEXT_WIDTH);
    }

    // Bottom band: details, seal, verification.
    let band_top = 440.0;
    details(c, band_top, doc);
    seal(c, CENTRE, band_top + 46.0, &doc.issuer_name);
    verification(c, band_top, &doc.verification_url);
}

/// Tinted paper inside a heavy outer frame, a fine gold inner frame, and
/// gold diamonds on its corners.
fn frame(c: &mut Canvas) {
    let (ow, oh) = (
        PAGE_WIDTH - 2.0 * OUTER_INSET,
        PAGE_HEIGHT - 2.0 * OUTER_INSET,
    );
    c.fill_rect(OUTER_INSET, OUTER_INSET, ow, oh, PAPER);
    c.stroke_rect(OUTER_INSET, OUTER_INSET, ow, oh, 2.5, ACCENT);
    let (iw, ih) = (
        PAGE_WIDTH - 2.0 * INNER_INSET,
        PAGE_HEIGHT - 2.0 * INNER_INSET,
    );
    c.stroke_rect(INNER_INSET, INNER_INSET, iw, ih, 0.75, GOLD);
    for (x, y) in [
        (INNER_INSET, INNER_INSET),
        (INNER_INSET + iw, INNER_INSET),
        (INNER_INSET, INNER_INSET + ih),
        (INNER_INSET + iw, INNER_INSET + ih),
    ] {
        c.fill_diamond(x, y, 9.0, GOLD);
    }
}

/// A fine gold rule `2 × half_width` wide with a diamond at its centre.
fn ornament(c: &mut Canvas, y: f32, half_width: f32) {
    c.hline(CENTRE - half_width, CENTRE - 8.0, y, 0.75, GOLD);
    c.hline(CENTRE + 8.0, CENTRE + half_width, y, 0.75, GOLD);
    c.fill_diamond(CENTRE, y, 7.0, GOLD);
}

/// `text` centred at `baseline`, shrunk or shortened to `max_width` as
/// [`TextStyle::fit`] does.
fn centred_fit(c: &mut Canvas, baseline: f32, text: &str, style: TextStyle, max_width: f32) {
    let (text, style) = style.fit(text, max_width);
    c.text_centred(CENTRE, baseline, &text, style);
}

/// The holder's name, centred on `baseline`: on one line, shrunk down to
/// [`HOLDER_ONE_LINE_MIN`] if need be; else on two lines at the largest size
/// down to [`HOLDER_MIN_SIZE`] that holds it whole; else two lines at that
/// size, cut with "…". Returns the last baseline and the widest line's
/// width.
fn holder_name(c: &mut Canvas, baseline: f32, name: &str) -> (f32, f32) {
    let width = HOLDER.width(name);
    if width <= TEXT_WIDTH || HOLDER.size * TEXT_WIDTH / width >= HOLDER_ONE_LINE_MIN {
        let size = HOLDER.size * (TEXT_WIDTH / width).min(1.0);
        let st = TextStyle { size, ..HOLDER };
        c.text_centred(CENTRE, baseline, name, st);
        return (baseline, st.width(name));
    }
    let whole = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut size = HOLDER_ONE_LINE_MIN;
    let (lines, st) = loop {
        let st = TextStyle { size, ..HOLDER };
        let lines = st.wrap(name, TEXT_WIDTH, 2);
        if size <= HOLDER_MIN_SIZE || lines.join(" ") == whole {
            break (lines, st);
        }
        size = (size - 1.0).max(HOLDER_MIN_SIZE);
    };
    let leading = st.size * 1.25;
    // Centre the block on the single-line position.
    let first = baseline - leading * (lines.len() as f32 - 1.0) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        c.text_centred(CENTRE, first + leading * i as f32, line, st);
    }
    let widest = lines.iter().map(|l| st.width(l)).fold(0.0_f32, f32::max);
    (first + leading * (lines.len() as f32 - 1.0), widest)
}

/// Certificate number and dates, as label/value pairs in the left column.
fn details(c: &mut Canvas, top: f32, doc: &CertificateDocument) {
    let width = 230.0;
    let rows = [
        ("CERTIFICATE NUMBER", doc.certificate_number.as_str()),
        ("ISSUED", doc.issued_on.as_str()),
        (
            "VALID UNTIL",
            doc.expires_on.as_deref().unwrap_or(DOES_NOT_EXPIRE),
        ),
    ];
    let mut y = top + 8.0;
    for (label, value) in rows {
        c.text(BAND_LEFT, y, label, LABEL);
        let (value, value_style) = VALUE.fit(value, width);
        c.text(BAND_LEFT, y + 15.0, &value, value_style);
        y += 38.0;
    }
}

/// A gold seal: two rings around the mark, with the issuer beneath.
fn seal(c: &mut Canvas, cx: f32, cy: f32, issuer: &str) {
    c.stroke_circle(cx, cy, 40.0, 1.5, GOLD);
    c.stroke_circle(cx, cy, 35.0, 0.5, GOLD);
    for angle in (0..12).map(|i| i as f32 * std::f32::consts::PI / 6.0) {
        c.fill_diamond(cx + 37.5 * angle.cos(), cy + 37.5 * angle.sin(), 2.2, GOLD);
    }
    let mark = 30.0;
    c.logo_mark(cx - mark / 2.0, cy - mark / 2.0, mark, GOLD, PAPER);
    let (text, style) = SEAL_TEXT.fit(&format!("Issued by {issuer}"), 220.0);
    c.text_centred(cx, cy + 53.0, &text, style);
}

/// The QR code for `url` in the right column, with the URL printed under
/// it (wrapped between characters if long); both link to `url`.
fn verification(c: &mut Canvas, top: f32, url: &str) {
    let column = 230.0;
    let cx = BAND_RIGHT - column / 2.0;
    let mut y = top;
    if let Some(modules) = qr_modules(url) {
        let n = modules.len();
        let module = QR_SIZE / n as f32;
        let x0 = cx - QR_SIZE / 2.0;
        let rects = modules.iter().enumerate().flat_map(|(row, dark)| {
            dark_runs(dark).map(move |(start, len)| {
                (
                    x0 + start as f32 * module,
                    top + row as f32 * module,
                    len as f32 * module,
                    module,
                )
            })
        });
        c.fill_rects(rects, INK);
        c.link(x0, top, QR_SIZE, QR_SIZE, url);
        y += QR_SIZE + 15.0;
    } else {
        y += 30.0;
    }
    let lines = URL.wrap(url, column, 3);
    let leading = 9.5;
    for (i, line) in lines.iter().enumerate() {
        c.text_centred(cx, y + leading * i as f32, line, URL);
    }
    let width = lines.iter().map(|l| URL.width(l)).fold(0.0_f32, f32::max);
    c.link(
        cx - width / 2.0,
        y - URL.size,
        width,
        leading * lines.len() as f32,
        url,
    );
}

/// The QR code for `data` as rows of modules (`true` = dark), quiet zone
/// excluded: error correction M, or L if M cannot hold it; `None` if no QR
/// code can (data over ~2,300 bytes).
fn qr_modules(data: &str) -> Option<Vec<Vec<bool>>> {
    let code = QrCode::with_error_correction_level(data, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data, EcLevel::L))
        .ok()?;
    let width = code.width();
    let colours = code.to_colors();
    Some(
        colours
            .chunks(width)
            .map(|row| row.iter().map(|m| *m == QrColor::Dark).collect())
            .collect(),
    )
}

/// Maximal runs of dark modules in `row`, as `(start, length)`.
fn dark_runs(row: &[bool]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < row.len() && !row[i] {
            i += 1;
        }
        if i >= row.len() {
            return None;
        }
        let start = i;
        while i < row.len() && row[i] {
            i += 1;
        }
        Some((start, i - start))
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{contains, extracted_text, page_count};
    use super::*;

    const NAMES: [&str; 5] = [
        "Zoë Łukasiewicz",
        "Αλέξανδρος Παπαδόπουλος",
        "Пётр Чайковский",
        "Mỹ Nguyễn",
        "山田 太郎",
    ];

    fn certificate(holder: &str) -> CertificateDocument {
        CertificateDocument {
            holder_name: holder.to_owned(),
            credential_code: "PCAP".to_owned(),
            credential_name: "Certified Associate in Python Programming".to_owned(),
            level: Some("Professional".to_owned()),
            certificate_number: "PCAP-2026-7K3M9Q2X".to_owned(),
            issued_on: "2026-11-21".to_owned(),
            expires_on: Some("2029-11-21".to_owned()),
            verification_url: "https://accredit.example/v1/verify/PCAP-2026-7K3M9Q2X".to_owned(),
            issuer_name: "Python Certification Foundation".to_owned(),
        }
    }

    #[test]
    fn names_in_every_script_round_trip_through_a_pdf_parser() {
        for name in NAMES {
            let pdf = render_certificate(&certificate(name)).expect("renders");
            assert!(pdf.starts_with(b"%PDF-"));
            assert!(contains(&pdf, "%%EOF"));
            assert_eq!(page_count(&pdf), 1, "{name}");
            let text = extracted_text(&pdf);
            for expected in [
                name,
                "CERTIFICATE",
                "Python Certification Foundation",
                "Certified Associate in Python Programming (PCAP)",
                "Level: Professional",
                "PCAP-2026-7K3M9Q2X",
                "2026-11-21",
                "2029-11-21",
                "https://accredit.example/v1/verify/PCAP-2026-7K3M9Q2X",
            ] {
                assert!(text.contains(expected), "{expected:?} missing from {text}");
            }
        }
    }

    #[test]
    fn fonts_are_subset_and_the_fallback_only_embedded_when_needed() {
        let latin = render_certificate(&certificate("Zoë Łukasiewicz")).expect("renders");
        assert!(contains(&latin, "+DejaVuSans-Bold"), "bold subset");
        assert!(!contains(&latin, "DroidSansFallback"), "no fallback");
        assert!(latin.len() < 60_000, "{} bytes", latin.len());

        let cjk = render_certificate(&certificate("山田 太郎")).expect("renders");
        assert!(contains(&cjk, "+DroidSansFallback"), "fallback subset");
        assert!(contains(&cjk, "/ToUnicode"));
        assert!(cjk.len() < 200_000, "{} bytes", cjk.len());
    }

    #[test]
    fn optional_lines() {
        let mut doc = certificate("Пётр Чайковский");
        doc.level = None;
        doc.expires_on = None;
        let text = extracted_text(&render_certificate(&doc).expect("renders"));
        assert!(!text.contains("Level"), "{text}");
        assert!(text.contains(DOES_NOT_EXPIRE), "{text}");

        doc.level = Some("  ".to_owned());
        let text = extracted_text(&render_certificate(&doc).expect("renders"));
        assert!(!text.contains("Level"), "{text}");
    }

    #[test]
    fn qr_matrix_has_finder_patterns() {
        let modules =
            qr_modules("https://accredit.example/v1/verify/PCAP-2026-7K3M9Q2X").expect("encodes");
        let n = modules.len();
        assert!(n >= 21 && n % 4 == 1, "{n}");
        assert!(modules.iter().all(|row| row.len() == n));
        // Each finder pattern: a dark 7×7 ring around a light ring.
        for (r, c) in [(0, 0), (0, n - 7), (n - 7, 0)] {
            assert!((0..7).all(|i| modules[r][c + i] && modules[r + 6][c + i]));
            assert!(!modules[r + 1][c + 1] && modules[r + 3][c + 3]);
        }
        assert_eq!(
            dark_runs(&[true, true, false, true, false, false, true]).collect::<Vec<_>>(),
            vec![(0, 2), (3, 1), (6, 1)]
        );
        assert!(qr_modules(&"x".repeat(4_000)).is_none());
    }

    #[test]
    fn unprintable_characters_are_reported() {
        for name in NAMES {
            assert!(unprintable_chars(name).is_empty(), "{name}");
        }
        assert_eq!(unprintable_chars("김민준 Kim 김"), vec!['김', '민', '준']);
        assert!(unprintable_chars(" \t\n").is_empty());
    }

    #[test]
    fn degenerate_input_still_renders() {
        let empty = CertificateDocument {
            holder_name: String::new(),
            credential_code: String::new(),
            credential_name: String::new(),
            level: Some(String::new()),
            certificate_number: String::new(),
            issued_on: String::new(),
            expires_on: None,
            verification_url: String::new(),
            issuer_name: String::new(),
        };
        assert!(render_certificate(&empty).is_ok());

        let long = "Wolfeschlegelsteinhausenbergerdorff ".repeat(12);
        let mut huge = certificate(&long);
        huge.credential_name = long.clone();
        huge.certificate_number = long.clone();
        huge.verification_url = format!("https://accredit.example/v1/verify/{}", "Z".repeat(5_000));
        huge.issuer_name = long;
        let pdf = render_certificate(&huge).expect("renders");
        assert_eq!(page_count(&pdf), 1);

        // A long CJK name shrinks rather than being cut.
        let cjk = "山田太郎".repeat(6);
        let text = extracted_text(&render_certificate(&certificate(&cjk)).expect("renders"));
        assert!(text.contains(&cjk), "{text}");
    }
}
