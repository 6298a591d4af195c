//! Charts for people and slides: each chart lays itself out as a `Scene` (every text's size
//! known from the bundled font, so labels never overlap or leave the canvas), written as SVG
//! (inline in HTML, with hover values) or drawn into a PNG through plotters' bitmap backend.
//! Text is 13 px or more, ticks are plain numbers, log axes only where values span over 10x.

pub mod axis;
pub mod frame;
pub mod scene;
pub mod text;
pub mod time;
pub mod trend;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

pub use scene::{Rgb, Scene};

/// Series colours (matplotlib's tab10), in order.
pub fn color(i: usize) -> Rgb {
    const C: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = C[i % C.len()];
    Rgb(r, g, b)
}

/// Registers the bundled font under the family name "sans-serif" (once), for PNGs.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse (a test draws a PNG).
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, text::FONT);
    });
}

/// Something that lays itself out at a size.
pub trait Chart {
    fn scene(&self, size: (u32, u32)) -> Result<Scene, String>;
}

/// The default size of a chart, pixels: a 16:9-ish slide panel.
pub const SIZE: (u32, u32) = (960, 560);
/// Sizes `--plot-size` accepts, pixels.
pub const MIN_SIZE: (u32, u32) = (480, 320);
pub const MAX_SIZE: (u32, u32) = (4000, 4000);

/// The chart as SVG markup.
pub fn to_svg_string(chart: &impl Chart, size: (u32, u32)) -> Result<String, String> {
    Ok(chart.scene(size)?.to_svg())
}

/// The chart as PNG bytes.
pub fn to_png(chart: &impl Chart, size: (u32, u32)) -> Result<Vec<u8>, String> {
    register_font();
    let scene = chart.scene(size)?;
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        scene.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, size.0, size.1);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&rgb).map_err(|e| e.to_string())?;
    }
    Ok(png)
}

/// Writes the chart to `path`: .svg or .png; `-` writes SVG on stdout.
pub fn to_file(chart: &impl Chart, path: &Path, size: (u32, u32)) -> Result<(), String> {
    if crate::output::is_stdout(path) {
        let svg = to_svg_string(chart, size)?;
        return crate::output::write_output(path, &svg).map_err(|e| e.to_string());
    }
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
            let png = to_png(chart, size)?;
            crate::files::write_atomic_bytes(path, &png).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "unsupported chart file '{}': use a .svg or .png name",
            path.display()
        )),
    }
}
