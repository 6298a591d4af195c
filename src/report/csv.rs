//! Every run of every file as CSV, one row per run with full precision, for pandas, R or a
//! spreadsheet: what was measured, its spread, its peak and utilization, and how far to trust it;
//! for cluster files, a row per rank and job.

use super::noise::Noise;
use super::summary::Source;
use crate::output::clean;
use crate::results::VerificationStatus;

const HEADER: [&str; 21] = [
    "file",
    "host",
    "device",
    "device_name",
    "backend",
    "kernel",
    "dtype",
    "m",
    "n",
    "k",
    "median_tflops",
    "p25_tflops",
    "p75_tflops",
    "ci95_rel",
    "rated_tflops",
    "utilization",
    "verification",
    "warmup_stable",
    "stop_reason",
    "samples",
    "file_interrupted",
];

/// The CSV text: a header, then a row per run.
pub fn runs(sources: &[Source]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for s in sources {
        let doc = &s.results;
        for r in &doc.runs {
            let dev = doc.devices.iter().find(|d| d.id == r.device);
            let rate = |t: f64| if t > 0.0 { r.flop / t / 1e12 } else { f64::NAN };
            let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
            let record = [
                s.label.clone(),
                r.host.clone().unwrap_or_else(|| doc.host.hostname.clone()),
                r.device.clone(),
                dev.map(|d| d.name.clone()).unwrap_or_default(),
                r.backend.to_string(),
                r.kernel.clone(),
                r.dtype.to_string(),
                r.m.to_string(),
                r.n.to_string(),
                r.k.to_string(),
                r.tflops.median.to_string(),
                // The slower quartile of times gives the lower rate.
                rate(r.time_s.p75).to_string(),
                rate(r.time_s.p25).to_string(),
                Noise::of(r).ci95.to_string(),
                opt(dev.and_then(|d| d.rated_tflops.get(&r.dtype).copied())),
                opt(r.utilization.rated),
                match r.verification.status {
                    VerificationStatus::Passed => "passed",
                    VerificationStatus::Failed => "failed",
                    VerificationStatus::Skipped => "skipped",
                }
                .to_string(),
                r.warmup.stable.to_string(),
                serde_json::to_value(r.stop_reason)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                r.samples.len().to_string(),
                doc.interrupted.to_string(),
            ];
            w.write_record(record.iter().map(|c| clean::line(c).into_owned()))?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

const JOB_HEADER: [&str; 19] = [
    "file",
    "rank_file",
    "host",
    "rank",
    "device",
    "device_name",
    "kernel",
    "dtype",
    "m",
    "n",
    "k",
    "batch",
    "samples",
    "median_tflops",
    "p25_tflops",
    "p75_tflops",
    "max_tflops",
    "verification",
    "settled",
];

/// The CSV of cluster files: a row per rank and job, at full precision.
pub fn jobs(clusters: &[super::cluster::ClusterSource]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(JOB_HEADER)?;
    for c in clusters {
        for (r, j) in c.file.jobs() {
            let name = r
                .devices
                .iter()
                .find(|d| d.id == j.device)
                .map(|d| d.name.clone());
            let record = [
                c.label.clone(),
                r.file.clone(),
                r.host.clone(),
                r.rank.map(|k| k.to_string()).unwrap_or_default(),
                j.device.clone(),
                name.unwrap_or_default(),
                j.kernel.clone(),
                j.dtype.to_string(),
                j.m.to_string(),
                j.n.to_string(),
                j.k.to_string(),
                j.batch.to_string(),
                j.samples.to_string(),
                j.median_tflops.to_string(),
                j.p25_tflops.to_string(),
                j.p75_tflops.to_string(),
                j.max_tflops.to_string(),
                serde_json::to_value(j.verification)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                j.settled.to_string(),
            ];
            w.write_record(record.iter().map(|c| clean::line(c).into_owned()))?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_run_with_full_precision() {
        let mut doc = crate::report::fixtures::dev_vm();
        doc.devices[1].name = "AMD, \"EPYC\"\u{1b}[2J".into();
        let sources = vec![Source::new(std::path::Path::new("a.json"), doc)];
        let text = runs(&sources).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 14);
        assert_eq!(r.headers().unwrap().len(), HEADER.len());
        let cpu = rows.iter().find(|x| &x[2] == "cpu:0").unwrap();
        assert_eq!(&cpu[3], "AMD, \"EPYC\"\\u{1b}[2J");
        assert_eq!(
            cpu[10].parse::<f64>().unwrap(),
            sources[0].results.runs[8].tflops.median
        );
        let (lo, mid, hi): (f64, f64, f64) = (
            cpu[11].parse().unwrap(),
            cpu[10].parse().unwrap(),
            cpu[12].parse().unwrap(),
        );
        assert!(lo <= mid && mid <= hi);
        assert_eq!(&cpu[16], "passed");
        assert_eq!(&cpu[18], "converged");
    }
}
