//! The charts of a sustain report: per quantity (TFLOP/s, clock, power, temperature) one chart
//! of every device against time, each window a point at its middle, failures marked where
//! they were found, the power caps drawn as levels. A quantity no device sampled has no chart;
//! `missing` says which devices lacked which.

use super::SustainSource;
use crate::charts::time::{TimeChart, TimeLevel, TimeLine};
use crate::charts::{to_svg_string, SIZE};
use crate::output::tflops;
use crate::results::sustain::{DeviceSeries, Window};
use crate::units::sig;

/// One quantity of a window: what it is, its chart's title and unit.
struct Quantity {
    what: &'static str,
    title: &'static str,
    unit: &'static str,
    of: fn(&Window) -> Option<f64>,
}

const QUANTITIES: [Quantity; 4] = [
    Quantity {
        what: "rate",
        title: "TFLOP/s against time",
        unit: "TFLOP/s",
        of: |w| w.tflops,
    },
    Quantity {
        what: "clock",
        title: "Clock against time (the SM clock on a GPU; the CPU clock as timed under the load)",
        unit: "MHz",
        of: |w| w.clock_mhz,
    },
    Quantity {
        what: "power",
        title: "Board power against time",
        unit: "W",
        of: |w| w.power_w,
    },
    Quantity {
        what: "temperature",
        title: "Temperature against time (the highest of each window)",
        unit: "C",
        of: |w| w.temperature_c,
    },
];

/// A device's name in a chart: "cpu:0 faer f32", with the file when there are several.
fn name(src: &SustainSource, s: &DeviceSeries, multi: bool) -> String {
    let file = if multi {
        format!("{} ", src.label)
    } else {
        String::new()
    };
    format!("{file}{} {} {}", s.device, s.kernel, s.dtype)
}

fn line(src: &SustainSource, s: &DeviceSeries, q: &Quantity, multi: bool) -> TimeLine {
    let name = name(src, s, multi);
    let value = |w: &Window| {
        (q.of)(w).map(|v| {
            let mid = (w.start_s + w.end_s) / 2.0;
            let shown = if q.unit == "TFLOP/s" {
                tflops(v)
            } else {
                sig(v)
            };
            let hover = format!(
                "{name}, window {} ({}-{} s): {shown} {}",
                w.index,
                sig(w.start_s),
                sig(w.end_s),
                q.unit
            );
            (mid, v, hover)
        })
    };
    let points: Vec<(f64, f64, String)> = s.windows.iter().filter_map(value).collect();
    let marks = if q.unit == "TFLOP/s" {
        s.failures
            .iter()
            .filter_map(|f| {
                let w = s.windows.get(f.window?)?;
                let v = w.tflops.or_else(|| points.first().map(|p| p.1))?;
                Some((
                    (w.start_s + w.end_s) / 2.0,
                    v,
                    format!("{name}: {}", f.message),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    TimeLine {
        name,
        points,
        marks,
    }
}

/// The distinct power caps of the devices drawn.
fn caps(sources: &[SustainSource]) -> Vec<TimeLevel> {
    let mut out: Vec<TimeLevel> = Vec::new();
    for w in sources
        .iter()
        .flat_map(|s| &s.doc.series)
        .flat_map(|s| &s.windows)
    {
        if let Some(c) = w.power_limit_w {
            if !out.iter().any(|l| l.value == c) {
                out.push(TimeLevel {
                    value: c,
                    label: format!("power cap {} W", sig(c)),
                });
            }
        }
    }
    out
}

/// Every chart with data, as (title, SVG).
pub fn charts(sources: &[SustainSource]) -> Vec<(String, String)> {
    let multi = sources.len() > 1;
    let until = sources
        .iter()
        .flat_map(|s| &s.doc.series)
        .filter_map(|s| s.windows.last().map(|w| w.end_s))
        .fold(0.0, f64::max);
    let mut out = Vec::new();
    for q in &QUANTITIES {
        let lines: Vec<TimeLine> = sources
            .iter()
            .flat_map(|src| src.doc.series.iter().map(move |s| line(src, s, q, multi)))
            .filter(|l| !l.points.is_empty())
            .collect();
        let chart = TimeChart {
            title: q.title.into(),
            y_title: q.unit.into(),
            lines,
            levels: if q.unit == "W" {
                caps(sources)
            } else {
                Vec::new()
            },
            until_s: until,
        };
        if let Ok(svg) = to_svg_string(&chart, SIZE) {
            out.push((q.title.to_string(), svg));
        }
    }
    out
}

/// "No power sampled: cpu:0 (cpu-clock)": the quantities some devices lack, and what sampled
/// them instead.
pub fn missing(sources: &[SustainSource]) -> Vec<String> {
    let mut out = Vec::new();
    for q in &QUANTITIES[1..] {
        let lacking: Vec<String> = sources
            .iter()
            .flat_map(|src| &src.doc.series)
            .filter(|s| !s.windows.iter().any(|w| (q.of)(w).is_some()))
            .map(|s| {
                let by = s.telemetry.as_deref().unwrap_or("no telemetry");
                format!("{} ({by})", s.device)
            })
            .collect();
        if !lacking.is_empty() {
            out.push(format!("No {} sampled: {}", q.what, lacking.join(", ")));
        }
    }
    out
}
