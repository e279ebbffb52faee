//! Fonts shared by the PDF renderers: DejaVu Sans regular and bold, embedded
//! in the binary at compile time (`invoices/fonts/`, licence in
//! `invoices/fonts/LICENSE`) and parsed once per process.
//!
//! Also holds text measurement and line wrapping, which must use the very
//! advance widths printpdf writes into the PDF's `/W` array, so that
//! right-aligned and wrapped text lands where it is measured to land.
//!
//! Limits: DejaVu Sans covers Latin (incl. Vietnamese), Greek and Cyrillic,
//! but not CJK; characters it lacks render as the `.notdef` box. Text is not
//! shaped (no kerning, no mark positioning), so pass NFC-normalised strings.

use std::sync::OnceLock;

use printpdf::ParsedFont;

/// DejaVu Sans, Book weight.
const REGULAR_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/invoices/fonts/DejaVuSans.ttf"
));
/// DejaVu Sans, Bold weight.
const BOLD_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/invoices/fonts/DejaVuSans-Bold.ttf"
));

/// The weights available to the renderers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

impl Weight {
    /// The parsed face for this weight, parsed on first use and cached for
    /// the life of the process.
    ///
    /// # Panics
    /// Only if the font files embedded at compile time are not valid
    /// TrueType, which is a build defect caught by this module's tests; no
    /// run-time input reaches this parse.
    pub(crate) fn face(self) -> &'static ParsedFont {
        static REGULAR: OnceLock<ParsedFont> = OnceLock::new();
        static BOLD: OnceLock<ParsedFont> = OnceLock::new();
        let (cell, bytes, name) = match self {
            Weight::Regular => (&REGULAR, REGULAR_TTF, "DejaVuSans.ttf"),
            Weight::Bold => (&BOLD, BOLD_TTF, "DejaVuSans-Bold.ttf"),
        };
        cell.get_or_init(|| {
            ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
                .unwrap_or_else(|| panic!("embedded font {name} is not a valid TrueType font"))
        })
    }

    /// Width of `text` set at `size` points, in points.
    ///
    /// Sums the `hmtx` advance of each character's glyph (`.notdef` for
    /// characters the font lacks), exactly as printpdf encodes the text.
    pub(crate) fn width(self, text: &str, size: f32) -> f32 {
        let face = self.face();
        let units_per_em = f32::from(face.pdf_font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                let gid = face.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                u32::from(face.get_horizontal_advance(gid))
            })
            .sum();
        units as f32 * size / units_per_em
    }

    /// Greedy word wrap of `text` into lines no wider than `max_width`
    /// points at `size` points.
    ///
    /// Words wider than a whole line are broken between characters. At most
    /// `max_lines` lines are returned; if the text does not fit, the last
    /// line ends with "…". An empty or blank `text` yields one empty line.
    pub(crate) fn wrap(
        self,
        text: &str,
        size: f32,
        max_width: f32,
        max_lines: usize,
    ) -> Vec<String> {
        let max_lines = max_lines.max(1);
        let space = self.width(" ", size);
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut current_width = 0.0_f32;

        for word in text.split_whitespace() {
            let word_width = self.width(word, size);
            if current.is_empty() && word_width <= max_width {
                current.push_str(word);
                current_width = word_width;
            } else if !current.is_empty() && current_width + space + word_width <= max_width {
                current.push(' ');
                current.push_str(word);
                current_width += space + word_width;
            } else if word_width <= max_width {
                lines.push(std::mem::take(&mut current));
                current.push_str(word);
                current_width = word_width;
            } else {
                // A word longer than a line: fill the current line with as
                // many characters as fit, then continue on fresh lines.
                if !current.is_empty() {
                    current.push(' ');
                    current_width += space;
                }
                for c in word.chars() {
                    let mut buf = [0_u8; 4];
                    let cw = self.width(c.encode_utf8(&mut buf), size);
                    if current_width + cw > max_width && !current.trim().is_empty() {
                        lines.push(std::mem::take(&mut current).trim_end().to_owned());
                        current_width = 0.0;
                    }
                    current.push(c);
                    current_width += cw;
                }
            }
            if lines.len() > max_lines {
                break;
            }
        }
        lines.push(current);

        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                // Always ends in "…": either the whole line plus "…" fits, or
                // `truncate` shortens it and appends one.
                *last = self.truncate(&format!("{last}…"), size, max_width);
            }
        }
        lines
    }

    /// `text` unchanged if it fits in `max_width` points at `size` points,
    /// otherwise its longest prefix that fits together with a trailing "…".
    pub(crate) fn truncate(self, text: &str, size: f32, max_width: f32) -> String {
        if self.width(text, size) <= max_width {
            return text.to_owned();
        }
        let ellipsis = self.width("…", size);
        let mut out = String::new();
        let mut width = 0.0_f32;
        for c in text.chars() {
            let mut buf = [0_u8; 4];
            let cw = self.width(c.encode_utf8(&mut buf), size);
            if width + cw + ellipsis > max_width {
                break;
            }
            out.push(c);
            width += cw;
        }
        let mut out = out.trim_end().trim_end_matches('…').to_owned();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Weight;

    #[test]
    fn embedded_fonts_parse_and_cover_the_scripts_we_print() {
        for weight in [Weight::Regular, Weight::Bold] {
            let face = weight.face();
            for c in "Zoë Łukasiewicz Mỹ Nguyễn €$£¥…·–".chars() {
                assert!(
                    face.lookup_glyph_index(u32::from(c))
                        .is_some_and(|g| g != 0),
                    "{weight:?} lacks {c:?}"
                );
            }
        }
    }

    #[test]
    fn width_scales_with_size_and_bold_is_wider() {
        let regular = Weight::Regular.width("US$2,500.00", 10.0);
        assert!(regular > 40.0 && regular < 80.0, "{regular}");
        assert!((Weight::Regular.width("US$2,500.00", 20.0) - 2.0 * regular).abs() < 0.01);
        assert!(Weight::Bold.width("US$2,500.00", 10.0) > regular);
    }

    #[test]
    fn wrap_respects_width_and_line_limit() {
        let text = "Accreditation assessment fee for the ISO/IEC 17024 personnel \
                    certification scheme, including two surveillance audits";
        let lines = Weight::Regular.wrap(text, 9.0, 150.0, 10);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(Weight::Regular.width(line, 9.0) <= 150.0, "{line}");
        }
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );

        let capped = Weight::Regular.wrap(text, 9.0, 150.0, 2);
        assert_eq!(capped.len(), 2);
        assert!(capped[1].ends_with('…'));
        assert!(Weight::Regular.width(&capped[1], 9.0) <= 150.0);
    }

    #[test]
    fn wrap_breaks_overlong_words() {
        let lines = Weight::Regular.wrap(&"X".repeat(200), 9.0, 100.0, 50);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Weight::Regular.width(l, 9.0) <= 100.0));
        assert_eq!(
            Weight::Regular.wrap("   ", 9.0, 100.0, 3),
            vec![String::new()]
        );
    }
}
