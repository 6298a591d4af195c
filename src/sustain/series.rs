//! The time series of one device in fixed windows: each timed iteration counts in the window
//! it ended in (a call that ran several iterations back to back ends them one after the other,
//! counting back from when it returned), and a window's rate is its iterations' FLOP over their
//! device time, as a bench's rate is. Telemetry samples fall into the windows they were taken
//! in: the median clocks and power, the highest temperature, every throttle reason.

use crate::measure::stats::median_of;
use crate::results::sustain::Window;
use crate::results::TelemetrySample;

/// The windows of one device so far.
#[derive(Debug, Clone)]
pub struct Recorder {
    window_s: f64,
    flop: f64,
    windows: Vec<Window>,
}

impl Recorder {
    /// A series of windows `window_s` long, of iterations of `flop` each.
    pub fn new(window_s: f64, flop: f64) -> Recorder {
        Recorder {
            window_s,
            flop,
            windows: Vec::new(),
        }
    }

    /// One call's iterations, the last ending at `end_s` (seconds since the start), each
    /// lasting its device time in `times`.
    pub fn record(&mut self, end_s: f64, times: &[f64]) {
        let mut at = end_s;
        for &t in times.iter().rev() {
            self.add(at.max(0.0), t);
            at -= t;
        }
    }

    /// An iteration ending at `at` counts in the window (start, end] that holds it.
    fn add(&mut self, at: f64, device_s: f64) {
        let i = ((at / self.window_s).ceil() as usize).saturating_sub(1);
        self.open_until(i);
        let w = &mut self.windows[i];
        w.iterations += 1;
        w.device_s += device_s;
        w.tflops = (w.device_s > 0.0).then(|| w.iterations as f64 * self.flop / w.device_s / 1e12);
    }

    /// Opens every window up to and including `i`.
    fn open_until(&mut self, i: usize) {
        while self.windows.len() <= i {
            let j = self.windows.len();
            self.windows.push(Window {
                index: j,
                start_s: j as f64 * self.window_s,
                end_s: (j + 1) as f64 * self.window_s,
                ..Default::default()
            });
        }
    }

    /// The windows up to `now_s` (seconds since the start), the last one ending there.
    pub fn windows_until(&self, now_s: f64) -> Vec<Window> {
        if now_s <= 0.0 {
            return Vec::new();
        }
        let mut r = self.clone();
        let count = (now_s / self.window_s).ceil() as usize;
        r.open_until(count - 1);
        r.windows.truncate(count);
        if let Some(w) = r.windows.last_mut() {
            w.end_s = w.end_s.min(now_s).max(w.start_s + f64::EPSILON);
        }
        r.windows
    }

    /// Windows fully past at `now_s` (for progress).
    pub fn closed(&self, now_s: f64) -> usize {
        (now_s / self.window_s).floor().max(0.0) as usize
    }
}

/// Puts each sample (its `t_s` plus `offset_s`, seconds since the start of the series; the
/// samples in time order, as a sampler takes them) into its window: the median clocks and
/// power, the highest temperature, every throttle reason; `power_limit_w` is the cap the driver
/// enforced.
pub fn add_telemetry(
    windows: &mut [Window],
    samples: &[TelemetrySample],
    offset_s: f64,
    power_limit_w: Option<f64>,
) {
    let at = |t: f64| samples.partition_point(|s| s.t_s + offset_s < t);
    for w in windows.iter_mut() {
        let inside = &samples[at(w.start_s)..at(w.end_s)];
        let of = |f: fn(&TelemetrySample) -> Option<f64>| median_of(inside.iter().filter_map(f));
        w.clock_mhz = of(|s| s.sm_clock_mhz);
        w.memory_clock_mhz = of(|s| s.memory_clock_mhz);
        w.power_w = of(|s| s.power_w);
        w.power_limit_w = power_limit_w.filter(|_| !inside.is_empty());
        w.temperature_c = inside
            .iter()
            .filter_map(|s| s.temperature_c)
            .reduce(f64::max);
        let mut reasons: Vec<String> = inside
            .iter()
            .flat_map(|s| s.throttle_reasons.iter().cloned())
            .collect();
        reasons.sort();
        reasons.dedup();
        w.throttle_reasons = reasons;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_count_in_the_window_they_end_in() {
        // 1 TFLOP per iteration, 0.25 s windows.
        let mut r = Recorder::new(0.25, 1e12);
        // One call of four 0.1 s iterations returning at 0.4 s: they end at 0.1, 0.2, 0.3, 0.4.
        r.record(0.4, &[0.1; 4]);
        // A window with nothing, then one iteration of 0.05 s ending at 0.8 s.
        r.record(0.8, &[0.05]);
        let w = r.windows_until(0.9);
        assert_eq!(w.len(), 4, "{w:?}");
        assert_eq!((w[0].iterations, w[1].iterations), (2, 2));
        assert_eq!(w[0].tflops, Some(10.0));
        assert_eq!((w[2].iterations, w[2].tflops), (0, None));
        assert_eq!((w[3].iterations, w[3].tflops), (1, Some(20.0)));
        // The last window ends at the time asked for; the others are whole.
        assert_eq!((w[3].start_s, w[3].end_s), (0.75, 0.9));
        assert_eq!(w[1].end_s, 0.5);
        assert_eq!(r.closed(0.9), 3);
        // Empty windows up to a later time are kept, and none past it.
        assert_eq!(r.windows_until(1.2).len(), 5);
        assert_eq!(r.windows_until(0.1).len(), 1);
    }

    #[test]
    fn telemetry_falls_into_its_windows() {
        let mut r = Recorder::new(1.0, 1e12);
        r.record(1.5, &[0.5, 0.5]);
        let mut w = r.windows_until(2.0);
        let s = |t: f64, clock: f64, temp: f64, why: &[&str]| TelemetrySample {
            t_s: t,
            sm_clock_mhz: Some(clock),
            power_w: Some(500.0 + clock / 10.0),
            temperature_c: Some(temp),
            throttle_reasons: why.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        };
        // The sampler started 0.2 s before the series.
        let samples = [
            s(0.3, 1980.0, 60.0, &[]),
            s(0.6, 1960.0, 61.0, &[]),
            s(1.3, 1700.0, 70.0, &["sw_power_cap"]),
            s(1.6, 1600.0, 72.0, &["sw_power_cap", "sw_thermal_slowdown"]),
        ];
        add_telemetry(&mut w, &samples, -0.2, Some(700.0));
        assert_eq!(w[0].clock_mhz, Some(1970.0));
        assert_eq!(w[0].temperature_c, Some(61.0));
        assert!(w[0].throttle_reasons.is_empty());
        assert_eq!(w[1].clock_mhz, Some(1650.0));
        assert_eq!(w[1].power_w, Some(665.0));
        assert_eq!(w[1].power_limit_w, Some(700.0));
        assert_eq!(
            w[1].throttle_reasons,
            vec!["sw_power_cap", "sw_thermal_slowdown"]
        );
    }
}
