//! `flopmeter trend`: the AI-and-Compute chart and its doubling time.

use serde_json::json;

use crate::charts::{to_file, trend::TrendChart, SIZE};
use crate::cli::TrendArgs;
use crate::error::{AppError, AppResult};
use crate::output::{print_json, table};
use crate::trend::data::{landmark_runs, parse_added, Point};
use crate::trend::fit::fit;

fn year(flag: &str, s: &str) -> AppResult<i32> {
    match s.trim().parse::<i32>() {
        Ok(y) if (1950..=2100).contains(&y) => Ok(y),
        _ => Err(AppError::usage(format!(
            "invalid --{flag} '{s}': expected a year such as 2012"
        ))),
    }
}

pub fn run(args: &TrendArgs, json: bool) -> AppResult<()> {
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
    if let (Some(a), Some(b)) = (since, until) {
        if a > b {
            return Err(AppError::usage(format!("--since {a} is after --until {b}")));
        }
    }
    let added = args
        .add
        .iter()
        .map(|a| parse_added(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::usage)?;
    if let Some(p) = &args.plot {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("svg") | Some("png")) {
            return Err(AppError::usage(format!(
                "invalid --plot '{}': use a .svg or .png file name",
                p.display()
            )));
        }
        crate::results::check_writable(p)?;
    }
    let in_window = |p: &Point| {
        let y = p.year.floor() as i32;
        since.is_none_or(|s| y >= s) && until.is_none_or(|u| y <= u)
    };
    let mut points: Vec<Point> = landmark_runs()
        .iter()
        .filter(|p| in_window(p))
        .cloned()
        .collect();
    points.extend(added.into_iter().filter(|p| in_window(p)));
    points.sort_by(|a, b| a.year.total_cmp(&b.year));
    // The fit is of the landmark runs: the user's own estimates are placed against it.
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|p| !p.user)
        .map(|p| (p.year, p.pfs_days))
        .unzip();
    let f = fit(&xs, &ys).map_err(AppError::usage)?;
    if let Some(path) = &args.plot {
        to_file(
            &TrendChart {
                points: &points,
                fit: &f,
            },
            path,
            SIZE,
        )
        .map_err(AppError::failed)?;
    }
    if json {
        return print_json(&json!({
            "doubling_months": f.doubling_months,
            "doubling_months_ci95": f.doubling_months_ci,
            "growth_factor": f.growth_factor,
            "slope_doublings_per_year": f.slope_per_year,
            "r_squared": f.r_squared,
            "fitted_runs": f.points,
            "window": {"since": since, "until": until},
            "points": points,
            "plot": args.plot,
        }));
    }
    let mut t = table(&["date", "run", "pfs-days", "how", "source"]);
    for p in &points {
        t.add_row(vec![
            p.date.clone(),
            if p.user {
                format!("{} (yours)", p.name)
            } else {
                p.name.clone()
            },
            format!("{:.4e}", p.pfs_days),
            p.how.clone(),
            p.source.clone(),
        ]);
    }
    println!("{t}");
    println!(
        "Doubling time: {:.1} months (95% interval {:.1} to {:.1}), x{:.3e} over the window, from {} runs (R^2 {:.2}).",
        f.doubling_months, f.doubling_months_ci[0], f.doubling_months_ci[1], f.growth_factor, f.points, f.r_squared
    );
    if let Some(p) = &args.plot {
        println!("chart written to {}", p.display());
    }
    Ok(())
}
