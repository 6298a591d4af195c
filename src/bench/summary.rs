//! The end-of-run table.

use crate::output::{percent, table, tflops};
use crate::results::{Results, VerificationStatus};

pub fn print_table(r: &Results) {
    let mut t = table(&[
        "device",
        "kernel",
        "dtype",
        "shape",
        "median TFLOP/s",
        "rated",
        "utilization",
        "verified",
    ]);
    for run in &r.runs {
        let rated = r
            .devices
            .iter()
            .find(|d| d.id == run.device)
            .and_then(|d| d.rated_tflops.get(&run.dtype).copied());
        let verified = match run.verification.status {
            VerificationStatus::Passed => "yes".to_string(),
            VerificationStatus::Failed => "FAILED".to_string(),
            VerificationStatus::Skipped => "skipped".to_string(),
        };
        let failed = run.verification.status == VerificationStatus::Failed;
        t.add_row(vec![
            run.device.clone(),
            run.kernel.clone(),
            run.dtype.to_string(),
            format!("{}x{}x{}", run.m, run.n, run.k),
            if failed {
                format!("({}, not counted)", tflops(run.tflops.median))
            } else {
                tflops(run.tflops.median)
            },
            rated.map(tflops).unwrap_or_else(|| "unknown".into()),
            match (failed, run.utilization.rated) {
                (true, _) => "-".into(),
                (false, Some(u)) if run.utilization.above_peak => format!("{} (!)", percent(u)),
                (false, Some(u)) => percent(u),
                (false, None) => "-".into(),
            },
            verified,
        ]);
    }
    println!("{t}");
}
