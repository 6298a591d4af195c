//! Recomputes every prior of `data/priors.csv` that has rows behind it from those rows
//! (`data/priors/*.csv`), so anyone can check a prior: its quantiles, and each derived row's
//! arithmetic.

use std::collections::BTreeMap;

use super::dist::Dist;
use super::priors::{goodput_prior, utilization_prior};
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

#[test]
fn reported_mfu_is_the_quantiles_of_its_rows() {
    let rows = rows(REPORTED);
    assert_eq!(rows.len(), 10);
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
    assert_eq!(rows.len(), 10);
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
    assert_eq!(derived, 5);
    let values = rows.iter().map(|r| number(r, "goodput").unwrap()).collect();
    assert_quantiles(&goodput_prior().dist, values, "goodput");
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
