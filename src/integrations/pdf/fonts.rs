//! Fonts shared by the PDF renderers: DejaVu Sans regular and bold, embedded
//! in the binary at compile time (`invoices/fonts/`, licence in
//! `invoices/fonts/LICENSE`) and parsed once per process.
//!
//! Also holds text measurement and line wrapping, which must use the very
//! advance widths printpdf writes into the PDF's `/W` array, so that
//! right-aligned and wrapped text lands where it is measured to land.
//!
//! Limits: DejaVu Sans covers Latin (incl. Vietnamese), Greek and Cyrillic,
//! but not CJK. For characters it lacks there is a fallback face, Droid Sans
//! Fallback (CJK; one weight; `invoices/fonts/LICENSE-DroidSansFallback`),
//! also embedded but parsed only the first time a string needs it. printpdf
//! does no font fallback itself, so text is split into runs by face
//! ([`Weight::runs`], the one splitter both layouts draw and measure with)
//! and each run is drawn with its own font; a document embeds the fallback
//! face only if it draws such a run (see `document`). Characters neither
//! face has print as DejaVu's `.notdef` box. Text is not shaped (no
//! kerning, no mark positioning), so pass NFC-normalised strings.

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

/// Droid Sans Fallback Full (Apache-2.0): CJK ideographs, kana, hangul and
/// more, for the characters DejaVu lacks. 4 MB, so parsed lazily.
const FALLBACK_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/invoices/fonts/DroidSansFallbackFull.ttf"
));

/// The fallback face, parsed on first use (some 10² ms once) and cached for
/// the life of the process.
///
/// # Panics
/// Only if the embedded fallback font is not valid TrueType, a build defect
/// caught by this module's tests.
pub(crate) fn fallback_face() -> &'static ParsedFont {
    static FALLBACK: OnceLock<ParsedFont> = OnceLock::new();
    FALLBACK.get_or_init(|| {
        ParsedFont::from_bytes(FALLBACK_TTF, 0, &mut Vec::new())
            .expect("embedded font DroidSansFallbackFull.ttf is not a valid TrueType font")
    })
}

/// Whether `face` has a real glyph (not `.notdef`) for `c`.
fn has_glyph(face: &ParsedFont, c: char) -> bool {
    face.lookup_glyph_index(u32::from(c))
        .is_some_and(|gid| gid != 0)
}

/// Which embedded face draws a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FontSource {
    /// DejaVu Sans in the run's weight.
    Primary,
    /// Droid Sans Fallback (a single weight; bold runs are emboldened by
    /// stroking when drawn).
    Fallback,
}

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

    /// The face that draws `c` in this weight: DejaVu if it has the glyph,
    /// else the fallback if *it* has it, else DejaVu (its `.notdef`).
    ///
    /// The fallback face is parsed only when DejaVu lacks `c`.
    pub(crate) fn source(self, c: char) -> FontSource {
        if has_glyph(self.face(), c) || !has_glyph(fallback_face(), c) {
            FontSource::Primary
        } else {
            FontSource::Fallback
        }
    }

    /// Whether this weight's DejaVu face or the fallback face has a glyph
    /// for `c` (if neither has, `c` prints as a `.notdef` box).
    pub(crate) fn can_draw(self, c: char) -> bool {
        has_glyph(self.face(), c) || has_glyph(fallback_face(), c)
    }

    /// `text` split into maximal runs drawn with one face each, in order.
    ///
    /// Whitespace and other characters both faces can draw stay in the run
    /// they follow (so "山田 太郎" is one fallback run, and extracts as one
    /// word group); an empty `text` yields no runs.
    pub(crate) fn runs(self, text: &str) -> Vec<(FontSource, &str)> {
        let mut runs: Vec<(FontSource, &str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<FontSource> = None;
        for (index, c) in text.char_indices() {
            let mut source = self.source(c);
            if let Some(cur) = current {
                if source != cur && c.is_whitespace() && self.source_face(cur, c) {
                    source = cur;
                }
                if source != cur {
                    runs.push((cur, &text[start..index]));
                    start = index;
                }
            }
            current = Some(source);
        }
        if let Some(cur) = current {
            runs.push((cur, &text[start..]));
        }
        runs
    }

    /// Whether the face `source` stands for (in this weight) draws `c`.
    fn source_face(self, source: FontSource, c: char) -> bool {
        match source {
            FontSource::Primary => has_glyph(self.face(), c),
            FontSource::Fallback => has_glyph(fallback_face(), c),
        }
    }

    /// Width of `text` set at `size` points, in points.
    ///
    /// Sums the `hmtx` advance of each character's glyph in the face that
    /// draws it (see [`Weight::runs`]; `.notdef` for characters no face
    /// has), exactly as printpdf encodes the text.
    pub(crate) fn width(self, text: &str, size: f32) -> f32 {
        self.runs(text)
            .into_iter()
            .map(|(source, run)| {
                let face = match source {
                    FontSource::Primary => self.face(),
                    FontSource::Fallback => fallback_face(),
                };
                advance_units(face, run) * size
            })
            .sum()
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

/// Sum of the advances of `text`'s glyphs in `face`, in ems.
fn advance_units(face: &ParsedFont, text: &str) -> f32 {
    let units_per_em = f32::from(face.pdf_font_metrics.units_per_em.max(1));
    let units: u32 = text
        .chars()
        .map(|c| {
            let gid = face.lookup_glyph_index(u32::from(c)).unwrap_or(0);
            u32::from(face.get_horizontal_advance(gid))
        })
        .sum();
    units as f32 / units_per_em
}

#[cfg(test)]
mod tests {
    use super::{fallback_face, FontSource, Weight};

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

    #[test]
    fn cjk_falls_back_to_droid_in_runs() {
        use FontSource::{Fallback, Primary};
        assert_eq!(
            Weight::Regular.runs("Zoë Łukasiewicz Пётр Αλέξανδρος Mỹ"),
            vec![(Primary, "Zoë Łukasiewicz Пётр Αλέξανδρος Mỹ")]
        );
        assert_eq!(
            Weight::Regular.runs("山田 太郎"),
            vec![(Fallback, "山田 太郎")]
        );
        assert_eq!(
            Weight::Bold.runs("Dr 山田 (PCAP)"),
            vec![(Primary, "Dr "), (Fallback, "山田 "), (Primary, "(PCAP)")]
        );
        assert!(Weight::Regular.runs("").is_empty());
        // A character neither face has stays with DejaVu (its .notdef box).
        assert_eq!(Weight::Regular.source('\u{E000}'), Primary);
        // Ideographs are one em wide in the fallback face.
        let em = Weight::Regular.width("山", 20.0);
        assert!((em - 20.0).abs() < 0.5, "{em}");
        assert!(fallback_face().num_glyphs() > 10_000);
        // Droid Sans Fallback has no Hangul syllables.
        assert!(Weight::Bold.can_draw('山') && !Weight::Bold.can_draw('김'));
    }
}
