//! Drawing primitives shared by the PDF renderers, on top of printpdf's
//! operation list.
//!
//! Coordinates here are in points measured from the page's **top** left
//! corner (y grows downwards, as layouts are written); [`Canvas`] flips them
//! to PDF's bottom-left origin. Text is always drawn with the embedded fonts
//! of [`super::fonts`], so it stays real, extractable text; characters
//! DejaVu lacks (CJK) are drawn in runs of the fallback face, split by the
//! one splitter both layouts share, [`Weight::runs`].

use printpdf::{
    Actions, BorderArray, ColorArray, Line, LineCapStyle, LineJoinStyle, LinePoint, LinkAnnotation,
    Op, PaintMode, Point, Polygon, PolygonRing, Pt, Rect, TextItem, TextRenderingMode,
    WindingOrder,
};

use super::document::Fonts;
use super::fonts::{FontSource, Weight};
use super::style::{Colour, TextStyle};

/// Stroke width that emboldens fallback glyphs in bold runs, per point of
/// font size (the fallback face has a single weight).
const FAUX_BOLD_STROKE: f32 = 0.03;

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
    ///
    /// Text DejaVu can draw whole is one run in the style's weight; text
    /// with characters only the fallback face has is drawn as consecutive
    /// runs, one per face ([`Weight::runs`]), within one text object (each
    /// run advances the cursor by exactly its measured width). Fallback runs
    /// in a bold style are emboldened by stroking.
    pub(crate) fn text(&mut self, x: f32, baseline: f32, text: &str, style: TextStyle) {
        if text.is_empty() {
            return;
        }
        let runs = style.weight.runs(text);
        let faux_bold = style.weight == Weight::Bold
            && runs
                .iter()
                .any(|(source, _)| *source == FontSource::Fallback);
        let pos = self.point(x, baseline);
        let colour = style.colour.to_pdf();
        if faux_bold {
            self.ops.extend([
                Op::SaveGraphicsState,
                Op::SetOutlineColor {
                    col: colour.clone(),
                },
                Op::SetOutlineThickness {
                    pt: Pt(style.size * FAUX_BOLD_STROKE),
                },
            ]);
        }
        self.ops.extend([
            Op::SetFillColor { col: colour },
            Op::StartTextSection,
            Op::SetTextCursor { pos },
        ]);
        for (source, run) in runs {
            self.ops.push(Op::SetFont {
                font: self.fonts.handle(source, style.weight),
                size: Pt(style.size),
            });
            if faux_bold {
                let mode = match source {
                    FontSource::Primary => TextRenderingMode::Fill,
                    FontSource::Fallback => TextRenderingMode::FillStroke,
                };
                self.ops.push(Op::SetTextRenderingMode { mode });
            }
            self.ops.push(Op::ShowText {
                items: vec![TextItem::Text(run.to_owned())],
            });
        }
        self.ops.push(Op::EndTextSection);
        if faux_bold {
            self.ops.push(Op::RestoreGraphicsState);
        }
    }

    /// Draws `text` centred on `centre`.
    pub(crate) fn text_centred(
        &mut self,
        centre: f32,
        baseline: f32,
        text: &str,
        style: TextStyle,
    ) {
        self.text(centre - style.width(text) / 2.0, baseline, text, style);
    }

    /// Draws `text` centred on `centre` with `tracking` points of extra
    /// space between letters (for titles in capitals). Text extraction is
    /// unaffected while `tracking` stays under ~0.2 em.
    pub(crate) fn text_centred_tracked(
        &mut self,
        centre: f32,
        baseline: f32,
        text: &str,
        style: TextStyle,
        tracking: f32,
    ) {
        let gaps = text.chars().count().saturating_sub(1) as f32;
        let width = style.width(text) + tracking * gaps;
        self.ops.push(Op::SetCharacterSpacing {
            multiplier: tracking,
        });
        self.text(centre - width / 2.0, baseline, text, style);
        self.ops.push(Op::SetCharacterSpacing { multiplier: 0.0 });
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

    /// Fills the union of rectangles `(x, top, width, height)` as one path
    /// (no hairline seams between adjacent rectangles, one small operator
    /// list — e.g. the modules of a QR code).
    pub(crate) fn fill_rects(
        &mut self,
        rects: impl IntoIterator<Item = (f32, f32, f32, f32)>,
        colour: Colour,
    ) {
        let rings: Vec<PolygonRing> = rects
            .into_iter()
            .map(|(x, top, width, height)| PolygonRing {
                points: vec![
                    self.line_point(x, top),
                    self.line_point(x + width, top),
                    self.line_point(x + width, top + height),
                    self.line_point(x, top + height),
                ],
            })
            .collect();
        if rings.is_empty() {
            return;
        }
        self.ops.extend([
            Op::SetFillColor {
                col: colour.to_pdf(),
            },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    /// Strokes the outline of the rectangle whose top-left corner is
    /// (`x`, `top`).
    pub(crate) fn stroke_rect(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        height: f32,
        thickness: f32,
        colour: Colour,
    ) {
        let points = vec![
            self.line_point(x, top),
            self.line_point(x + width, top),
            self.line_point(x + width, top + height),
            self.line_point(x, top + height),
        ];
        self.ops.extend([
            Op::SetOutlineColor {
                col: colour.to_pdf(),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: true,
                },
            },
        ]);
    }

    /// Strokes a circle of radius `r` centred on (`cx`, `cy`).
    pub(crate) fn stroke_circle(
        &mut self,
        cx: f32,
        cy: f32,
        r: f32,
        thickness: f32,
        colour: Colour,
    ) {
        // Four quarter arcs, each one cubic Bézier with control points at κ·r.
        const KAPPA: f32 = 0.552_284_8;
        let k = r * KAPPA;
        let points = vec![
            self.line_point(cx, cy - r),
            self.control_point(cx + k, cy - r),
            self.control_point(cx + r, cy - k),
            self.line_point(cx + r, cy),
            self.control_point(cx + r, cy + k),
            self.control_point(cx + k, cy + r),
            self.line_point(cx, cy + r),
            self.control_point(cx - k, cy + r),
            self.control_point(cx - r, cy + k),
            self.line_point(cx - r, cy),
            self.control_point(cx - r, cy - k),
            self.control_point(cx - k, cy - r),
            self.line_point(cx, cy - r),
        ];
        self.ops.extend([
            Op::SetOutlineColor {
                col: colour.to_pdf(),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: true,
                },
            },
        ]);
    }

    /// Fills the diamond (square on its corner) centred on (`cx`, `cy`),
    /// `size` points from corner to corner.
    pub(crate) fn fill_diamond(&mut self, cx: f32, cy: f32, size: f32, colour: Colour) {
        let h = size / 2.0;
        let points = vec![
            self.line_point(cx, cy - h),
            self.line_point(cx + h, cy),
            self.line_point(cx, cy + h),
            self.line_point(cx - h, cy),
        ];
        self.ops.extend([
            Op::SetFillColor {
                col: colour.to_pdf(),
            },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing { points }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    /// Makes the rectangle whose top-left corner is (`x`, `top`) a link to
    /// `uri` (no visible border).
    pub(crate) fn link(&mut self, x: f32, top: f32, width: f32, height: f32, uri: &str) {
        let bottom_left = self.point(x, top + height);
        self.ops.push(Op::LinkAnnotation {
            link: LinkAnnotation::new(
                Rect::from_xywh(bottom_left.x, bottom_left.y, Pt(width), Pt(height)),
                Actions::Uri(uri.to_owned()),
                Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                Some(ColorArray::Transparent),
                None,
            ),
        });
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
