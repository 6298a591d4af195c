//! A bench's progress on stderr: a bar in a terminal; one plain line per finished job where
//! stderr is a file or a pipe (Slurm, nohup, `| tee`, CI), so a log shows the run as it goes;
//! nothing with `--quiet` but warnings and errors.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::clean;
use super::{percent, tflops};
use crate::bench::runner::{Finished, Progress};
use crate::measure::stats::median_rel_spread;
use crate::results::VerificationStatus;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Bar,
    Lines,
    Quiet,
}

impl Style {
    /// A bar when stderr is a terminal, lines otherwise; nothing when `quiet`.
    pub fn for_stderr(quiet: bool) -> Style {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Style::Quiet,
            (false, true) => Style::Bar,
            (false, false) => Style::Lines,
        }
    }
}

/// The progress of a bench of `total` jobs, in `style`.
pub(crate) fn start(style: Style, total: usize) -> Box<dyn Progress> {
    match style {
        Style::Bar => Box::new(Bar::new(total)),
        Style::Lines => Box::new(Lines {
            start: Instant::now(),
        }),
        Style::Quiet => Box::new(Quiet),
    }
}

/// "[3/14 12.5 s] cpu:0 faer f32 512x512x512: 0.4282 TFLOP/s ±0.4%, 78.2% of peak; best cpu:0
/// f32 so far 0.4651": one finished job, as a log shows it.
pub(crate) fn line(j: &Finished, elapsed_s: f64) -> String {
    let r = j.run;
    let mut s = format!(
        "[{}/{} {:.1} s] {} {} {} {}x{}x{}: {} TFLOP/s",
        j.done,
        j.total,
        elapsed_s,
        r.device,
        r.kernel,
        r.dtype,
        r.m,
        r.n,
        r.k,
        tflops(r.tflops.median)
    );
    let spread = median_rel_spread(&r.samples);
    if spread.is_finite() {
        s += &format!(" ±{}", percent(spread));
    }
    if let Some(u) = r.utilization.rated {
        s += &format!(", {} of peak", percent(u));
        if r.utilization.above_peak {
            s += " (!)";
        }
    }
    if r.verification.status == VerificationStatus::Failed {
        s += ", FAILED verification (not counted)";
    }
    if let Some(best) = j.best {
        s += &format!("; best {} {} so far {}", r.device, r.dtype, tflops(best));
    }
    clean::line(&s).into_owned()
}

struct Bar(ProgressBar);

impl Bar {
    fn new(total: usize) -> Bar {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn starting(&self, what: &str) {
        self.0.set_message(clean::line(what).into_owned());
    }
    fn finished(&self, _: Finished) {
        self.0.inc(1);
    }
    fn failed(&self, _: usize, _: usize, message: &str) {
        self.say(&format!("error: {message}"));
        self.0.inc(1);
    }
    fn say(&self, line: &str) {
        self.0.suspend(|| crate::say!("{}", clean::line(line)));
    }
    fn done(&self) {
        self.0.finish_and_clear();
    }
}

struct Lines {
    start: Instant,
}

impl Progress for Lines {
    fn starting(&self, _: &str) {}
    fn finished(&self, j: Finished) {
        crate::say!("{}", line(&j, self.start.elapsed().as_secs_f64()));
    }
    fn failed(&self, done: usize, total: usize, message: &str) {
        crate::say!(
            "[{done}/{total} {:.1} s] error: {}",
            self.start.elapsed().as_secs_f64(),
            clean::line(message)
        );
    }
    fn say(&self, line: &str) {
        crate::say!("{}", clean::line(line));
    }
    fn done(&self) {}
}

struct Quiet;

impl Progress for Quiet {
    fn starting(&self, _: &str) {}
    fn finished(&self, _: Finished) {}
    fn failed(&self, _: usize, _: usize, message: &str) {
        self.say(&format!("error: {message}"));
    }
    fn say(&self, line: &str) {
        crate::say!("{}", clean::line(line));
    }
    fn done(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_job_is_one_line_with_everything_a_log_needs() {
        let mut doc = crate::report::fixtures::dev_vm();
        let run = &mut doc.runs[0];
        run.device = "cuda:0\u{1b}[2J".into();
        let l = line(
            &Finished {
                done: 3,
                total: 14,
                run,
                best: Some(0.5),
            },
            12.34,
        );
        assert!(!l.contains('\n') && !l.contains('\u{1b}'), "{l}");
        assert!(
            l.starts_with("[3/14 12.3 s] cuda:0\\u{1b}[2J naive f32 256x256x256: "),
            "{l}"
        );
        assert!(l.contains(" TFLOP/s ±") && l.contains("% of peak"), "{l}");
        assert!(
            l.ends_with("; best cuda:0\\u{1b}[2J f32 so far 0.5000"),
            "{l}"
        );
    }
}
