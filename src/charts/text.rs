//! Text sizes from the bundled DejaVu Sans (the face PNGs are drawn with, and the one SVGs ask
//! a browser for first), so layouts know how much room each label takes.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};

pub const FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");

/// The fonts an SVG asks for: DejaVu Sans, else the closest in width.
pub const FAMILY: &str = "DejaVu Sans, Verdana, Bitstream Vera Sans, sans-serif";

/// DejaVu Sans' ascent-to-descent height per em: plotters sizes fonts by that height, CSS by
/// the em.
pub const EM_TO_HEIGHT: f64 = (1901.0 + 483.0) / 2048.0;

/// Room for a browser's font being a little wider than DejaVu Sans, and for bold.
const SLACK: f64 = 1.06;
const BOLD: f64 = 1.1;

fn font() -> &'static FontRef<'static> {
    static F: OnceLock<FontRef<'static>> = OnceLock::new();
    F.get_or_init(|| FontRef::try_from_slice(FONT).expect("the bundled font parses"))
}

/// Width of `text` at `size` px (the em), with slack.
pub fn width(text: &str, size: f64, bold: bool) -> f64 {
    let f = font();
    let upem = f64::from(f.units_per_em().unwrap_or(2048.0));
    let units: f64 = text
        .chars()
        .map(|c| f64::from(f.h_advance_unscaled(f.glyph_id(c))))
        .sum();
    units / upem * size * SLACK * if bold { BOLD } else { 1.0 }
}

/// Height a line of text at `size` px takes, ascent to descent.
pub fn height(size: f64) -> f64 {
    size * EM_TO_HEIGHT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_text_and_size() {
        // DejaVu Sans digits are 1303/2048 of an em wide.
        let w = width("0000", 14.0, false);
        assert!(
            (w - 4.0 * 1303.0 / 2048.0 * 14.0 * SLACK).abs() < 1e-6,
            "{w}"
        );
        assert!(width("0000", 20.0, false) > w);
        assert!(width("0000", 14.0, true) > w);
        assert_eq!(width("", 14.0, false), 0.0);
        assert!((height(10.0) - 11.640625).abs() < 1e-9);
    }
}
