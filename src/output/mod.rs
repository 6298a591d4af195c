//! Shared pieces of human and JSON output: tables that fit the terminal, numbers with 4
//! significant figures, text made safe to print, progress, and where text goes (`-` is stdout).

pub mod clean;
pub mod numbers;
pub mod progress;
pub mod table;

use std::io::Write;
use std::path::Path;

pub use crate::units::bytes;

use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> AppResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| AppError::failed(format!("cannot encode JSON: {e}")))?;
    print_raw(&format!("{text}\n"))
}

/// Writes text for people on stdout, control characters escaped (see `clean`) and lines other
/// than tables wrapped between words to the width of the terminal (`stdout_width`).
pub fn print_text(text: &str) -> AppResult<()> {
    print_raw(&fit_lines(&clean::text(text), stdout_width()))
}

/// Each line of `text` wider than `width` broken between words, its continuation indented two
/// spaces deeper; table lines are left as the table laid them out.
pub fn fit_lines(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.starts_with(['┌', '│', '╞', '└']) || console::measure_text_width(body) <= width
        {
            out += line;
            continue;
        }
        let indent = &body[..body.len() - body.trim_start().len()];
        let wrapped = table::wrap(
            body.trim_start(),
            Some(width.saturating_sub(indent.len() + 2).max(20)),
        );
        for (i, l) in wrapped.lines().enumerate() {
            // The first line keeps its indent; the others go two deeper.
            let room = if i == 0 {
                indent.to_string()
            } else {
                format!("{indent}  ")
            };
            out += &format!("{room}{l}\n");
        }
        if !line.ends_with('\n') {
            out.pop();
        }
    }
    out
}

/// Writes on stdout; a failed write (a full disk) is an error, not a panic.
fn print_raw(text: &str) -> AppResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| AppError::failed(format!("cannot write to stdout: {e}")))
}

/// `-` names stdout for an output file (`--markdown -`, `--csv -`, `--html -`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `text` to `path` atomically, or to stdout for `-`.
pub fn write_output(path: &Path, text: &str) -> AppResult<()> {
    if is_stdout(path) {
        return print_raw(text);
    }
    crate::files::write_atomic(path, text)?;
    Ok(())
}

/// The width that tables and notes are fitted to. `COLUMNS` decides when it is set (0 or a
/// value that is not a number: do not fit), else the terminal's width when stdout is one.
/// Pipes, files and terminals of width 0 (each rank's pseudo-terminal under mpirun) are not
/// fitted: rows stay whole however long.
pub fn stdout_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS").ok();
    let term = console::Term::stdout();
    let terminal = term
        .is_term()
        .then(|| term.size_checked().map(|(_, w)| usize::from(w)))
        .flatten();
    fit_width(columns.as_deref(), terminal)
}

fn fit_width(columns: Option<&str>, terminal: Option<usize>) -> Option<usize> {
    const NARROWEST: usize = 20;
    let width = match columns {
        Some(c) => c.trim().parse::<usize>().ok(),
        None => terminal,
    };
    width.filter(|w| *w > 0).map(|w| w.max(NARROWEST))
}

/// TFLOP/s with 4 significant figures, from 3.765e-4 to 1979.
pub fn tflops(v: f64) -> String {
    numbers::sig(v)
}

/// A fraction as a percentage: one decimal from 1%, two significant figures below.
pub fn percent(v: f64) -> String {
    let p = v * 100.0;
    if !p.is_finite() {
        return format!("{p}%");
    }
    if p.abs() >= 1.0 || p == 0.0 {
        format!("{p:.1}%")
    } else {
        let decimals = (1.0 - p.abs().log10().floor()) as usize;
        format!("{p:.decimals$}%")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_fit_only_a_known_width() {
        assert_eq!(fit_width(None, Some(120)), Some(120));
        // mpirun gives each rank a pseudo-terminal of width 0: do not fit.
        assert_eq!(fit_width(None, Some(0)), None);
        assert_eq!(fit_width(None, None), None);
        // COLUMNS wins, in a pipe too; 0 or garbage means "do not fit".
        assert_eq!(fit_width(Some("80"), None), Some(80));
        assert_eq!(fit_width(Some("200"), Some(80)), Some(200));
        assert_eq!(fit_width(Some("0"), Some(80)), None);
        assert_eq!(fit_width(Some("wide"), Some(80)), None);
        assert_eq!(fit_width(Some("5"), None), Some(20));
    }

    #[test]
    fn formats() {
        assert_eq!(tflops(989.44), "989.4");
        assert_eq!(tflops(1978.9), "1979");
        assert_eq!(tflops(1.64), "1.640");
        assert_eq!(tflops(19.5), "19.50");
        assert_eq!(tflops(0.38412), "0.3841");
        assert_eq!(tflops(0.0003765), "3.765e-4");
        assert_eq!(percent(0.8034), "80.3%");
        assert_eq!(percent(0.0028), "0.28%");
        assert_eq!(percent(0.000034), "0.0034%");
        assert_eq!(percent(1.5), "150.0%");
        assert_eq!(percent(0.0), "0.0%");
    }

    #[test]
    fn long_lines_wrap_between_words_and_tables_stay() {
        let text = "source: AnandTech and ComputerBase K80 launch tables; Epoch AI 0.4282 TFLOP/s\n│ a ┆ 1024x1024x1024 ┆ a very long table line that is wider than the width │\nshort\n";
        let out = fit_lines(text, Some(40));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].len() <= 40 && lines[1].starts_with("  "), "{out}");
        assert!(out.contains("0.4282") && out.contains("│ a ┆ 1024x1024x1024 ┆ a very long"));
        assert!(out.ends_with("short\n"));
        assert_eq!(fit_lines(text, None), text);
    }

    #[test]
    fn a_dash_is_stdout() {
        assert!(is_stdout(Path::new("-")));
        assert!(!is_stdout(Path::new("./-")));
    }
}
