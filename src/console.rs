//! stdout and stderr that may fail. Rust's `println!` panics when stdout cannot be written (a
//! full disk, `> /dev/full`, an I/O error): `install` keeps that panic quiet and `catch` turns
//! it into a one-line error and exit status 1, never a backtrace and 101. Messages on stderr
//! go through `say!`, which never fails: a full stderr loses the message, not the exit status
//! (2, 1 and 143 stay what they are). A closed pipe is `output::quiet_on_closed_pipe`'s.

use std::io::Write;
use std::sync::Once;

/// What std's print macros panic with when the write fails.
const STDOUT_FAILED: &str = "failed printing to stdout";
const STDERR_FAILED: &str = "failed printing to stderr";

fn is_print_failure(message: &str) -> bool {
    message.starts_with(STDOUT_FAILED) || message.starts_with(STDERR_FAILED)
}

/// Makes the panic of a failed print quiet (it is reported by `catch`); other panics are
/// reported as before.
pub(crate) fn install() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if !is_print_failure(message) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a failed print inside it becomes `Err("cannot write to stdout: ...")`. Any other
/// panic goes on unwinding.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(payload) => {
            let message = crate::panic_guard::panic_message(payload.as_ref());
            match message.strip_prefix("failed printing to ") {
                Some(rest) if is_print_failure(&message) => Err(format!("cannot write to {rest}")),
                _ => std::panic::resume_unwind(payload),
            }
        }
    }
}

/// One line on stderr; a write that fails is dropped.
pub(crate) fn say_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// `eprintln!` that never panics: a message lost to a full stderr is not worth the run.
#[macro_export]
#[doc(hidden)]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::say_line(&format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_print_becomes_an_error_and_other_panics_go_on() {
        install();
        let r: Result<(), String> =
            catch(|| std::panic::panic_any(format!("{STDOUT_FAILED}: No space left on device")));
        assert_eq!(
            r.unwrap_err(),
            "cannot write to stdout: No space left on device"
        );
        let other = std::panic::catch_unwind(|| catch(|| panic!("a bug")));
        assert!(other.is_err());
        assert_eq!(catch(|| 3).unwrap(), 3);
    }
}
