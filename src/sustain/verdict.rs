//! A device's verdict on its series: the burst rate (the first window) and the sustained rate
//! (the median of the last half: `results::sustain::validate::{burst, sustained}`, the one home
//! of both rules), their ratio, what telemetry says made the rate drop, the sustained rate
//! against the rated peak and the published reference of the chip, and pass or fail: any
//! failure, or a drop beyond `max_drop`, fails. Among devices of one kind run alike, the one
//! whose sustained rate is the threshold or more below their median is the outlier.

use crate::measure::stats::median_of;
use crate::output::percent;
use crate::results::sustain::validate::{burst, sustained};
use crate::results::sustain::{
    DeviceSeries, DropCause, Failure, FailureKind, Outlier, SustainVerdict, Window,
};
use crate::results::DeviceRecord;
use crate::units::sig;

/// A drop this large or larger gets a cause (below it, run-to-run noise on a shared host; the
/// same 5% as a verdict against the published reference).
pub const CAUSE_FROM: f64 = crate::reference::TOLERANCE;

/// What the telemetry of the first window with a rate and of the last half says.
struct Seen {
    clock_before: Option<f64>,
    clock_after: Option<f64>,
    power_after: Option<f64>,
    limit: Option<f64>,
    hottest: Option<f64>,
    reasons: Vec<String>,
}

fn seen(windows: &[Window]) -> Seen {
    let rated: Vec<&Window> = windows.iter().filter(|w| w.tflops.is_some()).collect();
    let later = &rated[rated.len() / 2..];
    let mut reasons: Vec<String> = later
        .iter()
        .flat_map(|w| w.throttle_reasons.iter().cloned())
        .filter(|r| r != "gpu_idle")
        .collect();
    reasons.sort();
    reasons.dedup();
    Seen {
        clock_before: rated.first().and_then(|w| w.clock_mhz),
        clock_after: median_of(later.iter().filter_map(|w| w.clock_mhz)),
        power_after: median_of(later.iter().filter_map(|w| w.power_w)),
        limit: later.iter().find_map(|w| w.power_limit_w),
        hottest: later
            .iter()
            .filter_map(|w| w.temperature_c)
            .reduce(f64::max),
        reasons,
    }
}

/// "; clock 1965 -> 1580 MHz" where both are known.
fn clock_change(s: &Seen) -> String {
    match (s.clock_before, s.clock_after) {
        (Some(a), Some(b)) => format!("; clock {} -> {} MHz", sig(a), sig(b)),
        _ => String::new(),
    }
}

/// Why a rate dropped by `drop` (a fraction), from the telemetry of its windows.
pub fn cause(windows: &[Window], drop: f64) -> (DropCause, String) {
    let s = seen(windows);
    let has = |names: &[&str]| s.reasons.iter().any(|r| names.contains(&r.as_str()));
    let clocks = clock_change(&s);
    if has(&["sw_thermal_slowdown", "hw_thermal_slowdown"]) {
        let hot = s.hottest.map(|t| format!(" at up to {} C", sig(t)));
        return (
            DropCause::Thermal,
            format!("thermal slowdown{}{clocks}", hot.unwrap_or_default()),
        );
    }
    let at_cap = s
        .power_after
        .zip(s.limit)
        .is_some_and(|(p, l)| p >= 0.95 * l);
    if has(&["sw_power_cap", "hw_power_brake_slowdown"]) || at_cap {
        let watts = match (s.power_after, s.limit) {
            (Some(p), Some(l)) => format!(": {} W of a {} W cap", sig(p), sig(l)),
            _ => String::new(),
        };
        return (
            DropCause::PowerCap,
            format!("at the power cap{watts}{clocks}"),
        );
    }
    let fell = s.clock_before.zip(s.clock_after).map(|(a, b)| 1.0 - b / a);
    match fell {
        Some(f) if f >= drop / 2.0 => {
            let why = if s.reasons.is_empty() {
                String::new()
            } else {
                format!(" (throttle reasons: {})", s.reasons.join(", "))
            };
            (
                DropCause::Clocks,
                format!("the clock fell {}{why}{clocks}", percent(f)),
            )
        }
        Some(_) => (
            DropCause::Unexplained,
            format!(
                "the clock held{clocks}: not the chip's clock, power or temperature (other work \
                 on the host, memory, the driver?)"
            ),
        ),
        None if s.power_after.is_some() || s.hottest.is_some() => (
            DropCause::Unexplained,
            "no clock was read; power and temperature give no reason".into(),
        ),
        None => (DropCause::NoTelemetry, "no telemetry to tell why".into()),
    }
}

/// "2 bit-for-bit differences from the first results, the first in window 12".
fn failure_reasons(failures: &[Failure], mismatches: u64) -> Vec<String> {
    let mut out = Vec::new();
    let first = |kind: FailureKind| failures.iter().find(|f| f.kind == kind);
    let place = |f: &Failure| match f.window {
        Some(w) => format!("window {w}"),
        None => "before the first window".into(),
    };
    if let Some(f) = first(FailureKind::NotDeterministic) {
        out.push(format!(
            "not deterministic: two results of the same inputs differ ({})",
            place(f)
        ));
    }
    if let Some(f) = first(FailureKind::Corruption) {
        out.push(format!(
            "{} check(s) found results that differ bit for bit from the first of their inputs, \
             the first in {}",
            mismatches.max(1),
            place(f)
        ));
    }
    if let Some(f) = first(FailureKind::Reference) {
        let n = failures
            .iter()
            .filter(|x| x.kind == FailureKind::Reference)
            .count();
        out.push(format!(
            "{n} f64 reference check(s) failed, the first in {}",
            place(f)
        ));
    }
    if let Some(f) = first(FailureKind::Device) {
        out.push(format!("device error in {}: {}", place(f), f.message));
    }
    out
}

/// What one device's verdict is made of.
pub struct Inputs<'a> {
    pub device: &'a DeviceRecord,
    pub series: &'a DeviceSeries,
    pub max_drop: f64,
}

/// The verdict of one device's series (its `outlier` is set among several by `mark_outliers`).
pub fn verdict(i: Inputs) -> SustainVerdict {
    let s = i.series;
    let (b, st) = (burst(&s.windows), sustained(&s.windows));
    let ratio = b.zip(st).map(|(b, s)| s / b);
    let mut v = SustainVerdict {
        burst_tflops: b,
        sustained_tflops: st,
        ratio,
        utilization: st
            .zip(i.device.rated_tflops.get(&s.dtype))
            .map(|(s, p)| s / p),
        ..Default::default()
    };
    if let Some(r) = ratio.filter(|r| *r <= 1.0 - CAUSE_FROM) {
        let (c, detail) = cause(&s.windows, 1.0 - r);
        (v.cause, v.cause_detail) = (Some(c), Some(detail));
    }
    let reference = i
        .device
        .rated_matched
        .as_deref()
        .and_then(|chip| crate::reference::reference(chip, s.dtype));
    if let (Some(rf), Some(st)) = (reference, st) {
        v.reference_tflops = Some(rf.tflops);
        v.reference_source = Some(rf.cite());
        v.vs_reference = Some(st / rf.tflops);
    }
    v.reasons = failure_reasons(&s.failures, s.checks.mismatches);
    match ratio {
        None => v.reasons.push("no iteration finished".into()),
        Some(r) if r < 1.0 - i.max_drop => v.reasons.push(format!(
            "the sustained rate is {} below the burst (more than the {} allowed)",
            percent(1.0 - r),
            percent(i.max_drop)
        )),
        Some(_) => {}
    }
    v.passed = v.reasons.is_empty();
    v
}

/// "NVIDIA H100 80GB HBM3 cublaslt fp8 8192x8192x8192": what makes devices comparable, with
/// `basis` (the settings, in a merge) appended.
fn group_key(s: &DeviceSeries, devices: &[DeviceRecord], basis: &str) -> String {
    let name = devices
        .iter()
        .find(|d| d.id == s.device)
        .map_or("unknown", |d| d.name.as_str());
    format!("{name} {} {} {}{basis}", s.kernel, s.dtype, s.shape())
}

/// Marks the outliers: in each group of devices run alike (`group_key`, `basis_of` adding what
/// else must match), those the threshold or more below the group's median sustained rate.
/// Returns a sentence when some devices were not compared with each other.
pub fn mark_outliers(
    series: &mut [DeviceSeries],
    devices: &[DeviceRecord],
    threshold: f64,
    basis_of: &dyn Fn(&DeviceSeries) -> String,
) -> Option<String> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in series.iter_mut().enumerate() {
        s.verdict.outlier = None;
        if s.verdict.sustained_tflops.is_none() {
            continue;
        }
        let key = group_key(s, devices, &basis_of(s));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for (_, members) in &groups {
        let rates: Vec<f64> = members
            .iter()
            .filter_map(|i| series[*i].verdict.sustained_tflops)
            .collect();
        let Some(median) = median_of(rates.into_iter()).filter(|_| members.len() > 1) else {
            continue;
        };
        for &i in members {
            let v = &mut series[i].verdict;
            let shortfall = 1.0 - v.sustained_tflops.unwrap_or(median) / median;
            if shortfall >= threshold {
                v.outlier = Some(Outlier {
                    median_tflops: median,
                    compared_with: members.len(),
                    shortfall,
                });
            }
        }
    }
    (groups.len() > 1).then(|| {
        let each: Vec<String> = groups
            .iter()
            .map(|(key, m)| format!("{} x {key} ({})", m.len(), series[m[0]].device))
            .collect();
        format!(
            "{} groups of devices not compared with each other (different chips, kernels, \
             dtypes, shapes or settings): {}",
            groups.len(),
            each.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(i: usize, tflops: f64, clock: f64, power: f64, why: &[&str]) -> Window {
        Window {
            index: i,
            start_s: i as f64,
            end_s: i as f64 + 1.0,
            iterations: 10,
            device_s: 1.0,
            tflops: Some(tflops),
            clock_mhz: Some(clock),
            power_w: Some(power),
            power_limit_w: Some(1000.0),
            temperature_c: Some(60.0 + i as f64),
            throttle_reasons: why.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn power_capped_clocks_are_the_cause() {
        // A B200 as issue 23 describes it: 1965 MHz, then ~1580 under the power cap.
        let mut w = vec![window(0, 1500.0, 1965.0, 990.0, &[])];
        for i in 1..6 {
            w.push(window(i, 1280.0, 1580.0, 998.0, &["sw_power_cap"]));
        }
        let (c, detail) = cause(&w, 0.147);
        assert_eq!(c, DropCause::PowerCap);
        assert_eq!(
            detail,
            "at the power cap: 998.0 W of a 1000 W cap; clock 1965 -> 1580 MHz"
        );
        // Thermal reasons come first.
        w[5].throttle_reasons.push("hw_thermal_slowdown".into());
        assert_eq!(cause(&w, 0.147).0, DropCause::Thermal);
    }

    #[test]
    fn clocks_that_fall_without_a_reason_and_clocks_that_hold() {
        let mut w = vec![window(0, 100.0, 2000.0, 300.0, &[])];
        w.extend((1..5).map(|i| window(i, 80.0, 1650.0, 300.0, &[])));
        assert_eq!(cause(&w, 0.2).0, DropCause::Clocks);
        let held: Vec<Window> = (0..5)
            .map(|i| window(i, if i == 0 { 100.0 } else { 50.0 }, 2000.0, 300.0, &[]))
            .collect();
        let (c, detail) = cause(&held, 0.5);
        assert_eq!(c, DropCause::Unexplained);
        assert!(
            detail.starts_with("the clock held; clock 2000 -> 2000 MHz"),
            "{detail}"
        );
        let bare: Vec<Window> = held
            .iter()
            .map(|w| Window {
                clock_mhz: None,
                power_w: None,
                power_limit_w: None,
                temperature_c: None,
                ..w.clone()
            })
            .collect();
        assert_eq!(cause(&bare, 0.5).0, DropCause::NoTelemetry);
    }

    fn series(device: &str, rates: &[f64]) -> DeviceSeries {
        DeviceSeries {
            device: device.into(),
            kernel: "cublas".into(),
            dtype: crate::dtype::Dtype::Bf16,
            compute_type: String::new(),
            m: 8192,
            n: 8192,
            k: 8192,
            flop: crate::shape::Shape::cube(8192).flop(),
            timer: crate::results::Timer::CudaEvents,
            operand_sets: 1,
            candidates: Vec::new(),
            telemetry: Some("nvml".into()),
            windows: rates
                .iter()
                .enumerate()
                .map(|(i, r)| window(i, *r, 1980.0, 600.0, &[]))
                .collect(),
            checks: Default::default(),
            failures: Vec::new(),
            verdict: Default::default(),
            stopped: None,
            rank: None,
            host: None,
        }
    }

    fn h100(id: &str) -> DeviceRecord {
        let mut d = crate::device::cuda::fake_device("NVIDIA H100 80GB HBM3", "9.0", 132, 1980.0);
        d.id = id.into();
        d
    }

    #[test]
    fn a_drop_beyond_the_threshold_fails_and_says_by_how_much() {
        let d = h100("cuda:0");
        let s = series("cuda:0", &[800.0, 790.0, 700.0, 690.0, 700.0]);
        let v = verdict(Inputs {
            device: &d,
            series: &s,
            max_drop: 0.10,
        });
        assert_eq!(
            (v.burst_tflops, v.sustained_tflops),
            (Some(800.0), Some(700.0))
        );
        assert_eq!(v.ratio, Some(0.875));
        assert!(!v.passed);
        assert_eq!(
            v.reasons,
            vec!["the sustained rate is 12.5% below the burst (more than the 10.0% allowed)"]
        );
        assert_eq!(v.cause, Some(DropCause::Unexplained));
        // Against the published H100 bf16 measurement, when the table matched the chip.
        if d.rated_matched.is_some() {
            assert!(v.vs_reference.is_some() && v.reference_source.is_some());
        }
        let v = verdict(Inputs {
            device: &d,
            series: &s,
            max_drop: 0.2,
        });
        assert!(v.passed && v.reasons.is_empty());
    }

    #[test]
    fn the_slow_one_among_peers_is_the_outlier() {
        let devices: Vec<DeviceRecord> = (0..4).map(|i| h100(&format!("cuda:{i}"))).collect();
        let mut all: Vec<DeviceSeries> = [790.0, 800.0, 700.0, 795.0]
            .iter()
            .enumerate()
            .map(|(i, r)| series(&format!("cuda:{i}"), &[*r, *r]))
            .collect();
        for s in &mut all {
            let d = devices.iter().find(|d| d.id == s.device).unwrap();
            s.verdict = verdict(Inputs {
                device: d,
                series: s,
                max_drop: 0.1,
            });
        }
        let note = mark_outliers(&mut all, &devices, 0.05, &|_| String::new());
        assert_eq!(note, None);
        let outliers: Vec<&str> = all
            .iter()
            .filter(|s| s.verdict.outlier.is_some())
            .map(|s| s.device.as_str())
            .collect();
        assert_eq!(outliers, vec!["cuda:2"]);
        let o = all[2].verdict.outlier.as_ref().unwrap();
        assert_eq!((o.median_tflops, o.compared_with), (792.5, 4));
        // Another shape is another group, not compared.
        all[3].m = 4096;
        let note = mark_outliers(&mut all, &devices, 0.05, &|_| String::new()).unwrap();
        assert!(
            note.starts_with("2 groups of devices not compared"),
            "{note}"
        );
    }
}
