//! Charts drawn with plotters: to SVG text (inline in HTML), or to an SVG or PNG file chosen by
//! the file's extension. PNG text uses the bundled DejaVu Sans, so no system fonts are needed.

pub mod trend;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

const FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");

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
            crate::results::write_text_atomic(path, &svg).map_err(|e| e.to_string())
        }
        Some("png") => {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".flopmeter-")
                .suffix(".png")
                .tempfile_in(&dir)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            {
                let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| e.to_string())?;
                chart.draw(&root)?;
                root.present().map_err(|e| e.to_string())?;
            }
            tmp.persist(path)
                .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
            Ok(())
        }
        _ => Err(format!(
            "unsupported chart file '{}': use a .svg or .png name",
            path.display()
        )),
    }
}
