//! `flopmeter trend`: the runs of a window, each era's doubling time beside the published one,
//! and the chart.

mod render;

use std::path::Path;

use serde::Serialize;

use crate::charts::{to_file, trend::TrendChart};
use crate::cli::TrendArgs;
use crate::error::{AppError, AppResult};
use crate::output::print_json;
use crate::trend::data::Point;
use crate::trend::view::{view, TrendView};
use crate::trend::window::{parse_added, parse_year, Window, DEFAULT_SINCE};
use render::text;

/// The JSON document: the view, and the chart written.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    view: &'a TrendView,
    plot: Option<&'a Path>,
}

fn year(flag: &str, s: &str) -> AppResult<i32> {
    parse_year(s).map_err(|e| AppError::usage(format!("invalid --{flag} '{s}': {e}")))
}

fn window(args: &TrendArgs) -> AppResult<Window> {
    let since = args
        .since
        .as_deref()
        .map(|s| year("since", s))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| year("until", s))
        .transpose()?;
    let first = since.unwrap_or(DEFAULT_SINCE);
    if let Some(u) = until.filter(|u| *u < first) {
        return Err(AppError::usage(match since {
            Some(s) => format!("--since {s} is after --until {u}"),
            None => format!(
                "--until {u} is before the default --since {DEFAULT_SINCE}: give --since as well"
            ),
        }));
    }
    Ok(Window {
        since: Some(first),
        until,
    })
}

fn added(args: &TrendArgs) -> AppResult<Vec<Point>> {
    args.add
        .iter()
        .map(|a| parse_added(a).map_err(|e| AppError::usage(format!("invalid --add '{a}': {e}"))))
        .collect()
}

fn check_plot(path: &Path, json: bool) -> AppResult<()> {
    if crate::output::is_stdout(path) {
        return if json {
            Err(AppError::usage(
                "--plot - and --json both write to stdout: give --plot a file name",
            ))
        } else {
            Ok(())
        };
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("svg") | Some("png")) {
        return Err(AppError::usage(format!(
            "invalid --plot '{}': use a .svg or .png file name, or - for SVG on stdout",
            path.display()
        )));
    }
    // A path that cannot be written is the user's to fix: bad input.
    crate::files::check_output(path, &[]).map_err(|e| AppError::usage(e.to_string()))
}

pub fn run(args: &TrendArgs, json: bool) -> AppResult<()> {
    let window = window(args)?;
    let added = added(args)?;
    if let Some(p) = &args.plot {
        check_plot(p, json)?;
    }
    let v = view(window, added);
    if let Some(path) = &args.plot {
        to_file(&TrendChart { view: &v }, path, args.plot_size).map_err(AppError::failed)?;
    }
    if json {
        return print_json(&Output {
            view: &v,
            plot: args.plot.as_deref(),
        });
    }
    if args.plot.as_deref().is_some_and(crate::output::is_stdout) {
        // stdout carries the chart.
        return Ok(());
    }
    let mut out = text(&v, args.verbose, crate::output::stdout_width());
    if let Some(p) = &args.plot {
        out += &format!("Chart written to {}\n", p.display());
    }
    crate::output::print_text(&out)
}
