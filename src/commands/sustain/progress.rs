//! A sustained run's progress on stderr: a bar of the duration with each device's latest rate
//! in a terminal; where stderr is a file or a pipe (Slurm, nohup, CI), one line per device about
//! every 10 s of windows; nothing with `--quiet`. A failure is printed whatever the style.

use std::collections::BTreeMap;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::clean;
use crate::output::progress::Style;
use crate::output::tflops;
use crate::results::sustain::{Checks, Failure, Window};
use crate::sustain::run::Progress;
use crate::sustain::SustainOptions;
use crate::units::sig;

/// Seconds of windows between two lines of one device in a log.
const LINE_EVERY_S: f64 = 10.0;

/// The progress of a run of `opts`, in `style`.
pub fn start(style: Style, opts: &SustainOptions) -> Box<dyn Progress> {
    match style {
        Style::Bar => Box::new(Bar::new(opts.duration_s)),
        Style::Lines => Box::new(Lines {
            every: line_every(opts),
        }),
        Style::Quiet => Box::new(Quiet),
    }
}

/// Windows between two lines of a device: about `LINE_EVERY_S` seconds of them, and in a
/// short run at least ten lines.
fn line_every(opts: &SustainOptions) -> usize {
    let by_time = (LINE_EVERY_S / opts.window_s).round().max(1.0);
    let windows = (opts.duration_s / opts.window_s).ceil();
    by_time.min((windows / 10.0).ceil()).max(1.0) as usize
}

/// "[10.0 s] cpu:0: 0.1234 TFLOP/s in window 9, clock 4290 MHz, 512.0 W of 700 W, 61 C,
/// throttled: sw_power_cap; 120 results checked bit for bit, 2 against the f64 reference".
pub fn line(device: &str, w: &Window, c: &Checks) -> String {
    let mut s = format!("[{:.1} s] {device}: ", w.end_s);
    s += &match w.tflops {
        Some(t) => format!("{} TFLOP/s in window {}", tflops(t), w.index),
        None => format!("no iteration ended in window {}", w.index),
    };
    if let Some(mhz) = w.clock_mhz {
        s += &format!(", clock {} MHz", sig(mhz));
    }
    match (w.power_w, w.power_limit_w) {
        (Some(p), Some(cap)) => s += &format!(", {} W of {} W", sig(p), sig(cap)),
        (Some(p), None) => s += &format!(", {} W", sig(p)),
        _ => {}
    }
    if let Some(t) = w.temperature_c {
        s += &format!(", {} C", sig(t));
    }
    if !w.throttle_reasons.is_empty() {
        s += &format!(", throttled: {}", w.throttle_reasons.join(" "));
    }
    s += &format!(
        "; {} results checked bit for bit, {} against the f64 reference",
        c.results_compared, c.reference
    );
    clean::line(&s).into_owned()
}

/// "FAILED cpu:0 in window 12 (12.3 s): ..." (printed whatever the style).
pub fn failure(device: &str, f: &Failure) -> String {
    let at = match f.window {
        Some(w) => format!(" in window {w} ({:.1} s)", f.t_s),
        None => " before the first window".into(),
    };
    clean::line(&format!("FAILED {device}{at}: {}", f.message)).into_owned()
}

struct Lines {
    every: usize,
}

impl Progress for Lines {
    fn window(&self, device: &str, w: &Window, c: &Checks) {
        if (w.index + 1).is_multiple_of(self.every) {
            crate::say!("{}", line(device, w, c));
        }
    }
    fn failure(&self, device: &str, f: &Failure) {
        crate::say!("{}", failure(device, f));
    }
    fn done(&self) {}
}

struct Bar {
    bar: ProgressBar,
    latest: Mutex<BTreeMap<String, String>>,
}

impl Bar {
    fn new(duration_s: f64) -> Bar {
        let bar = ProgressBar::new(duration_s.ceil() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} s {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            latest: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Progress for Bar {
    fn window(&self, device: &str, w: &Window, _: &Checks) {
        let mut latest = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rate = w.tflops.map_or("-".into(), tflops);
        latest.insert(clean::line(device).into_owned(), rate);
        let msg: Vec<String> = latest.iter().map(|(d, r)| format!("{d} {r}")).collect();
        self.bar.set_message(format!("TFLOP/s: {}", msg.join(", ")));
        self.bar.set_position(w.end_s as u64);
    }
    fn failure(&self, device: &str, f: &Failure) {
        self.bar.suspend(|| crate::say!("{}", failure(device, f)));
    }
    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

struct Quiet;

impl Progress for Quiet {
    fn window(&self, _: &str, _: &Window, _: &Checks) {}
    fn failure(&self, device: &str, f: &Failure) {
        crate::say!("{}", failure(device, f));
    }
    fn done(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gets_a_line_about_every_ten_seconds_and_ten_in_a_short_run() {
        let every = |duration_s, window_s| {
            line_every(&SustainOptions {
                duration_s,
                window_s,
                ..SustainOptions::DEFAULT
            })
        };
        assert_eq!(every(300.0, 1.0), 10);
        assert_eq!(every(300.0, 0.5), 20);
        assert_eq!(every(6.0, 0.5), 2);
        assert_eq!(every(3.0, 1.0), 1);
        assert_eq!(every(3600.0, 60.0), 1);
    }

    #[test]
    fn a_window_is_one_line_with_what_was_sampled() {
        let w = Window {
            index: 9,
            start_s: 9.0,
            end_s: 10.0,
            iterations: 12,
            device_s: 0.98,
            tflops: Some(0.1234),
            clock_mhz: Some(4290.0),
            power_w: Some(512.0),
            power_limit_w: Some(700.0),
            temperature_c: Some(61.0),
            throttle_reasons: vec!["sw_power_cap".into()],
            ..Default::default()
        };
        let c = Checks {
            results_compared: 120,
            reference: 2,
            ..Default::default()
        };
        assert_eq!(
            line("cuda:0\u{1b}[2J", &w, &c),
            "[10.0 s] cuda:0\\u{1b}[2J: 0.1234 TFLOP/s in window 9, clock 4290 MHz, 512.0 W of \
             700.0 W, 61.00 C, throttled: sw_power_cap; 120 results checked bit for bit, 2 \
             against the f64 reference"
        );
    }
}
