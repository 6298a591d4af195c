//! Charts drawn with plotters: to SVG text (inline in HTML), or to an SVG or PNG file chosen by
//! the file's extension. PNG text uses the bundled DejaVu Sans, so no system fonts are needed.

pub mod trend;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

const FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");

/// A range a log axis can draw: positive, finite, at most 12 decades (plotters computes its
/// ticks by stepping through the range, so zero, subnormal or infinite ends never finish).
pub fn log_range(lo: f64, hi: f64) -> (f64, f64) {
    let sane = |v: f64| v.is_finite() && (1e-12..=1e15).contains(&v);
    let (lo, hi) = match (sane(lo), sane(hi)) {
        (true, true) if lo <= hi => (lo, hi),
        (true, true) => (hi, lo),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => (1.0, 1.0),
    };
    (lo.max(hi / 1e12), hi)
}

/// The legend every chart draws, in one corner.
pub fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    corner: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| e.to_string())
}

/// Registers the bundled font under the family name "sans-serif" (once).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse (a test draws a PNG).
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Something that draws itself on any plotters backend.
pub trait Chart {
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String>;
}

pub const SIZE: (u32, u32) = (960, 560);

/// The chart as SVG markup.
pub fn to_svg_string(chart: &impl Chart, size: (u32, u32)) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        chart.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The chart as a PNG image, drawn and encoded in memory.
pub fn to_png_bytes(chart: &impl Chart, size: (u32, u32)) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    register_font();
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        chart.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(png)
}

/// Writes the chart to `path`: .svg or .png.
pub fn to_file(chart: &impl Chart, path: &Path, size: (u32, u32)) -> Result<(), String> {
    register_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("svg") => {
            let svg = to_svg_string(chart, size)?;
            crate::files::write_atomic(path, &svg).map_err(|e| e.to_string())
        }
        Some("png") => {
            let png = to_png_bytes(chart, size)?;
            crate::files::write_atomic_bytes(path, &png).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "unsupported chart file '{}': use a .svg or .png name",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_ranges_are_always_finite_and_positive() {
        for (lo, hi) in [
            (0.0, 1.0),
            (5e-324, 1.0),
            (1.0, f64::INFINITY),
            (f64::NAN, f64::NAN),
            (-1.0, 5.0),
            (1e-300, 1e300),
            (3.0, 2.0),
        ] {
            let (a, b) = super::log_range(lo, hi);
            assert!(
                a.is_finite() && b.is_finite() && a > 0.0 && a <= b,
                "{lo} {hi}: {a} {b}"
            );
            assert!(b / a <= 1e12 * 1.0000001, "{lo} {hi}: {a} {b}");
        }
    }
}
