//! Correctness throughout a sustained run. Before the series starts, every operand set's first
//! result is kept (its fingerprint, and its C on the host where that fits) and computed once
//! more: a kernel whose two results of the same inputs differ is not deterministic here, and
//! bit-for-bit checks could not tell a fault from it. During the run every set's C is compared
//! with its first result, bit for bit, and now and then one result is checked against the f64
//! reference as a bench checks it. Each difference becomes a `Failure` naming where it was found
//! and its size.

use crate::gemm::fingerprint::{compare, Difference};
use crate::gemm::{Fingerprint, Gemm, ResultC};
use crate::results::sustain::{Failure, FailureKind};
use crate::results::{Verification, VerificationStatus};
use crate::units::sig;

/// Most bytes of first results kept on the host to size a difference (beyond, a difference is
/// found by its fingerprint and sized by the f64 reference check alone).
pub const HOST_COPY_LIMIT: u64 = 2 << 30;

/// When a check was made: the window (none before the first), seconds since the start, and
/// the timed iterations done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct When {
    pub window: Option<usize>,
    pub t_s: f64,
    pub iteration: u64,
}

/// Each operand set's first result.
pub struct FirstResults {
    fingerprints: Vec<Fingerprint>,
    copies: Option<Vec<ResultC>>,
}

/// One set whose result differs from its first: its difference where the first C was kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub set: usize,
    pub difference: Option<Difference>,
}

impl FirstResults {
    /// Keeps the fingerprint of every set's C as it stands, and the Cs themselves where they
    /// fit in `HOST_COPY_LIMIT`.
    pub fn take(gemm: &mut dyn Gemm) -> Result<FirstResults, String> {
        let fingerprints = gemm.fingerprints()?;
        let first = gemm.result(0)?;
        let total = (first.bytes.len() as u64).saturating_mul(fingerprints.len() as u64);
        let copies = if total <= HOST_COPY_LIMIT {
            let mut v = vec![first];
            for s in 1..fingerprints.len() {
                v.push(gemm.result(s)?);
            }
            Some(v)
        } else {
            None
        };
        Ok(FirstResults {
            fingerprints,
            copies,
        })
    }

    /// The sets whose C differs now from their first result.
    pub fn compare(&self, gemm: &mut dyn Gemm) -> Result<Vec<Mismatch>, String> {
        let now = gemm.fingerprints()?;
        let mut out = Vec::new();
        for (set, (a, b)) in self.fingerprints.iter().zip(&now).enumerate() {
            if a == b {
                continue;
            }
            let difference = match &self.copies {
                Some(c) => compare(&c[set], &gemm.result(set)?),
                None => None,
            };
            out.push(Mismatch { set, difference });
        }
        if now.len() != self.fingerprints.len() {
            return Err(format!(
                "the kernel has {} operand sets now, {} at the start",
                now.len(),
                self.fingerprints.len()
            ));
        }
        Ok(out)
    }

    /// Results compared by one `compare`.
    pub fn sets(&self) -> usize {
        self.fingerprints.len()
    }
}

/// "C[12, 40] changed from 1.234 to 1.234 (by 1.192e-7, 9.658e-8 of its value, 1 bit); 1 of
/// 65536 elements differ".
fn describe(d: &Difference) -> String {
    let at = if d.worst.product > 0 {
        format!(
            "C[{}, {}] of product {}",
            d.worst.row, d.worst.col, d.worst.product
        )
    } else {
        format!("C[{}, {}]", d.worst.row, d.worst.col)
    };
    format!(
        "{at} changed from {} to {} (by {}, {} of its value, {} bit{}); {} of {} elements differ",
        sig(d.was),
        sig(d.now),
        sig(d.max_abs),
        sig(d.max_rel),
        d.bits,
        if d.bits == 1 { "" } else { "s" },
        d.elements,
        d.of
    )
}

/// A result that differs from the first result of the same inputs.
pub fn corruption(m: &Mismatch, when: When, kind: FailureKind) -> Failure {
    let lead = match kind {
        FailureKind::NotDeterministic => format!(
            "operand set {}: its second result differs from its first, bit for bit: the kernel \
             is not deterministic here, so bit-for-bit checks cannot tell a fault (choose \
             another --kernel)",
            m.set
        ),
        _ => format!(
            "operand set {}: the result differs from its first, bit for bit",
            m.set
        ),
    };
    let d = m.difference.as_ref();
    Failure {
        kind,
        window: when.window,
        t_s: when.t_s,
        iteration: when.iteration,
        set: Some(m.set),
        message: match d {
            Some(d) => format!("{lead}: {}", describe(d)),
            None => format!("{lead} (its fingerprint changed; the first C was too large to keep)"),
        },
        elements_differing: d.map(|d| d.elements),
        elements: d.map(|d| d.of),
        max_abs_error: d.map(|d| d.max_abs),
        max_rel_error: d.map(|d| d.max_rel),
        bits: d.map(|d| d.bits),
    }
}

/// A result that failed the f64 reference check, or None when it passed.
pub fn reference(v: &Verification, when: When) -> Option<Failure> {
    (v.status == VerificationStatus::Failed).then(|| Failure {
        kind: FailureKind::Reference,
        window: when.window,
        t_s: when.t_s,
        iteration: when.iteration,
        set: Some(0),
        message: format!(
            "the f64 reference check failed: {}",
            v.message.as_deref().unwrap_or("no message")
        ),
        elements_differing: None,
        elements: Some(v.checked as u64),
        max_abs_error: None,
        max_rel_error: v.max_rel_error,
        bits: None,
    })
}

/// The device or its library failed.
pub fn device(message: String, when: When) -> Failure {
    Failure {
        kind: FailureKind::Device,
        window: when.window,
        t_s: when.t_s,
        iteration: when.iteration,
        set: None,
        message,
        elements_differing: None,
        elements: None,
        max_abs_error: None,
        max_rel_error: None,
        bits: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::fingerprint::Position;

    #[test]
    fn a_corruption_names_the_element_and_its_size() {
        let m = Mismatch {
            set: 1,
            difference: Some(Difference {
                elements: 1,
                of: 65536,
                worst: Position {
                    product: 0,
                    row: 12,
                    col: 40,
                },
                was: 1.5,
                now: 1.5000001,
                max_abs: 1.0e-7,
                max_rel: 6.7e-8,
                bits: 1,
            }),
        };
        let when = When {
            window: Some(7),
            t_s: 7.5,
            iteration: 300,
        };
        let f = corruption(&m, when, FailureKind::Corruption);
        assert_eq!((f.window, f.set, f.bits), (Some(7), Some(1), Some(1)));
        assert_eq!(
            f.message,
            "operand set 1: the result differs from its first, bit for bit: C[12, 40] changed \
             from 1.500 to 1.500 (by 1.000e-7, 6.700e-8 of its value, 1 bit); 1 of 65536 \
             elements differ"
        );
        let f = corruption(&m, when, FailureKind::NotDeterministic);
        assert!(
            f.message.contains("not deterministic here"),
            "{}",
            f.message
        );
    }
}
