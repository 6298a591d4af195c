//! Every window of every device as a CSV row, at full precision, for pandas, R or a
//! spreadsheet.

use super::SustainSource;
use crate::output::clean;

const HEADER: [&str; 22] = [
    "file",
    "host",
    "device",
    "device_name",
    "kernel",
    "dtype",
    "m",
    "n",
    "k",
    "window",
    "start_s",
    "end_s",
    "iterations",
    "device_s",
    "tflops",
    "clock_mhz",
    "memory_clock_mhz",
    "power_w",
    "power_limit_w",
    "temperature_c",
    "throttle_reasons",
    "failures",
];

/// The CSV text: a header, then a row per window.
pub fn windows(sources: &[SustainSource]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for src in sources {
        let doc = &src.doc;
        for s in &doc.series {
            let name = doc
                .devices
                .iter()
                .find(|d| d.id == s.device)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            for win in &s.windows {
                let failures = s
                    .failures
                    .iter()
                    .filter(|f| f.window == Some(win.index))
                    .count();
                let record = [
                    src.label.clone(),
                    s.host.clone().unwrap_or_else(|| doc.host.hostname.clone()),
                    s.device.clone(),
                    name.clone(),
                    s.kernel.clone(),
                    s.dtype.to_string(),
                    s.m.to_string(),
                    s.n.to_string(),
                    s.k.to_string(),
                    win.index.to_string(),
                    win.start_s.to_string(),
                    win.end_s.to_string(),
                    win.iterations.to_string(),
                    win.device_s.to_string(),
                    opt(win.tflops),
                    opt(win.clock_mhz),
                    opt(win.memory_clock_mhz),
                    opt(win.power_w),
                    opt(win.power_limit_w),
                    opt(win.temperature_c),
                    win.throttle_reasons.join(";"),
                    failures.to_string(),
                ];
                w.write_record(record.iter().map(|c| clean::line(c).into_owned()))?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
