//! Recomputes every prior of `data/priors.csv` that has rows behind it from those rows
//! (`data/priors/*.csv`), so anyone can check a prior: its quantiles, each derived row's
//! arithmetic, and the chip-time factor that completes the MFU and goodput priors, each of its
//! runs against the factor fitted without it.

use std::collections::BTreeMap;

use super::chip_time::factor;
use super::chip_time_fit::{evidence, fits, EvidenceRun, Fit};
use super::dist::{propagate, Dist};
use super::priors::{goodput_prior, utilization_prior, DEFAULT_PRIOR};
use crate::measure::stats::quantile;
use crate::peaks::lookup;

/// Rows of a bundled evidence file, by column name (lines starting with '#' are comments).
fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize()
        .map(|r| r.expect("bundled evidence parses"))
        .collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    row[column].trim().parse().ok()
}

/// The prior's five values: min, quartiles, max of `values` (linear interpolation).
fn five_quantiles(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|p| quantile(&values, *p))
        .collect()
}

fn assert_quantiles(dist: &Dist, values: Vec<f64>, what: &str) {
    let Dist::Quantiles { values: stated } = dist else {
        panic!("{what} is not a quantile prior");
    };
    let computed = five_quantiles(values);
    for (s, c) in stated.iter().zip(&computed) {
        assert!(
            (s - c).abs() < 5e-5,
            "{what}: stated {stated:?}, rows give {computed:?}"
        );
    }
}

/// The 16-bit (or the literature's default) dense peak of a chip named as the rows name it.
fn peak(name: &str) -> f64 {
    let row = lookup(name).unwrap_or_else(|e| panic!("{name}: {e}")).row;
    row.board_peak(row.default_training_dtype().unwrap())
        .unwrap()
        * 1e12
}

const REPORTED: &str = include_str!("../../data/priors/reported_mfu.csv");
const GOODPUT: &str = include_str!("../../data/priors/goodput.csv");
const EPOCH: &str = include_str!("../../data/priors/epoch_mfu.csv");
const BY_SIZE: &str = include_str!("../../data/priors/mfu_by_size.csv");

#[test]
fn reported_mfu_is_the_quantiles_of_its_rows() {
    let rows = rows(REPORTED);
    assert_eq!(rows.len(), 12);
    let values = rows.iter().map(|r| number(r, "mfu").unwrap()).collect();
    assert_quantiles(
        &utilization_prior("reported-mfu").unwrap().dist,
        values,
        "reported-mfu",
    );
}

#[test]
fn goodput_is_the_quantiles_of_its_rows_and_each_row_adds_up() {
    let mfu: BTreeMap<String, f64> = rows(REPORTED)
        .iter()
        .map(|r| (r["run"].clone(), number(r, "mfu").unwrap()))
        .collect();
    let rows = rows(GOODPUT);
    assert_eq!(rows.len(), 11);
    let mut derived = 0;
    for r in &rows {
        let goodput = number(r, "goodput").unwrap();
        assert!(0.0 < goodput && goodput <= 1.0, "{}", r["run"]);
        if r["kind"] == "over-in-job" {
            // 6ND over the published chip-time at the chip's peak, over the in-job MFU.
            let six_nd = 6.0 * number(r, "params").unwrap() * number(r, "tokens").unwrap();
            let wall = six_nd / (number(r, "chip_hours").unwrap() * 3600.0 * peak(&r["chip"]));
            let in_job = number(r, "mfu").unwrap();
            assert_eq!(
                Some(&in_job),
                mfu.get(&r["run"]),
                "{}: MFU as in reported_mfu.csv",
                r["run"]
            );
            assert!(
                (wall / in_job - goodput).abs() < 5e-4,
                "{}: {}",
                r["run"],
                wall / in_job
            );
            derived += 1;
        } else {
            assert_eq!(r["kind"], "effective-time", "{}", r["run"]);
        }
    }
    assert_eq!(derived, 6);
    let values = rows.iter().map(|r| number(r, "goodput").unwrap()).collect();
    assert_quantiles(&goodput_prior().dist, values, "goodput");
}

/// Median MFU of the rows whose parameter count is in `lo..hi`.
fn median_mfu(rows: &[BTreeMap<String, String>], lo: f64, hi: f64) -> f64 {
    let mut values: Vec<f64> = rows
        .iter()
        .filter(|r| (lo..hi).contains(&number(r, "params").unwrap()))
        .map(|r| number(r, "mfu").unwrap())
        .collect();
    values.sort_by(f64::total_cmp);
    quantile(&values, 0.5)
}

#[test]
fn in_job_mfu_does_not_fall_from_7b_down_to_1b_so_the_prior_has_no_size_band() {
    // At the same code and chip (MosaicML's throughput tables), 1-3B models run at least as
    // close to peak as 7-70B ones; only below 1B is MFU lower.
    let bench = rows(BY_SIZE);
    assert_eq!(bench.len(), 77);
    for gpu in ["a100_40gb", "h100_80gb"] {
        let on: Vec<_> = bench.iter().filter(|r| r["gpu"] == gpu).cloned().collect();
        let (tiny, small, large) = (
            median_mfu(&on, 0.0, 1e9),
            median_mfu(&on, 1e9, 3e9),
            median_mfu(&on, 6e9, 1e12),
        );
        println!("{gpu}: <1B {tiny:.4}, 1-3B {small:.4}, 7-70B {large:.4}");
        assert!(small >= 0.95 * large, "{gpu}: {small} vs {large}");
        assert!(tiny < 0.95 * large, "{gpu}: {tiny} vs {large}");
    }
    // In training runs, the two of 1-3B lie above every larger run of the prior's evidence.
    let runs = rows(REPORTED);
    let small: Vec<f64> = runs
        .iter()
        .filter(|r| number(r, "params").unwrap() < 3.5e9)
        .map(|r| number(r, "mfu").unwrap())
        .collect();
    let largest = runs
        .iter()
        .filter(|r| number(r, "params").unwrap() >= 3.5e9)
        .map(|r| number(r, "mfu").unwrap())
        .fold(0.0, f64::max);
    assert_eq!(small.len(), 2);
    assert!(small.iter().all(|m| *m > largest), "{small:?} vs {largest}");
}

#[test]
fn observed_mfu_is_the_quantiles_of_epochs_rows_and_half_are_wall_clock() {
    let rows = rows(EPOCH);
    assert_eq!(rows.len(), 41);
    let values: Vec<f64> = rows
        .iter()
        .map(|r| number(r, "utilization").unwrap())
        .collect();
    assert!(values.iter().all(|u| 0.0 < *u && *u < 1.0));
    assert_quantiles(
        &utilization_prior("observed-mfu").unwrap().dist,
        values,
        "observed-mfu",
    );
    // Utilization over the published time: Epoch's compute / (count x hours x peak).
    let (mut with_hours, mut wall_clock) = (0, 0);
    for r in &rows {
        let (Some(count), Some(hours)) = (number(r, "count"), number(r, "hours")) else {
            continue;
        };
        with_hours += 1;
        let implied =
            number(r, "compute_flop").unwrap() / (count * hours * 3600.0 * peak(&r["hardware"]));
        if (implied / number(r, "utilization").unwrap() - 1.0).abs() <= 0.03 {
            wall_clock += 1;
        }
    }
    assert_eq!((with_hours, wall_clock), (35, 18));
}

/// Each run of data/priors/chip_time.csv against the chip-time factor fitted without it: where
/// its utilization of the published chip-time falls in the 90% interval of MFU x goodput x
/// factor, and the median of the estimate over the run's own utilization (hardware / 6ND).
#[test]
fn left_out_chip_time_runs_fall_inside_the_interval_of_the_factor_fitted_without_them() {
    let runs = evidence();
    let (mfu, goodput) = (
        &utilization_prior(DEFAULT_PRIOR).unwrap().dist,
        &goodput_prior().dist,
    );
    let (mut inside, mut ratios) = (Vec::new(), Vec::new());
    for (i, run) in runs.iter().enumerate() {
        let others: Vec<EvidenceRun> = runs
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, r)| r.clone())
            .collect();
        let fit = Fit::new(&others, true);
        let (c, _, _) = factor(&fit, &[run.ln_params, run.ln_peak]);
        let est = propagate(20_000, 7, |r| {
            mfu.sample(r) * goodput.sample(r) * c.sample(r)
        });
        let u = run.ln_utilization.exp();
        ratios.push(est.p50 / u);
        if est.p5 <= u && u <= est.p95 {
            inside.push(run.run.as_str());
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = quantile(&ratios, 0.5);
    println!(
        "{} of {} inside; median estimate / run {median:.3}",
        inside.len(),
        runs.len()
    );
    // As the README says: 152 of the 163 runs, median 0.96. Optimistic, as any check on the
    // evidence is: fitted to the 50 runs of sets 1-3 it gave 47 of 50 and then held 12 of the 18
    // runs of set 4; fitted to 68, 63 of 68, and then 9 of the 13 of set 5. (The estimator's
    // factor is calibrated on such later sets, chip_time_calibration.rs; this checks the fit.)
    assert_eq!(inside.len(), 152);
    assert!((median - 0.963).abs() < 0.005, "{median}");
}

#[test]
fn the_factor_is_what_the_fit_predicts_over_the_priors() {
    // The factor's median and the priors' geometric mean multiply to the fit's prediction, and
    // the variances add up to the prediction's (the factor's floored at 0).
    let (with, _) = fits();
    let (mfu_mean, mfu_var) = utilization_prior(DEFAULT_PRIOR).unwrap().dist.log_moments();
    let (g_mean, g_var) = goodput_prior().dist.log_moments();
    for (params, peak) in [(8.1e9, 989.4_f64), (0.135e9, 989.4), (70e9, 312.0)] {
        let (c, p, outside) = factor(with, &[f64::ln(params), peak.ln()]);
        let Dist::LogNormal { median, sigma } = c else {
            panic!("the factor is a log-normal");
        };
        assert!(!outside);
        assert!((median.ln() + mfu_mean + g_mean - p.mean).abs() < 1e-12);
        let var = sigma.powi(2) + mfu_var + g_var;
        assert!(
            (var - p.sd.powi(2)).abs() < 1e-12,
            "{var} vs {}",
            p.sd.powi(2)
        );
    }
}
