//! The bundled training runs (`data/trend/*.csv`): one point per run, its date, and its compute.
//! A `derived` run's compute is computed here from its inputs through the estimator
//! (`crate::estimate::model`), never copied; the published total is kept beside it as a check.
//! A `reported` run uses the published total, labelled as such.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::date::{fractional_year, parse_date};
use super::eras::era_of;
use crate::estimate::model::{
    hardware_flop, ops_flop, pfs_days, Hardware, Passes, Workload, SECONDS_PER_DAY,
};
use crate::peaks::lookup;

/// The data files, in the order they are read.
const FILES: [(&str, &str); 2] = [
    (
        "data/trend/ai_and_compute.csv",
        include_str!("../../data/trend/ai_and_compute.csv"),
    ),
    (
        "data/trend/modern.csv",
        include_str!("../../data/trend/modern.csv"),
    ),
];

/// Where a point's compute comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Computed here from the published inputs.
    Derived,
    /// A published total, used as given.
    Reported,
}

/// How a derived point is computed: the methods of AI and Compute, and 6ND for transformers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Chips x peak x days x utilization (method 2).
    Hardware,
    /// MACs per example x 2 x 3 x examples x epochs (method 1).
    Ops,
    /// 6 x parameters x tokens.
    #[serde(rename = "6nd")]
    SixNd,
}

/// Who published a total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Publisher {
    /// OpenAI's "AI and Compute": its appendix or its chart.
    AiAndCompute,
    /// Epoch AI's estimate (Notable AI Models).
    Epoch,
    /// The run's own paper or report.
    Paper,
}

impl Publisher {
    /// A short tag for tables.
    pub fn tag(self) -> &'static str {
        match self {
            Publisher::AiAndCompute => "AI&C",
            Publisher::Epoch => "Epoch",
            Publisher::Paper => "paper",
        }
    }
}

/// One row of a data file, as written.
#[derive(Debug, Clone, Deserialize)]
struct Row {
    name: String,
    date: String,
    basis: Basis,
    method: Option<Method>,
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
    reported_by: Option<Publisher>,
    landmark: Option<String>,
    source: String,
}

/// One run on the trend chart.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub name: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// Fractional year (2012.41), the x of the fit.
    pub year: f64,
    /// The era the date falls in (`eras.csv`), if any.
    pub era: Option<&'static str>,
    /// The compute plotted and fitted.
    pub pfs_days: f64,
    pub basis: Basis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// The calculation, for derived points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    /// The published total: the value itself for a reported point, the check for a derived one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_pfs_days: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<Publisher>,
    pub source: String,
    /// Labelled on the chart.
    pub landmark: bool,
    /// Given with `trend --add`: drawn against the fits, never fitted.
    pub user: bool,
}

/// What is wrong with a row of a bundled data file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{0}: {1}")]
    Csv(String, csv::Error),
    #[error("{file}: run '{name}': {problem}")]
    Row {
        file: String,
        name: String,
        problem: String,
    },
}

/// A training step is a forward and a backward pass (twice the forward), as AI and Compute.
const TRAIN: Passes = Passes {
    backward_factor: 2.0,
    recompute: false,
};

fn need(v: Option<f64>, what: &str) -> Result<f64, String> {
    match v {
        Some(x) if x.is_finite() && x > 0.0 => Ok(x),
        Some(x) => Err(format!("{what} must be positive, not {x}")),
        None => Err(format!("{what} is missing")),
    }
}

fn six_nd(r: &Row) -> Result<(f64, String), String> {
    let (n, d) = (need(r.params, "params")?, need(r.tokens, "tokens")?);
    let w = Workload::Transformer {
        params: n,
        tokens: d,
        attention: None,
    };
    Ok((
        ops_flop(&w, &TRAIN),
        format!("6 x {n:e} parameters x {d:e} tokens"),
    ))
}

fn per_example(r: &Row) -> Result<(f64, String), String> {
    let macs = need(r.macs_per_example, "macs_per_example")?;
    let examples = need(r.examples, "examples")?;
    let epochs = need(r.epochs.or(Some(1.0)), "epochs")?;
    let w = Workload::PerExample {
        forward_flop: 2.0 * macs,
        examples,
        epochs,
    };
    Ok((
        ops_flop(&w, &TRAIN),
        format!("{macs:e} MACs x 2 x 3 x {examples:e} examples x {epochs} epochs"),
    ))
}

fn hardware_time(r: &Row) -> Result<(f64, String), String> {
    let gpu = r.gpu.as_deref().ok_or("gpu is missing")?;
    let chip = lookup(gpu).map_err(|e| e.to_string())?.row;
    let (peak, what) = match r.peak_tflops {
        Some(_) => (
            need(r.peak_tflops, "peak_tflops")?,
            "as published".to_string(),
        ),
        None => {
            let dtype = chip
                .default_training_dtype()
                .ok_or("the chip has no float peak")?;
            let peak = chip.board_peak(dtype).ok_or("the chip has no peak")?;
            (peak, format!("{dtype} rated"))
        }
    };
    let count = need(r.count, "count")?;
    let days = need(r.days, "days")?;
    let u = need(r.utilization, "utilization")?;
    let h = Hardware {
        peak_tflops: peak,
        count,
        goodput: 1.0,
    };
    Ok((
        hardware_flop(&h, days * SECONDS_PER_DAY, u),
        format!(
            "{count} x {} at {peak} TFLOP/s ({what}) x {days} days x {u} utilization",
            chip.key
        ),
    ))
}

/// The compute of a derived row through the estimator, and the calculation in words.
fn derive(r: &Row, m: Method) -> Result<(f64, String), String> {
    match m {
        Method::SixNd => six_nd(r),
        Method::Ops => per_example(r),
        Method::Hardware => hardware_time(r),
    }
}

/// A published total with its publisher, when the row has one.
fn published(r: &Row) -> Result<Option<(f64, Publisher)>, String> {
    match (r.reported_pfs_days, r.reported_by) {
        (None, None) => Ok(None),
        (Some(_), Some(by)) => Ok(Some((need(r.reported_pfs_days, "reported_pfs_days")?, by))),
        (Some(_), None) => Err("reported_pfs_days has no reported_by".into()),
        (None, Some(_)) => Err("reported_by has no reported_pfs_days".into()),
    }
}

fn point(r: Row) -> Result<Point, String> {
    let date = parse_date(&r.date).ok_or_else(|| format!("date '{}' is not YYYY-MM-DD", r.date))?;
    if r.source.trim().is_empty() {
        return Err("source is empty".into());
    }
    let published = published(&r)?;
    let (pfs, how) = match (r.basis, r.method) {
        (Basis::Derived, Some(m)) => {
            let (flop, how) = derive(&r, m)?;
            (pfs_days(flop), Some(how))
        }
        (Basis::Derived, None) => return Err("a derived run needs a method".into()),
        (Basis::Reported, None) => {
            let (p, _) = published.ok_or("a reported run needs reported_pfs_days")?;
            (p, None)
        }
        (Basis::Reported, Some(_)) => return Err("a reported run has no method".into()),
    };
    let landmark = match r.landmark.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("yes") => true,
        Some(other) => return Err(format!("landmark is 'yes' or empty, not '{other}'")),
    };
    Ok(Point {
        era: era_of(date),
        date: date.format("%Y-%m-%d").to_string(),
        year: fractional_year(date),
        pfs_days: pfs,
        basis: r.basis,
        method: r.method,
        how,
        reported_pfs_days: published.map(|p| p.0),
        reported_by: published.map(|p| p.1),
        source: r.source,
        landmark,
        user: false,
        name: r.name,
    })
}

fn read(file: &str, text: &str) -> Result<Vec<Point>, DataError> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize::<Row>()
        .map(|row| {
            let row = row.map_err(|e| DataError::Csv(file.into(), e))?;
            let name = row.name.clone();
            point(row).map_err(|problem| DataError::Row {
                file: file.into(),
                name,
                problem,
            })
        })
        .collect()
}

/// Every bundled run, oldest first, or what is wrong with the data files.
pub fn load() -> Result<Vec<Point>, DataError> {
    let mut all = Vec::new();
    for (file, text) in FILES {
        all.extend(read(file, text)?);
    }
    all.sort_by(|a, b| a.year.total_cmp(&b.year));
    Ok(all)
}

static RUNS: LazyLock<Vec<Point>> =
    LazyLock::new(|| load().unwrap_or_else(|e| panic!("bundled trend data: {e}")));

/// Every bundled run, oldest first. The data is compiled in; a test loads it.
pub fn bundled_runs() -> &'static [Point] {
    &RUNS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(name: &str) -> &'static Point {
        bundled_runs()
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no run {name}"))
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a / b - 1.0).abs()
    }

    #[test]
    fn the_data_files_load_and_every_run_has_a_source() {
        let runs = load().unwrap();
        assert!(runs.len() >= 60, "{}", runs.len());
        for p in &runs {
            assert!(p.pfs_days.is_finite() && p.pfs_days > 0.0, "{}", p.name);
            assert!(!p.source.is_empty() && p.era.is_some(), "{}", p.name);
            assert_eq!(p.method.is_some(), p.basis == Basis::Derived, "{}", p.name);
        }
        let mut names: Vec<_> = runs.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), runs.len(), "a run is listed twice");
    }

    #[test]
    fn derived_runs_agree_with_the_totals_published_beside_them() {
        // The appendix's own arithmetic: AlexNet 0.0058, NAS 31 pfs-days (within its rounding).
        assert!(rel(find("AlexNet").pfs_days, 0.0058) < 0.02);
        assert!(rel(find("Neural Architecture Search").pfs_days, 31.0) < 0.02);
        // GPT-3's 6ND against the 3640 pfs-days of its Table D.1.
        let gpt3 = find("GPT-3 175B");
        assert!(rel(gpt3.pfs_days, gpt3.reported_pfs_days.unwrap()) < 0.01);
        // Every derived point of the paper's figure is within 5% of the appendix.
        for p in bundled_runs() {
            if p.basis == Basis::Derived && p.reported_by == Some(Publisher::AiAndCompute) {
                let check = p.reported_pfs_days.unwrap();
                assert!(rel(p.pfs_days, check) < 0.05, "{}: {}", p.name, p.pfs_days);
            }
        }
    }

    #[test]
    fn opt_175b_trained_300b_tokens_not_its_180b_corpus() {
        // metaseq's logbook: "completed its training run on 300B tokens"; the corpus is 180B.
        let opt = find("OPT-175B");
        let hand = 6.0 * 175e9 * 300e9 / 8.64e19;
        assert!(rel(opt.pfs_days, hand) < 1e-12, "{}", opt.pfs_days);
        assert!((opt.pfs_days - 3645.833).abs() < 0.001);
        assert!(opt.how.as_deref().unwrap().contains("3e11 tokens"));
    }

    #[test]
    fn every_derived_6nd_run_is_near_its_published_total() {
        // Tokens trained, not corpus size; active, not total, parameters of a mixture of
        // experts: a run counted with the wrong one lands far from its published total (OPT with
        // its 180B-token corpus was 0.44x). Published totals above 6ND by up to 1.4x count
        // hardware FLOP (activation recomputation: OPT, MT-NLG) or attention and embeddings
        // (Gopher); Llama 3-70B's is Epoch's geometric mean with its GPU-hours.
        let mut checked = 0;
        for p in bundled_runs() {
            if p.method == Some(Method::SixNd) {
                let ratio = p.reported_pfs_days.unwrap() / p.pfs_days;
                assert!(
                    (0.85..1.4).contains(&ratio),
                    "{}: published/6ND {ratio}",
                    p.name
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 16);
    }

    #[test]
    fn reported_runs_keep_the_published_value_and_say_so() {
        let agz = find("AlphaGo Zero");
        assert_eq!((agz.basis, agz.pfs_days), (Basis::Reported, 1860.0));
        assert!(agz.how.is_none() && agz.method.is_none());
        assert_eq!(agz.reported_by, Some(Publisher::AiAndCompute));
    }

    #[test]
    fn bad_rows_are_refused_with_the_reason() {
        let header = "name,date,basis,method,params,tokens,macs_per_example,examples,epochs,gpu,\
                      count,days,utilization,peak_tflops,reported_pfs_days,reported_by,landmark,\
                      source\n";
        for (row, needle) in [
            (
                "x,2020-01-01,derived,6nd,1e9,,,,,,,,,,,,,s",
                "tokens is missing",
            ),
            (
                "x,2020-01-01,derived,,1e9,1e9,,,,,,,,,,,,s",
                "needs a method",
            ),
            (
                "x,2020-01-01,reported,,,,,,,,,,,,,,,s",
                "needs reported_pfs_days",
            ),
            ("x,2020-01-01,reported,,,,,,,,,,,,5,,,s", "no reported_by"),
            ("x,2020-13-01,reported,,,,,,,,,,,,5,epoch,,s", "2020-13-01"),
            (
                "x,2020-01-01,reported,,,,,,,,,,,,5,epoch,,",
                "source is empty",
            ),
            (
                "x,2020-01-01,derived,hardware,,,,,,K80,1,1,-1,,,,,s",
                "utilization",
            ),
            (
                "x,2020-01-01,derived,hardware,,,,,,No Such Chip,1,1,0.3,,,,,s",
                "No Such",
            ),
        ] {
            let e = read("t.csv", &format!("{header}{row}\n")).unwrap_err();
            assert!(e.to_string().contains(needle), "{row}: {e}");
        }
    }
}
