//! What `sustain` says: the line when the series start, and at the end the verdicts and the
//! findings (the report's own blocks, so `report` shows a sustain file the same way).

use crate::report::sustain::{blocks, charts, SustainSource};
use crate::report::tables::terminal;
use crate::results::sustain::SustainResults;
use crate::sustain::choose::Choice;
use crate::sustain::SustainOptions;
use crate::units::sig;

/// "sustaining 300.0 s on cpu:0 (faer f32 2048x2048x2048): windows of 1.000 s, every result
/// compared bit for bit with its first after every 20 iterations, the f64 reference every
/// 10.00 s".
pub fn starting(choices: &[Choice], opts: &SustainOptions) -> String {
    let what: Vec<String> = choices
        .iter()
        .map(|c| {
            format!(
                "{} ({} {} {})",
                c.device.id,
                c.job.kernel,
                c.job.dtype,
                c.job.problem()
            )
        })
        .collect();
    let every = match opts.check_every {
        Some(n) => format!("after every {n} iterations"),
        None => "as often as takes about 5% of the time".into(),
    };
    format!(
        "sustaining {} s on {}: windows of {} s, every result compared bit for bit with its \
         first {every}, the f64 reference every {} s",
        sig(opts.duration_s),
        what.join(", "),
        sig(opts.window_s),
        sig(opts.reference_every_s)
    )
}

/// The verdicts table, the findings, and the telemetry some devices lack.
pub fn summary(doc: &SustainResults, width: Option<usize>) -> String {
    let sources = [SustainSource {
        path: Default::default(),
        label: String::new(),
        doc: doc.clone(),
    }];
    let mut s = String::new();
    for b in blocks(&sources) {
        s += &terminal(&b, width);
    }
    for m in charts::missing(&sources) {
        s += &format!("{m}\n");
    }
    s
}
