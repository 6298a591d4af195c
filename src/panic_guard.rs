//! Turns a panic inside a foreign-library wrapper (cudarc panics when a library or one of its
//! symbols is missing; wgpu's instance creation can panic on a broken driver) into an error,
//! without printing a backtrace. One process-wide hook, installed once, stays silent while the
//! current thread is inside `guard`; other threads' panics are reported as usual.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// How many `guard` calls the current thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                default(info);
            }
        }));
    });
}

/// The message a panic carried.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `f`; a panic inside it becomes `Err("{what}: {message}")`.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    match out {
        Ok(r) => r,
        Err(p) => Err(format!("{what}: {}", panic_message(p.as_ref()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_nesting_is_fine() {
        let r: Result<(), String> = guard("outer", || {
            let inner: Result<(), String> = guard("inner", || panic!("missing symbol"));
            assert_eq!(inner.unwrap_err(), "inner: missing symbol");
            Err("kept".into())
        });
        assert_eq!(r.unwrap_err(), "kept");
        assert_eq!(guard("x", || Ok(3)).unwrap(), 3);
    }

    #[test]
    fn guards_on_many_threads_do_not_interfere() {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| guard("t", || -> Result<(), String> { panic!("{i}") }))
                        .all(|r| r == Err(format!("t: {i}")))
                })
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
    }
}
