//! Landmark training runs (`data/landmark_runs.csv`): their inputs and sources. Compute is
//! derived through the estimator from the inputs, never copied; a reported figure is kept
//! beside it for comparison, and used only where no inputs exist.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::estimate::model::{
    hardware_flop, ops_flop, pfs_days, Hardware, Passes, Workload, PFS_DAY_FLOP, SECONDS_PER_DAY,
};
use crate::peaks::lookup;

#[derive(Debug, Clone, Deserialize)]
struct Row {
    name: String,
    date: String,
    method: String,
    params: Option<f64>,
    tokens: Option<f64>,
    macs_per_example: Option<f64>,
    examples: Option<f64>,
    epochs: Option<f64>,
    gpu: Option<String>,
    count: Option<f64>,
    days: Option<f64>,
    utilization: Option<f64>,
    peak_tflops: Option<f64>,
    reported_pfs_days: Option<f64>,
    source: String,
}

/// One point of the trend chart.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub name: String,
    pub date: String,
    /// Fractional year (2012.92).
    pub year: f64,
    pub pfs_days: f64,
    /// operations, hardware, reported, or user.
    pub method: String,
    /// How the value was computed.
    pub how: String,
    pub reported_pfs_days: Option<f64>,
    pub source: String,
    pub user: bool,
}

pub fn fractional_year(d: NaiveDate) -> f64 {
    let days_in_year = if d.leap_year() { 366.0 } else { 365.0 };
    f64::from(d.year()) + f64::from(d.ordinal0()) / days_in_year
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("invalid date '{s}': expected YYYY-MM-DD"))
}

const TRAIN: Passes = Passes {
    backward_factor: 2.0,
    recompute: false,
};

fn point(r: Row) -> Result<Point, String> {
    let date = parse_date(&r.date)?;
    let (flop, how) = match r.method.as_str() {
        "transformer" => {
            let (n, d) = (r.params.ok_or("params")?, r.tokens.ok_or("tokens")?);
            let w = Workload::Transformer {
                params: n,
                tokens: d,
                attention: None,
            };
            (
                ops_flop(&w, &TRAIN),
                format!("6ND: 6 x {n:e} parameters x {d:e} tokens"),
            )
        }
        "ops" => {
            let macs = r.macs_per_example.ok_or("macs_per_example")?;
            let w = Workload::PerExample {
                forward_flop: 2.0 * macs,
                examples: r.examples.ok_or("examples")?,
                epochs: r.epochs.unwrap_or(1.0),
            };
            (
                ops_flop(&w, &TRAIN),
                format!(
                    "{macs:e} MACs x 2 x 3 x {:e} examples x {} epochs",
                    r.examples.unwrap_or(0.0),
                    r.epochs.unwrap_or(1.0)
                ),
            )
        }
        "hardware" => {
            let gpu = r.gpu.as_deref().ok_or("gpu")?;
            let row = lookup(gpu).map_err(|e| e.to_string())?.row;
            let dtype = row.default_training_dtype().ok_or("no float peak")?;
            let peak = match r.peak_tflops {
                Some(p) => p,
                None => row.board_peak(dtype).ok_or("no peak")?,
            };
            let (count, days, u) = (
                r.count.ok_or("count")?,
                r.days.ok_or("days")?,
                r.utilization.ok_or("utilization")?,
            );
            let h = Hardware {
                peak_tflops: peak,
                count,
                goodput: 1.0,
            };
            (
                hardware_flop(&h, days * SECONDS_PER_DAY, u),
                format!(
                    "{count} x {} ({dtype} {peak} TFLOP/s) x {days} days x {u}",
                    row.key
                ),
            )
        }
        "reported" => {
            let p = r.reported_pfs_days.ok_or("reported_pfs_days")?;
            (p * PFS_DAY_FLOP, "reported".to_string())
        }
        other => return Err(format!("unknown method {other}")),
    };
    Ok(Point {
        name: r.name,
        date: r.date,
        year: fractional_year(date),
        pfs_days: pfs_days(flop),
        method: r.method,
        how,
        reported_pfs_days: r.reported_pfs_days,
        source: r.source,
        user: false,
    })
}

static RUNS: LazyLock<Vec<Point>> = LazyLock::new(|| {
    csv::Reader::from_reader(include_str!("../../data/landmark_runs.csv").as_bytes())
        .deserialize::<Row>()
        .map(|r| {
            let r = r.expect("bundled data/landmark_runs.csv parses");
            let name = r.name.clone();
            point(r).unwrap_or_else(|e| panic!("landmark run {name}: {e}"))
        })
        .collect()
});

/// Every bundled landmark run, oldest first.
pub fn landmark_runs() -> &'static [Point] {
    &RUNS
}

/// `NAME=PFS_DAYS@YYYY-MM-DD`, as given to `trend --add`.
pub fn parse_added(s: &str) -> Result<Point, String> {
    let bad = || {
        format!(
            "invalid --add '{s}': expected NAME=PFS_DAYS@YYYY-MM-DD, e.g. mymodel=120@2025-06-01"
        )
    };
    let (name, rest) = s.rsplit_once('=').ok_or_else(bad)?;
    let (value, date) = rest.split_once('@').ok_or_else(bad)?;
    if name.trim().is_empty() {
        return Err(bad());
    }
    let pfs: f64 = value.trim().parse().map_err(|_| bad())?;
    if !pfs.is_finite() || pfs <= 0.0 {
        return Err(format!(
            "invalid --add '{s}': pfs-days must be a positive number"
        ));
    }
    let d = parse_date(date).map_err(|e| format!("invalid --add '{s}': {e}"))?;
    Ok(Point {
        name: name.trim().to_string(),
        date: d.format("%Y-%m-%d").to_string(),
        year: fractional_year(d),
        pfs_days: pfs,
        method: "user".into(),
        how: "given with --add".into(),
        reported_pfs_days: None,
        source: "the user".into(),
        user: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_runs_are_computed_from_their_inputs() {
        let runs = landmark_runs();
        assert!(runs.len() >= 15);
        let find = |n: &str| runs.iter().find(|p| p.name == n).unwrap();
        // AlexNet as AI and Compute: ~0.0058 pfs-days.
        assert!((find("AlexNet").pfs_days - 0.0057).abs() < 0.0003);
        // GPT-3: 6ND agrees with the 3640 pfs-days the paper reports, within 1%.
        let gpt3 = find("GPT-3 175B");
        assert!((gpt3.pfs_days / gpt3.reported_pfs_days.unwrap() - 1.0).abs() < 0.01);
        for p in runs {
            assert!(p.pfs_days > 0.0 && !p.source.is_empty(), "{}", p.name);
        }
    }

    #[test]
    fn added_points_parse_and_bad_ones_say_why() {
        let p = parse_added("my model=120.5@2025-06-01").unwrap();
        assert_eq!(
            (p.name.as_str(), p.pfs_days, p.user),
            ("my model", 120.5, true)
        );
        assert!((p.year - 2025.41).abs() < 0.01);
        for bad in [
            "x=1",
            "x@2020-01-01",
            "=1@2020-01-01",
            "x=-1@2020-01-01",
            "x=1@2020-13-01",
            "x=abc@2020-01-01",
        ] {
            let e = parse_added(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }
}
