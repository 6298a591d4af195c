//! Shared pieces of human and JSON output.

pub mod numbers;

pub use crate::units::bytes;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> AppResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| AppError::failed(format!("cannot encode JSON: {e}")))?;
    crate::console::print_line(&text).map_err(AppError::failed)
}

/// The width to wrap tables to: the terminal's, when stdout is one and reports a usable width.
/// Piped output, and terminals of width 0 or unknown (each rank's pseudo-terminal under
/// mpirun), are not wrapped: rows stay whole.
fn wrap_width(is_terminal: bool, width: Option<u16>) -> Option<u16> {
    const NARROWEST: u16 = 20;
    width.filter(|w| is_terminal && *w >= NARROWEST)
}

/// A table with flopmeter's look.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    match wrap_width(t.is_tty(), t.width()) {
        Some(w) => t
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(w),
        None => t.set_content_arrangement(ContentArrangement::Disabled),
    };
    t
}

/// Writing into a closed pipe (`flopmeter peaks | head -2`) ends the process quietly, as
/// `ls | head` does, instead of a panic from println!: Rust ignores SIGPIPE by default.
pub fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: resets one signal's disposition to the default before any thread is started; no
    // handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_wrap_only_to_a_real_terminal_width() {
        assert_eq!(wrap_width(true, Some(120)), Some(120));
        // mpirun gives each rank a pseudo-terminal of width 0: do not wrap.
        assert_eq!(wrap_width(true, Some(0)), None);
        assert_eq!(wrap_width(true, None), None);
        assert_eq!(wrap_width(false, Some(120)), None);
    }

    #[test]
    fn formats() {
        assert_eq!(tflops(989.44), "989.4");
        assert_eq!(tflops(19.5), "19.50");
        assert_eq!(tflops(0.38412), "0.3841");
        assert_eq!(percent(0.8034), "80.3%");
    }
}
