//! Verification of every result: sampled output elements against f64 dot products on the CPU,
//! with a tolerance that depends on the dtype's rounding and on K.

use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::dtype::Dtype;
use crate::results::{Shape, Verification, VerificationStatus};

/// Random positions checked per result, besides the four corners.
pub const SAMPLED_ELEMENTS: usize = 256;

/// Unit round-offs of the three places a GEMM rounds.
#[derive(Debug, Clone, Copy)]
pub struct Precision {
    /// Rounding the math applies to inputs already stored in their dtype (TF32 rounds f32).
    pub input: f64,
    /// Rounding of the accumulator.
    pub accumulate: f64,
    /// Rounding of the stored output.
    pub output: f64,
}

impl Precision {
    /// The precision of a dtype as flopmeter defines it: f32 accumulate for all tensor types,
    /// output stored as f32 (f64 for f64).
    pub fn of(dtype: Dtype) -> Precision {
        let f32u = Dtype::F32.unit_roundoff();
        match dtype {
            Dtype::F64 => Precision {
                input: 0.0,
                accumulate: Dtype::F64.unit_roundoff(),
                output: Dtype::F64.unit_roundoff(),
            },
            Dtype::Tf32 => Precision {
                input: Dtype::Tf32.unit_roundoff(),
                accumulate: f32u,
                output: f32u,
            },
            Dtype::Int8 => Precision {
                input: 0.0,
                accumulate: 0.0,
                output: 0.0,
            },
            _ => Precision {
                input: 0.0,
                accumulate: f32u,
                output: f32u,
            },
        }
    }

    /// Allowed error, relative to sum_k |a_ik b_kj|. Rounding errors of a K-term sum grow like
    /// sqrt(K) in practice (K in the worst case); the factor 8 leaves room for blocked orders.
    pub fn tolerance(&self, k: usize) -> f64 {
        self.output + 2.0 * self.input + 8.0 * (k as f64).sqrt() * self.accumulate + 1e-300
    }
}

/// Output positions to check: the corners and `SAMPLED_ELEMENTS` random ones.
pub fn positions(shape: Shape, seed: u64) -> Vec<(usize, usize)> {
    let (m, n) = (shape.m, shape.n);
    let mut out = vec![(0, 0), (0, n - 1), (m - 1, 0), (m - 1, n - 1)];
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_F00D);
    for _ in 0..SAMPLED_ELEMENTS {
        out.push((rng.random_range(0..m), rng.random_range(0..n)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Checks `c` against f64 dot products of `a` and `b` at sampled positions. The closures read
/// the operands as stored (already rounded to the dtype) and the result as computed.
pub fn verify(
    shape: Shape,
    precision: Precision,
    seed: u64,
    a: impl Fn(usize, usize) -> f64,
    b: impl Fn(usize, usize) -> f64,
    c: impl Fn(usize, usize) -> f64,
) -> Verification {
    let tolerance = precision.tolerance(shape.k);
    let points = positions(shape, seed);
    let mut worst = 0.0f64;
    let mut worst_at = (0, 0);
    for &(i, j) in &points {
        let (mut exact, mut scale) = (0.0f64, 0.0f64);
        for p in 0..shape.k {
            let term = a(i, p) * b(p, j);
            exact += term;
            scale += term.abs();
        }
        let got = c(i, j);
        let err = if got.is_finite() {
            (got - exact).abs() / scale.max(f64::MIN_POSITIVE)
        } else {
            f64::INFINITY
        };
        if err > worst || err.is_nan() {
            worst = err;
            worst_at = (i, j);
        }
    }
    let passed = worst <= tolerance;
    Verification {
        status: if passed {
            VerificationStatus::Passed
        } else {
            VerificationStatus::Failed
        },
        max_rel_error: Some(if worst.is_finite() { worst } else { f64::MAX }),
        tolerance: Some(tolerance),
        checked: points.len(),
        message: (!passed).then(|| {
            format!(
                "C[{}, {}] is off by {:.3e} of sum|a||b| (tolerance {:.1e})",
                worst_at.0, worst_at.1, worst, tolerance
            )
        }),
    }
}

/// The products of a batch that are checked: the first, the middle and the last (a kernel that
/// ignores the batch offset, or stops early, gets the last wrong).
pub fn batch_entries(batch: usize) -> Vec<usize> {
    let mut v = vec![0, batch / 2, batch - 1];
    v.dedup();
    v
}

/// Verifies the checked products of a batch with `check` (which verifies product `e`): the
/// worst of them is the result, with every element checked counted and the product named.
pub fn verify_batch(batch: usize, check: impl Fn(usize) -> Verification) -> Verification {
    let mut checked = 0;
    let mut worst: Option<(usize, Verification)> = None;
    for e in batch_entries(batch) {
        let v = check(e);
        checked += v.checked;
        let worse = match &worst {
            None => true,
            Some((_, w)) => {
                (v.status == VerificationStatus::Failed && w.status != VerificationStatus::Failed)
                    || (v.status == w.status && v.max_rel_error > w.max_rel_error)
            }
        };
        if worse {
            worst = Some((e, v));
        }
    }
    let (e, mut v) = worst.expect("a batch has at least one product");
    v.checked = checked;
    if batch > 1 {
        v.message = v.message.map(|m| format!("product {e} of {batch}: {m}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::inputs::normal_f64;

    fn matmul(a: &[f64], b: &[f64], s: Shape) -> Vec<f64> {
        let mut c = vec![0.0; s.m * s.n];
        for i in 0..s.m {
            for p in 0..s.k {
                for j in 0..s.n {
                    c[i * s.n + j] += a[i * s.k + p] * b[p * s.n + j];
                }
            }
        }
        c
    }

    fn check(s: Shape, c: &[f64], a: &[f64], b: &[f64], d: Dtype) -> Verification {
        verify(
            s,
            Precision::of(d),
            1,
            |i, p| a[i * s.k + p],
            |p, j| b[p * s.n + j],
            |i, j| c[i * s.n + j],
        )
    }

    #[test]
    fn a_correct_f32_result_passes() {
        let s = Shape {
            m: 37,
            n: 29,
            k: 300,
        };
        let a: Vec<f64> = normal_f64(s.m * s.k, 1)
            .iter()
            .map(|x| *x as f32 as f64)
            .collect();
        let b: Vec<f64> = normal_f64(s.k * s.n, 2)
            .iter()
            .map(|x| *x as f32 as f64)
            .collect();
        // Computed in f32, as a device would.
        let c: Vec<f64> = matmul(&a, &b, s).iter().map(|x| *x as f32 as f64).collect();
        let v = check(s, &c, &a, &b, Dtype::F32);
        assert_eq!(v.status, VerificationStatus::Passed, "{v:?}");
        assert!(v.checked >= 4);
    }

    #[test]
    fn wrong_kernels_are_caught() {
        let s = Shape {
            m: 40,
            n: 40,
            k: 512,
        };
        let a = normal_f64(s.m * s.k, 3);
        let b = normal_f64(s.k * s.n, 4);
        let good = matmul(&a, &b, s);
        // 1. One term of every dot product dropped (an off-by-one in the k loop).
        let mut short = good.clone();
        for i in 0..s.m {
            for j in 0..s.n {
                short[i * s.n + j] -= a[i * s.k + s.k - 1] * b[(s.k - 1) * s.n + j];
            }
        }
        // 2. Accumulating in bf16 while claiming f32.
        let coarse: Vec<f64> = good
            .iter()
            .map(|x| half::bf16::from_f64(*x).to_f64())
            .collect();
        // 3. A NaN in one corner.
        let mut nan = good.clone();
        nan[s.m * s.n - 1] = f64::NAN;
        // 4. Results scaled by 1.001 (alpha applied twice, say).
        let scaled: Vec<f64> = good.iter().map(|x| x * 1.001).collect();
        for (what, c) in [
            ("short k", &short),
            ("bf16 out", &coarse),
            ("nan", &nan),
            ("scaled", &scaled),
        ] {
            let v = check(s, c, &a, &b, Dtype::F32);
            assert_eq!(v.status, VerificationStatus::Failed, "{what}: {v:?}");
            assert!(v.message.is_some());
        }
        assert_eq!(
            check(s, &good, &a, &b, Dtype::F64).status,
            VerificationStatus::Passed
        );
    }

    #[test]
    fn a_batch_fails_when_any_checked_product_fails_and_names_it() {
        let s = Shape { m: 8, n: 8, k: 64 };
        let a = normal_f64(s.m * s.k, 5);
        let b = normal_f64(s.k * s.n, 6);
        let good = matmul(&a, &b, s);
        let mut bad = good.clone();
        bad[0] += 1.0;
        assert_eq!(batch_entries(1), [0]);
        assert_eq!(batch_entries(12), [0, 6, 11]);
        // Product 11 of 12 is wrong (a kernel that ignored the batch offset, say).
        let v = verify_batch(12, |e| {
            let c = if e == 11 { &bad } else { &good };
            check(s, c, &a, &b, Dtype::F64)
        });
        assert_eq!(v.status, VerificationStatus::Failed);
        assert!(v
            .message
            .as_deref()
            .unwrap()
            .starts_with("product 11 of 12: "));
        assert_eq!(v.checked, 3 * check(s, &good, &a, &b, Dtype::F64).checked);
        let v = verify_batch(12, |_| check(s, &good, &a, &b, Dtype::F64));
        assert_eq!(v.status, VerificationStatus::Passed);
    }

    #[test]
    fn tolerance_grows_with_k_and_coarser_math() {
        let f32p = Precision::of(Dtype::F32);
        assert!(f32p.tolerance(4096) > f32p.tolerance(64));
        assert!(Precision::of(Dtype::Tf32).tolerance(1024) > f32p.tolerance(1024));
        assert!(Precision::of(Dtype::F64).tolerance(1024) < 1e-12);
    }

    #[test]
    fn positions_include_corners_and_stay_in_range() {
        let s = Shape {
            m: 1,
            n: 4096,
            k: 1,
        };
        let p = positions(s, 9);
        assert!(p.contains(&(0, 0)) && p.contains(&(0, 4095)));
        assert!(p.iter().all(|&(i, j)| i < 1 && j < 4096));
    }
}
