//! `trend` as text: a table of the runs that fits the terminal (100 columns at most), each era's
//! fit beside the figure published for it, and with `verbose` the calculation and source of
//! every run, wrapped.

use std::fmt::Write;

use crate::output::numbers::sig;
use crate::output::table::{Column, Table};
use crate::trend::data::{Basis, Method, Point};
use crate::trend::view::{EraFit, HeadlineCheck, TrendView};

/// Text lines are wrapped to this width at most.
const WIDTH: usize = 100;
/// Longer run names (only the user's can be) are cut in the table.
const NAME_CHARS: usize = 40;

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Hardware => "hardware",
        Method::Ops => "ops",
        Method::SixNd => "6ND",
    }
}

/// How the value was obtained, in a word.
fn how(p: &Point) -> &'static str {
    match (p.user, p.method) {
        (true, _) => "yours",
        (false, Some(m)) => method_label(m),
        (false, None) => "reported",
    }
}

/// Who published a total, with the total when it is a check beside a derived value.
fn published(p: &Point) -> String {
    match (p.reported_by, p.basis) {
        (Some(by), Basis::Derived) => match p.reported_pfs_days {
            Some(v) => format!("{} {}", by.tag(), sig(v)),
            None => by.tag().into(),
        },
        (Some(by), Basis::Reported) => by.tag().into(),
        (None, _) if p.user => "--add".into(),
        (None, _) => String::new(),
    }
}

fn short_name(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        return name.into();
    }
    let cut: String = name.chars().take(NAME_CHARS - 1).collect();
    format!("{cut}…")
}

fn runs_table(points: &[Point], width: usize) -> String {
    let mut t = Table::new(vec![
        Column::text("date"),
        Column::text("run").cut(16),
        Column::num("pfs-days"),
        Column::text("how"),
        Column::text("published").drop(1),
    ]);
    for p in points {
        t.row(vec![
            p.date.clone(),
            short_name(&p.name),
            sig(p.pfs_days),
            how(p).into(),
            published(p),
        ]);
    }
    t.terminal(Some(width))
}

/// A doubling time with its 95% interval (open above when growth itself is uncertain).
fn months(m: f64, [lo, hi]: [f64; 2]) -> String {
    if !m.is_finite() {
        return "no doubling (compute did not grow)".into();
    }
    let ci = if hi.is_finite() {
        format!("{} to {}", sig(lo), sig(hi))
    } else {
        format!("{} or more", sig(lo))
    };
    format!("{} months (95% interval {ci})", sig(m))
}

/// "2012-2018 (AI and Compute), 15 runs: ..." and "  AI and Compute: 3.4 months; this fit: ...".
fn era_lines(f: &EraFit) -> String {
    let p = &f.published;
    let Some(fit) = &f.fit else {
        let why = f.not_fitted.as_deref().unwrap_or("not enough runs to fit");
        return format!("{} ({}): {why}\n", f.era, f.label);
    };
    format!(
        "{} ({}), {} runs: x{} a year, R^2 {:.2}\n  {}: {}; this fit: {}\n",
        f.era,
        f.label,
        fit.points,
        sig(fit.growth_per_year),
        fit.r_squared,
        p.by,
        p.figure,
        months(fit.doubling_months, fit.doubling_months_ci),
    )
}

fn headline_line(h: &HeadlineCheck) -> String {
    format!(
        "  {} to {}: {}: {}x; this data: {}x\n",
        h.from,
        h.to,
        h.published_by,
        sig(h.published_factor),
        sig(h.factor),
    )
}

/// Each era's lines, wrapped to `width` (a continued line is indented under its own).
fn fits(v: &TrendView, width: usize) -> String {
    let mut lines = String::new();
    for f in &v.fits {
        lines += &era_lines(f);
        for h in v.headlines.iter().filter(|h| h.era == f.era) {
            lines += &headline_line(h);
        }
    }
    let mut s = wrap(
        "Doubling time, each era fitted on its own (OLS of log2 pfs-days):",
        "",
        "",
        width,
    );
    for line in lines.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        s += &wrap(line.trim_start(), indent, &format!("{indent}    "), width);
    }
    s
}

/// `text` broken into lines of at most `WIDTH` columns: the first starts with `first`, the
/// others with `rest`. A word longer than a line gets a line of its own.
fn wrap(text: &str, first: &str, rest: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out += &line;
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    if !empty {
        out += &line;
        out.push('\n');
    }
    out
}

fn sources(v: &TrendView, width: usize) -> String {
    let mut s = String::from("\nSources:\n");
    for p in &v.points {
        let calc = match (&p.how, p.reported_by) {
            (Some(h), _) => format!(" = {h};"),
            (None, Some(by)) => format!(" = reported by {};", by.tag()),
            (None, None) => String::new(),
        };
        let entry = format!("{} ({}){calc} {}", p.name, p.date, p.source);
        s += &wrap(&entry, "- ", "    ", width);
    }
    s += "\nPublished figures:\n";
    for f in &v.fits {
        s += &wrap(
            &format!("{}: {}", f.era, f.published.source),
            "- ",
            "    ",
            width,
        );
    }
    s
}

const LEGEND: &str = "how: hardware, ops, 6ND = derived here from the published inputs; \
    reported = a published total. published: who published the total (AI&C = AI and Compute), \
    with the total beside a derived value. --verbose or --json for the sources.";

/// The whole text output, for a terminal `width` wide (None: a pipe; lines are kept to 100
/// columns either way).
pub fn text(v: &TrendView, verbose: bool, width: Option<usize>) -> String {
    let width = width.unwrap_or(WIDTH).min(WIDTH);
    let mut s = String::new();
    if v.points.is_empty() {
        let _ = writeln!(s, "No runs in {}.", v.window.label());
    } else {
        s += &runs_table(&v.points, width);
    }
    s += &wrap(LEGEND, "", "", width);
    s.push('\n');
    s += &fits(v, width);
    if !v.outside_window.is_empty() {
        let names: Vec<String> = v
            .outside_window
            .iter()
            .map(|p| format!("{} ({})", short_name(&p.name), p.date))
            .collect();
        let note = format!(
            "Outside {}, not shown: {}",
            v.window.label(),
            names.join(", ")
        );
        s += &wrap(&note, "", "", width);
    }
    if verbose {
        s += &sources(v, width);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trend::view::view;
    use crate::trend::window::{parse_added, Window};

    fn default_window() -> Window {
        Window {
            since: Some(2012),
            until: None,
        }
    }

    #[test]
    fn every_line_fits_100_columns_even_verbose() {
        let long = parse_added(&format!("{}=5@2024-01-01", "a".repeat(80))).unwrap();
        let outside = parse_added(&format!("{}=5@1950-01-01", "b".repeat(120))).unwrap();
        let all_years = Window {
            since: Some(1950),
            until: None,
        };
        for width in [None, Some(80), Some(200)] {
            for (window, verbose) in [
                (default_window(), false),
                (default_window(), true),
                (all_years, false),
            ] {
                let v = view(window, vec![long.clone(), outside.clone()]);
                let out = text(&v, verbose, width);
                let limit = width.unwrap_or(WIDTH).min(WIDTH);
                for line in out.lines() {
                    // Only a word longer than a line (the 80-letter name) may stick out.
                    assert!(
                        line.chars().count() <= limit
                            || line.trim_start_matches("- ").split_whitespace().count() == 1,
                        "{}: {line}",
                        line.chars().count()
                    );
                }
            }
        }
    }

    #[test]
    fn the_comparison_with_the_paper_is_printed() {
        let out = text(&view(default_window(), vec![]), false, None);
        assert!(
            out.contains("AI and Compute: 3.4 months; this fit: 3."),
            "{out}"
        );
        assert!(out.contains("AlexNet to AlphaGo Zero: AI and Compute: 300000x"));
        assert!(out.contains("Epoch AI: 4-5x a year"));
        assert!(!out.contains("https://"), "sources only with --verbose");
    }

    #[test]
    fn wrapping_keeps_words_and_indents() {
        let long = "word ".repeat(60);
        let w = wrap(&long, "- ", "    ", WIDTH);
        assert!(w.lines().count() > 1 && w.starts_with("- word"));
        assert!(w
            .lines()
            .skip(1)
            .all(|l| l.starts_with("    word") && l.len() <= WIDTH));
        assert_eq!(wrap("", "- ", "  ", WIDTH), "");
    }
}
