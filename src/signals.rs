//! Stop requests from outside: Ctrl-C (SIGINT), a scheduler's SIGTERM (Slurm at the time limit,
//! `timeout`), a closed terminal (SIGHUP). The first asks a long run to stop after the current
//! sample and keep what it measured; a second exits at once. The exit status then follows the
//! shell's convention, 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;

/// What has been asked of the process so far.
#[derive(Debug, Default)]
pub struct Interrupt {
    stop: AtomicBool,
    signal: AtomicI32,
}

impl Interrupt {
    /// The flag long work polls between samples.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// True once a stop was asked for.
    pub fn requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The exit status a stopped run should end with: 128 + the signal number.
    pub fn exit_code(&self) -> Option<i32> {
        let sig = self.signal.load(Ordering::SeqCst);
        (sig > 0).then_some(128 + sig)
    }

    /// Records a request to stop (returns true when one had already been made).
    fn note(&self, signal: i32) -> bool {
        let again = self.stop.swap(true, Ordering::SeqCst);
        if !again {
            self.signal.store(signal, Ordering::SeqCst);
        }
        again
    }
}

fn name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "Ctrl-C",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Installs the handlers once and returns the shared state.
pub fn install() -> &'static Interrupt {
    static STATE: OnceLock<Interrupt> = OnceLock::new();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let state = STATE.get_or_init(Interrupt::default);
    INSTALLED.get_or_init(|| listen(state));
    state
}

/// The handlers run on their own thread (signal-hook's iterator), where printing is safe. The
/// thread starts first: were it to fail (a thread or address-space limit), no handler is
/// installed, so SIGTERM still ends the process instead of being swallowed.
#[cfg(unix)]
fn listen(state: &'static Interrupt) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    let (tx, rx) = std::sync::mpsc::channel::<Signals>();
    let listener = std::thread::Builder::new().name("signals".into());
    let started = listener.spawn(move || {
        let Ok(mut signals) = rx.recv() else { return };
        for signal in signals.forever() {
            if state.note(signal) {
                std::process::exit(128 + signal);
            }
            crate::say!(
                "\n{}: stopping after the current sample; the results so far are kept \
                 (again to abort)",
                name(signal)
            );
        }
    });
    let lost = "an interrupted run loses its results";
    if let Err(e) = started {
        crate::say!("warning: cannot start the signal thread ({e}); {lost}");
        return;
    }
    match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(signals) => {
            let _ = tx.send(signals);
        }
        Err(_) => crate::say!("warning: cannot install signal handlers; {lost}"),
    }
}

/// Elsewhere (Windows), ctrlc's handler covers Ctrl-C and Ctrl-Break.
#[cfg(not(unix))]
fn listen(state: &'static Interrupt) {
    let _ = ctrlc::set_handler(move || {
        if state.note(2) {
            std::process::exit(130);
        }
        crate::say!("\nCtrl-C: stopping after the current sample (again to abort)");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_signal_asks_to_stop_and_sets_the_exit_status() {
        let i = Interrupt::default();
        assert!(!i.requested());
        assert_eq!(i.exit_code(), None);
        assert!(!i.note(15));
        assert!(i.requested());
        assert_eq!(i.exit_code(), Some(143));
        // A second one is reported as a repeat and does not change the status.
        assert!(i.note(2));
        assert_eq!(i.exit_code(), Some(143));
    }
}
