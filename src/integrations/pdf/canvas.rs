//! Drawing primitives shared by the PDF renderers, on top of printpdf's
//! operation list.
//!
//! Coordinates here are in points measured from the page's **top** left
//! corner (y grows downwards, as layouts are written); [`Canvas`] flips them
//! to PDF's bottom-left origin. Text is always drawn with the embedded fonts
//! of [`super::fonts`], so it stays real, extractable text.

use printpdf::{
    Color, FontId, Line, LineCapStyle, LineJoinStyle, LinePoint, Op, PaintMode, PdfDocument,
    PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rect, Rgb, TextItem, WindingOrder,
};

use super::fonts::Weight;

/// An sRGB colour, written as `0xRRGGBB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour(pub u32);

impl Colour {
    fn to_pdf(self) -> Color {
        let channel = |shift: u32| ((self.0 >> shift) & 0xFF) as f32 / 255.0;
        Color::Rgb(Rgb {
            r: channel(16),
            g: channel(8),
            b: channel(0),
            icc_profile: None,
        })
    }
}

/// How a run of text is set: weight, size in points and colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    pub weight: Weight,
    pub size: f32,
    pub colour: Colour,
}

impl TextStyle {
    /// Width of `text` in this style, in points.
    pub(crate) fn width(&self, text: &str) -> f32 {
        self.weight.width(text, self.size)
    }

    /// `text` wrapped to `max_width` points, at most `max_lines` lines
    /// (see [`Weight::wrap`]).
    pub(crate) fn wrap(&self, text: &str, max_width: f32, max_lines: usize) -> Vec<String> {
        self.weight.wrap(text, self.size, max_width, max_lines)
    }

    /// `text` shortened with "…" to fit `max_width` points.
    pub(crate) fn truncate(&self, text: &str, max_width: f32) -> String {
        self.weight.truncate(text, self.size, max_width)
    }

    /// `text` in this style if it fits `max_width` points; otherwise in a
    /// smaller size (down to 60 %) that fits, shortened with "…" only if
    /// even that is too wide. For values that should stay whole, such as
    /// amounts and document numbers.
    pub(crate) fn fit(&self, text: &str, max_width: f32) -> (String, TextStyle) {
        let width = self.width(text);
        if width <= max_width {
            return (text.to_owned(), *self);
        }
        let scaled = TextStyle {
            size: (self.size * max_width / width).max(self.size * 0.6),
            ..*self
        };
        (scaled.truncate(text, max_width), scaled)
    }
}

/// The document-level font resources of both weights.
///
/// Register once per document: printpdf subsets each registered font to the
/// glyphs used in that document when it is saved.
#[derive(Debug, Clone)]
pub(crate) struct Fonts {
    regular: FontId,
    bold: FontId,
}

impl Fonts {
    /// Adds both cached faces to `doc` (a cheap clone of the parsed face).
    pub(crate) fn register(doc: &mut PdfDocument) -> Self {
        Self {
            regular: doc.add_font(Weight::Regular.face()),
            bold: doc.add_font(Weight::Bold.face()),
        }
    }

    fn handle(&self, weight: Weight) -> PdfFontHandle {
        let id = match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        };
        PdfFontHandle::External(id.clone())
    }
}

/// The operations of one page under construction.
#[derive(Debug)]
pub(crate) struct Canvas {
    fonts: Fonts,
    page_height: f32,
    ops: Vec<Op>,
}

impl Canvas {
    /// An empty page `page_height` points tall.
    pub(crate) fn new(fonts: Fonts, page_height: f32) -> Self {
        Self {
            fonts,
            page_height,
            ops: Vec::new(),
        }
    }

    /// The page's operations, in drawing order.
    pub(crate) fn into_ops(self) -> Vec<Op> {
        self.ops
    }

    fn point(&self, x: f32, y: f32) -> Point {
        Point {
            x: Pt(x),
            y: Pt(self.page_height - y),
        }
    }

    /// Draws `text` with its left end at `x` and its baseline at `baseline`.
    pub(crate) fn text(&mut self, x: f32, baseline: f32, text: &str, style: TextStyle) {
        if text.is_empty() {
            return;
        }
        let pos = self.point(x, baseline);
        self.ops.extend([
            Op::SetFillColor {
                col: style.colour.to_pdf(),
            },
            Op::StartTextSection,
            Op::SetFont {
                font: self.fonts.handle(style.weight),
                size: Pt(style.size),
            },
            Op::SetTextCursor { pos },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Draws `text` with its right end at `right`.
    pub(crate) fn text_right(&mut self, right: f32, baseline: f32, text: &str, style: TextStyle) {
        self.text(right - style.width(text), baseline, text, style);
    }

    /// Draws `text` with its right end at `right`, fitted to `max_width`
    /// as [`TextStyle::fit`] does.
    pub(crate) fn text_right_fit(
        &mut self,
        right: f32,
        baseline: f32,
        text: &str,
        style: TextStyle,
        max_width: f32,
    ) {
        let (text, style) = style.fit(text, max_width);
        self.text_right(right, baseline, &text, style);
    }

    /// Fills the rectangle whose top-left corner is (`x`, `top`).
    pub(crate) fn fill_rect(&mut self, x: f32, top: f32, width: f32, height: f32, colour: Colour) {
        let bottom_left = self.point(x, top + height);
        self.ops.extend([
            Op::SetFillColor {
                col: colour.to_pdf(),
            },
            Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(bottom_left.x, bottom_left.y, Pt(width), Pt(height))
                },
            },
        ]);
    }

    /// Draws a horizontal rule from `x1` to `x2` at `y`.
    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, colour: Colour) {
        let points = vec![self.line_point(x1, y), self.line_point(x2, y)];
        self.ops.extend([
            Op::SetOutlineColor {
                col: colour.to_pdf(),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            },
        ]);
    }

    fn line_point(&self, x: f32, y: f32) -> LinePoint {
        LinePoint {
            p: self.point(x, y),
            bezier: false,
        }
    }

    fn control_point(&self, x: f32, y: f32) -> LinePoint {
        LinePoint {
            p: self.point(x, y),
            bezier: true,
        }
    }

    /// Draws the Accredit mark, a `size`-point rounded square in `background`
    /// with a check mark in `foreground`, its top-left corner at (`x`, `top`).
    pub(crate) fn logo_mark(
        &mut self,
        x: f32,
        top: f32,
        size: f32,
        background: Colour,
        foreground: Colour,
    ) {
        // Rounded square: four straight edges joined by quarter circles,
        // each approximated by one cubic Bézier (control points at κ·r).
        const KAPPA: f32 = 0.552_284_8;
        let r = size * 0.22;
        let k = r * KAPPA;
        let (l, t, rt, b) = (x, top, x + size, top + size);
        let ring = vec![
            self.line_point(l + r, t),
            self.line_point(rt - r, t),
            self.control_point(rt - r + k, t),
            self.control_point(rt, t + r - k),
            self.line_point(rt, t + r),
            self.line_point(rt, b - r),
            self.control_point(rt, b - r + k),
            self.control_point(rt - r + k, b),
            self.line_point(rt - r, b),
            self.line_point(l + r, b),
            self.control_point(l + r - k, b),
            self.control_point(l, b - r + k),
            self.line_point(l, b - r),
            self.line_point(l, t + r),
            self.control_point(l, t + r - k),
            self.control_point(l + r - k, t),
            self.line_point(l + r, t),
        ];
        let check = vec![
            self.line_point(x + size * 0.27, top + size * 0.53),
            self.line_point(x + size * 0.43, top + size * 0.69),
            self.line_point(x + size * 0.74, top + size * 0.33),
        ];
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetFillColor {
                col: background.to_pdf(),
            },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing { points: ring }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
            Op::SetOutlineColor {
                col: foreground.to_pdf(),
            },
            Op::SetOutlineThickness {
                pt: Pt(size * 0.11),
            },
            Op::SetLineCapStyle {
                cap: LineCapStyle::Round,
            },
            Op::SetLineJoinStyle {
                join: LineJoinStyle::Round,
            },
            Op::DrawLine {
                line: Line {
                    points: check,
                    is_closed: false,
                },
            },
            Op::RestoreGraphicsState,
        ]);
    }
}
