//! Shared pieces of human and JSON output.

pub mod numbers;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> AppResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| AppError::failed(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// A table with flopmeter's look.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // Wrap to the terminal's width only on a terminal: piped or under mpirun, keep rows whole.
    let arrangement = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    };
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(arrangement)
        .set_header(header.to_vec());
    t
}

/// TFLOP/s with sensible precision for both 0.05 and 1979.
pub fn tflops(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

pub fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(tflops(989.44), "989.4");
        assert_eq!(tflops(19.5), "19.50");
        assert_eq!(tflops(0.38412), "0.3841");
        assert_eq!(percent(0.8034), "80.3%");
        assert_eq!(bytes(2 * 1024 * 1024 * 1024), "2.0 GiB");
        assert_eq!(bytes(512), "512 B");
    }
}
