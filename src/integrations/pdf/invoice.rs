//! The A4 invoice and credit-note layout.
//!
//! Input is a display model ([`InvoiceDocument`]): every string, including
//! money, is formatted by the caller, so this module knows nothing about
//! currencies, tax rules or numbering. Page 1 carries the seller block with
//! the mark, the title with number and dates, the "Bill to" block and a
//! total summary; the lines table flows over as many pages as needed (its
//! header repeated), followed by the totals, payment instructions and
//! notes. Every page has a footer with "Page n of m".

use printpdf::Op;

use super::canvas::Canvas;
use super::document::{save, Fonts, Info, PdfError};
use super::fonts::Weight;
use super::style::{
    style, TextStyle, ACCENT, HEADER_FILL, INK, LABEL, MUTED, ROW_RULE, RULE, SUMMARY_FILL, WHITE,
};

/// One party block on a document (seller or buyer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentParty {
    /// Legal name, printed in bold.
    pub name: String,
    /// Postal address, one entry per printed line (long lines wrap).
    pub address_lines: Vec<String>,
    /// Country name as it should be printed.
    pub country: String,
    /// VAT or other tax registration number, printed as "Tax ID: …".
    pub tax_id: Option<String>,
    /// Billing contact address.
    pub email: Option<String>,
}

/// One invoice line; all money values pre-formatted, e.g. "US$2,500.00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    /// What is billed; wraps over up to [`MAX_DESCRIPTION_LINES`] lines,
    /// then is cut with "…".
    pub description: String,
    /// Quantity, e.g. "1" or "2.5 h".
    pub quantity: String,
    /// Price of one unit.
    pub unit_price: String,
    /// Tax on this line, as an amount or a rate.
    pub tax: String,
    /// Line amount.
    pub total: String,
}

/// Everything printed on an invoice or credit note, already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// Document title, e.g. "Invoice" or "Credit note".
    pub title: String,
    /// Document number, e.g. "ACC-2026-000001".
    pub number: String,
    /// Issue date, e.g. "2026-11-21".
    pub issued_on: String,
    /// Due date, e.g. "2026-12-21".
    pub due_on: String,
    /// The issuer, printed top left under the mark.
    pub seller: DocumentParty,
    /// The customer, printed under "Bill to".
    pub buyer: DocumentParty,
    /// Lines in printing order.
    pub lines: Vec<DocumentLine>,
    /// Sum of line amounts before tax.
    pub subtotal: String,
    /// Sum of tax.
    pub tax_total: String,
    /// Amount payable (or credited), e.g. "US$2,500.00".
    pub total: String,
    /// ISO 4217 code printed next to the total, e.g. "USD".
    pub currency: String,
    /// Bank or card payment details, one entry per paragraph.
    pub payment_instructions: Vec<String>,
    /// Free-text notes (legal mentions, thanks), one entry per paragraph.
    pub notes: Vec<String>,
}

/// Most lines a single line description may take before it is cut with "…".
pub const MAX_DESCRIPTION_LINES: usize = 6;

// --- Page geometry (points; A4 = 210 × 297 mm) and text styles -------------

const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 48.0;
const RIGHT: f32 = PAGE_WIDTH - 48.0;
const CONTENT_WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 46.0;
/// Lowest y content may reach; the footer lives below it.
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 62.0;
const FOOTER_RULE: f32 = PAGE_HEIGHT - 44.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 31.0;

const TITLE: TextStyle = style(Weight::Bold, 22.0, ACCENT);
const SELLER_NAME: TextStyle = style(Weight::Bold, 12.0, INK);
const PARTY_NAME: TextStyle = style(Weight::Bold, 10.5, INK);
const BODY: TextStyle = style(Weight::Regular, 9.0, INK);
const BODY_BOLD: TextStyle = style(Weight::Bold, 9.0, INK);
const SMALL: TextStyle = style(Weight::Regular, 8.5, INK);
const SMALL_MUTED: TextStyle = style(Weight::Regular, 8.5, MUTED);
const FOOTER: TextStyle = style(Weight::Regular, 7.5, MUTED);
const TOTAL: TextStyle = style(Weight::Bold, 11.0, ACCENT);
const SUMMARY_TOTAL: TextStyle = style(Weight::Bold, 17.0, ACCENT);

/// Lines table columns: right edges of the numeric columns and their widths.
const CELL_PAD: f32 = 6.0;
const AMOUNT_W: f32 = 86.0;
const TAX_W: f32 = 74.0;
const UNIT_W: f32 = 86.0;
const QTY_W: f32 = 46.0;
const AMOUNT_RIGHT: f32 = RIGHT;
const TAX_RIGHT: f32 = AMOUNT_RIGHT - AMOUNT_W;
const UNIT_RIGHT: f32 = TAX_RIGHT - TAX_W;
const QTY_RIGHT: f32 = UNIT_RIGHT - UNIT_W;
const DESCRIPTION_WIDTH: f32 = QTY_RIGHT - QTY_W - LEFT - 2.0 * CELL_PAD;
const TABLE_HEADER_HEIGHT: f32 = 22.0;
const ROW_LINE_HEIGHT: f32 = 12.0;
const ROW_PAD: f32 = 7.0;

/// Most lines printed under a party's name; a postal address never needs
/// more, and the first page must keep room for the lines table.
const MAX_PARTY_LINES: usize = 10;

/// Width of the totals block and of the summary box, right-aligned.
const TOTALS_WIDTH: f32 = 222.0;

/// Renders an A4 invoice PDF; fonts embedded and subset.
///
/// Text stays real text (DejaVu Sans, subset to the glyphs used, with a
/// `ToUnicode` map), so the PDF is searchable and `pdftotext` returns the
/// strings verbatim. Characters DejaVu lacks — a Japanese or Chinese buyer
/// name or address, e.g. "株式会社 山田" — are drawn in runs of the CJK
/// fallback face, embedded (subset) only in invoices that use it. A
/// one-page invoice is 30–40 KB (a few KB more with CJK text) and takes a
/// few milliseconds of CPU (the first CJK document of a process also parses
/// the 4 MB fallback face, once): call it from a blocking context
/// (`web::block`, `spawn_blocking`), not directly on an async executor
/// thread.
///
/// Errors: [`PdfError::Serialize`] if printpdf reports an error while
/// writing the file.
pub fn render_invoice(doc: &InvoiceDocument) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::new();
    let pages = Layout::new(doc, fonts.clone()).render();
    let info = Info {
        title: &format!("{} {}", doc.title, doc.number),
        author: &doc.seller.name,
        subject: &format!("{} for {}", doc.title, doc.buyer.name),
    };
    save(&info, &fonts, (PAGE_WIDTH, PAGE_HEIGHT), pages)
}

/// Top-to-bottom flow of the document over pages.
struct Layout<'a> {
    doc: &'a InvoiceDocument,
    fonts: Fonts,
    done: Vec<Vec<Op>>,
    canvas: Canvas,
    /// Top-down position of the next content, in points.
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a InvoiceDocument, fonts: Fonts) -> Self {
        Self {
            doc,
            canvas: Canvas::new(fonts.clone(), PAGE_HEIGHT),
            fonts,
            done: Vec::new(),
            y: TOP,
        }
    }

    fn render(mut self) -> Vec<Vec<Op>> {
        self.header();
        self.bill_to();
        self.lines_table();
        self.totals_and_payment();
        self.notes();

        let Layout {
            doc,
            fonts,
            mut done,
            canvas,
            ..
        } = self;
        done.push(canvas.into_ops());
        let count = done.len();
        done.into_iter()
            .enumerate()
            .map(|(index, mut ops)| {
                let mut footer = Canvas::new(fonts.clone(), PAGE_HEIGHT);
                draw_footer(&mut footer, doc, index + 1, count);
                ops.extend(footer.into_ops());
                ops
            })
            .collect()
    }

    /// Starts a new page with the short running header.
    fn new_page(&mut self) {
        let finished = std::mem::replace(
            &mut self.canvas,
            Canvas::new(self.fonts.clone(), PAGE_HEIGHT),
        );
        self.done.push(finished.into_ops());

        let c = &mut self.canvas;
        let mark = 18.0;
        c.logo_mark(LEFT, TOP, mark, ACCENT, WHITE);
        let name = BODY_BOLD.truncate(&self.doc.seller.name, CONTENT_WIDTH / 2.0 - mark - 8.0);
        c.text(LEFT + mark + 8.0, TOP + 12.5, &name, BODY_BOLD);
        let running = format!("{} {}", self.doc.title, self.doc.number);
        let running = BODY_BOLD.truncate(&running, CONTENT_WIDTH / 2.0);
        c.text_right(RIGHT, TOP + 12.5, &running, BODY_BOLD);
        c.hline(LEFT, RIGHT, TOP + mark + 10.0, 0.75, RULE);
        self.y = TOP + mark + 24.0;
    }

    /// Moves to a new page unless `height` points still fit on this one.
    /// Returns whether a page was started.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > CONTENT_BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// Seller block with the mark (left); title, number and dates (right).
    fn header(&mut self) {
        let doc = self.doc;
        let c = &mut self.canvas;

        // Left: mark and seller name on one band, details beneath.
        let mark = 30.0;
        let left_width = CONTENT_WIDTH * 0.5;
        c.logo_mark(LEFT, TOP, mark, ACCENT, WHITE);
        let name_x = LEFT + mark + 10.0;
        let name_lines = SELLER_NAME.wrap(&doc.seller.name, LEFT + left_width - name_x, 2);
        let name_top = if name_lines.len() > 1 {
            TOP + 11.0
        } else {
            TOP + 19.5
        };
        for (i, line) in name_lines.iter().enumerate() {
            c.text(name_x, name_top + i as f32 * 14.0, line, SELLER_NAME);
        }
        let mut left_y = TOP + mark + 18.0;
        for text in party_details(&doc.seller, SMALL_MUTED, left_width) {
            c.text(LEFT, left_y, &text, SMALL_MUTED);
            left_y += 11.5;
        }

        // Right: title, then a small label/value table.
        // The label column lines up with the summary box and totals below.
        let right_width = TOTALS_WIDTH;
        c.text_right_fit(RIGHT, TOP + 20.0, &doc.title, TITLE, CONTENT_WIDTH * 0.45);
        let label_x = RIGHT - right_width;
        let mut right_y = TOP + 44.0;
        let rows = [
            ("Number", doc.number.as_str()),
            ("Issue date", doc.issued_on.as_str()),
            ("Due date", doc.due_on.as_str()),
            ("Currency", doc.currency.as_str()),
        ];
        for (label, value) in rows {
            c.text(label_x, right_y, label, SMALL_MUTED);
            c.text_right_fit(RIGHT, right_y, value, BODY_BOLD, right_width - 60.0);
            right_y += 14.0;
        }

        let bottom = left_y.max(right_y) + 6.0;
        c.hline(LEFT, RIGHT, bottom, 0.75, RULE);
        self.y = bottom + 22.0;
    }

    /// "Bill to" buyer block (left) and a total summary box (right).
    fn bill_to(&mut self) {
        let doc = self.doc;
        let c = &mut self.canvas;
        let top = self.y;
        let width = CONTENT_WIDTH - TOTALS_WIDTH - 30.0;

        c.text(LEFT, top, "BILL TO", LABEL);
        let mut y = top + 16.0;
        for line in PARTY_NAME.wrap(&doc.buyer.name, width, 3) {
            c.text(LEFT, y, &line, PARTY_NAME);
            y += 13.5;
        }
        y += 1.0;
        for text in party_details(&doc.buyer, BODY, width) {
            c.text(LEFT, y, &text, BODY);
            y += 12.0;
        }

        // Summary: the amount a reader looks for first, in a tinted box with
        // an accent bar, its top level with the "BILL TO" capitals.
        let box_left = RIGHT - TOTALS_WIDTH;
        let box_top = top - 6.0;
        let box_height = 56.0;
        let text_x = box_left + 16.0;
        let inner = RIGHT - text_x - 12.0;
        c.fill_rect(box_left, box_top, TOTALS_WIDTH, box_height, SUMMARY_FILL);
        c.fill_rect(box_left, box_top, 3.0, box_height, ACCENT);
        let label = format!("TOTAL ({})", doc.currency.to_uppercase());
        c.text(
            text_x,
            box_top + 18.0,
            &LABEL.truncate(&label, inner),
            LABEL,
        );
        let (total, total_style) = SUMMARY_TOTAL.fit(&doc.total, inner);
        c.text(text_x, box_top + 42.0, &total, total_style);

        self.y = (y - 12.0).max(box_top + box_height) + 24.0;
    }

    /// The lines table, split over pages with its header repeated.
    fn lines_table(&mut self) {
        // Keep the header with at least one line.
        self.ensure(TABLE_HEADER_HEIGHT + ROW_LINE_HEIGHT + 2.0 * ROW_PAD);
        self.table_header();

        for line in &self.doc.lines {
            let description =
                BODY.wrap(&line.description, DESCRIPTION_WIDTH, MAX_DESCRIPTION_LINES);
            let height = description.len() as f32 * ROW_LINE_HEIGHT + 2.0 * ROW_PAD;
            if self.ensure(height) {
                self.table_header();
            }
            let c = &mut self.canvas;
            let baseline = self.y + ROW_PAD + 9.0;
            for (i, text) in description.iter().enumerate() {
                c.text(
                    LEFT + CELL_PAD,
                    baseline + i as f32 * ROW_LINE_HEIGHT,
                    text,
                    BODY,
                );
            }
            let cells = [
                (QTY_RIGHT, QTY_W, &line.quantity, BODY),
                (UNIT_RIGHT, UNIT_W, &line.unit_price, BODY),
                (TAX_RIGHT, TAX_W, &line.tax, BODY),
                (AMOUNT_RIGHT, AMOUNT_W, &line.total, BODY_BOLD),
            ];
            for (right, width, value, st) in cells {
                c.text_right_fit(
                    right - CELL_PAD,
                    baseline,
                    value,
                    st,
                    width - 2.0 * CELL_PAD,
                );
            }
            self.y += height;
            c.hline(LEFT, RIGHT, self.y, 0.5, ROW_RULE);
        }
    }

    fn table_header(&mut self) {
        let c = &mut self.canvas;
        let top = self.y;
        c.fill_rect(LEFT, top, CONTENT_WIDTH, TABLE_HEADER_HEIGHT, HEADER_FILL);
        let baseline = top + 14.0;
        c.text(LEFT + CELL_PAD, baseline, "DESCRIPTION", LABEL);
        for (right, label) in [
            (QTY_RIGHT, "QTY"),
            (UNIT_RIGHT, "UNIT PRICE"),
            (TAX_RIGHT, "TAX"),
            (AMOUNT_RIGHT, "AMOUNT"),
        ] {
            c.text_right(right - CELL_PAD, baseline, label, LABEL);
        }
        self.y = top + TABLE_HEADER_HEIGHT;
    }

    /// Payment instructions (left) beside the totals block (right), kept on
    /// one page; instructions too long for that flow on full width after it.
    fn totals_and_payment(&mut self) {
        let doc = self.doc;
        let totals_height: f32 = 3.0 * 18.0 + 8.0;
        let payment_width = CONTENT_WIDTH - TOTALS_WIDTH - 30.0;
        let payment = wrap_paragraphs(&doc.payment_instructions, SMALL, payment_width);
        let payment_height = if payment.is_empty() {
            0.0
        } else {
            16.0 + payment.len() as f32 * 11.5
        };
        let side_by_side = payment_height <= CONTENT_BOTTOM - TOP - 60.0;

        self.y += 16.0;
        let band = if side_by_side {
            totals_height.max(payment_height)
        } else {
            totals_height
        };
        self.ensure(band);
        let top = self.y;

        // Totals: label column and right-aligned amounts.
        let c = &mut self.canvas;
        let label_x = RIGHT - TOTALS_WIDTH + CELL_PAD;
        let value_right = RIGHT - CELL_PAD;
        let value_width = TOTALS_WIDTH - 110.0;
        let mut y = top + 9.0;
        for (label, value) in [("Subtotal", &doc.subtotal), ("Tax", &doc.tax_total)] {
            c.text(label_x, y, label, BODY);
            c.text_right_fit(value_right, y, value, BODY, value_width);
            y += 18.0;
        }
        c.hline(RIGHT - TOTALS_WIDTH, RIGHT, y - 8.0, 0.75, INK);
        y += 6.0;
        let total_label = format!("Total ({})", doc.currency);
        let total_label = TOTAL.truncate(&total_label, TOTALS_WIDTH - value_width - 16.0);
        c.text(label_x, y, &total_label, TOTAL);
        c.text_right_fit(value_right, y, &doc.total, TOTAL, value_width);

        if side_by_side {
            if !payment.is_empty() {
                c.text(LEFT, top + 9.0, "PAYMENT INSTRUCTIONS", LABEL);
                let mut y = top + 25.0;
                for line in &payment {
                    c.text(LEFT, y, line, SMALL);
                    y += 11.5;
                }
            }
            self.y = top + band + 8.0;
        } else {
            self.y = top + totals_height + 8.0;
            self.section("PAYMENT INSTRUCTIONS", &doc.payment_instructions, SMALL);
        }
    }

    fn notes(&mut self) {
        self.section("NOTES", &self.doc.notes, SMALL_MUTED);
    }

    /// A labelled run of full-width paragraphs that may break across pages.
    fn section(&mut self, label: &str, paragraphs: &[String], st: TextStyle) {
        let lines = wrap_paragraphs(paragraphs, st, CONTENT_WIDTH);
        if lines.is_empty() {
            return;
        }
        self.y += 14.0;
        // Keep the label with at least two lines.
        self.ensure(16.0 + 2.0 * 11.5);
        self.canvas.text(LEFT, self.y, label, LABEL);
        self.y += 16.0;
        for line in lines {
            self.ensure(11.5);
            self.canvas.text(LEFT, self.y, &line, st);
            self.y += 11.5;
        }
    }
}

/// The lines under a party's name: address, country, tax id and email,
/// each wrapped to `width`, at most [`MAX_PARTY_LINES`] in all.
fn party_details(party: &DocumentParty, st: TextStyle, width: f32) -> Vec<String> {
    let mut texts: Vec<String> = party.address_lines.clone();
    texts.push(party.country.clone());
    if let Some(tax_id) = &party.tax_id {
        texts.push(format!("Tax ID: {tax_id}"));
    }
    if let Some(email) = &party.email {
        texts.push(email.clone());
    }
    let mut lines: Vec<String> = texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .flat_map(|t| st.wrap(t, width, 3))
        .collect();
    if lines.len() > MAX_PARTY_LINES {
        lines.truncate(MAX_PARTY_LINES);
        if let Some(last) = lines.last_mut() {
            *last = st.truncate(&format!("{last}…"), width);
        }
    }
    lines
}

/// Paragraphs wrapped to `width`, with no limit on their length.
fn wrap_paragraphs(paragraphs: &[String], st: TextStyle, width: f32) -> Vec<String> {
    paragraphs
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| st.wrap(p, width, usize::MAX))
        .collect()
}

fn draw_footer(c: &mut Canvas, doc: &InvoiceDocument, page: usize, count: usize) {
    c.hline(LEFT, RIGHT, FOOTER_RULE, 0.5, RULE);
    let pages = format!("Page {page} of {count}");
    let left = format!("{} · {} {}", doc.seller.name, doc.title, doc.number);
    let left = FOOTER.truncate(&left, CONTENT_WIDTH - FOOTER.width(&pages) - 24.0);
    c.text(LEFT, FOOTER_BASELINE, &left, FOOTER);
    c.text_right(RIGHT, FOOTER_BASELINE, &pages, FOOTER);
}
