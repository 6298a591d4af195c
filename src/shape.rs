//! A GEMM's shape: C (M x N) = A (M x K) B (K x N), and a batch of them (`Problem`). Part of
//! the results schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Shape {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

impl Shape {
    pub fn cube(n: usize) -> Shape {
        Shape { m: n, n, k: n }
    }

    /// 2mnk: one multiply and one add per term.
    pub fn flop(&self) -> f64 {
        2.0 * self.m as f64 * self.n as f64 * self.k as f64
    }
}

/// The product of sizes (elements, bytes), saturating at u64::MAX: a size that does not fit is
/// too large for any memory, never one that wrapped around to a small number.
pub fn saturating_product(factors: &[usize]) -> u64 {
    factors
        .iter()
        .try_fold(1u64, |acc, f| acc.checked_mul(*f as u64))
        .unwrap_or(u64::MAX)
}

impl Shape {
    /// Bytes of A (M x K) and B (K x N) at `input` bytes an element and C (M x N) at `output`,
    /// saturating (see `saturating_product`).
    pub fn operand_bytes(&self, input: usize, output: usize) -> u64 {
        let (m, n, k) = (self.m, self.n, self.k);
        saturating_product(&[m, k, input])
            .saturating_add(saturating_product(&[k, n, input]))
            .saturating_add(saturating_product(&[m, n, output]))
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.m, self.n, self.k)
    }
}

/// What one timed call computes: `batch` independent products of one shape, as a
/// strided-batched GEMM runs them (the per-head attention products, a layer's experts). A batch
/// of 1 is a plain GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Problem {
    pub shape: Shape,
    pub batch: usize,
}

impl Problem {
    pub fn single(shape: Shape) -> Problem {
        Problem { shape, batch: 1 }
    }

    /// `batch` products of m x n x k, as results files store them.
    pub fn of(m: usize, n: usize, k: usize, batch: usize) -> Problem {
        Problem {
            shape: Shape { m, n, k },
            batch,
        }
    }

    /// 2 B m n k.
    pub fn flop(&self) -> f64 {
        self.shape.flop() * self.batch as f64
    }
}

impl From<Shape> for Problem {
    fn from(shape: Shape) -> Problem {
        Problem::single(shape)
    }
}

/// "1024x1024x64", or "12x(1024x1024x64)" for a batch of 12: no spaces, so a table never splits
/// it.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.batch == 1 {
            write!(f, "{}", self.shape)
        } else {
            write!(f, "{}x({})", self.batch, self.shape)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_and_display() {
        let s = Shape { m: 2, n: 3, k: 4 };
        assert_eq!(s.flop(), 48.0);
        assert_eq!(s.to_string(), "2x3x4");
        assert_eq!(Shape::cube(5), Shape { m: 5, n: 5, k: 5 });
        let p = Problem {
            shape: s,
            batch: 12,
        };
        assert_eq!(p.flop(), 12.0 * 48.0);
        assert_eq!(p.to_string(), "12x(2x3x4)");
        assert_eq!(Problem::single(s).to_string(), "2x3x4");
        assert_eq!(s.operand_bytes(4, 2), 4 * (8 + 12) + 2 * 6);
        // 2^62 tokens x 768: wraps in usize arithmetic, saturates here.
        let huge = Shape {
            m: 1 << 62,
            n: 768,
            k: 768,
        };
        assert_eq!(huge.operand_bytes(4, 4), u64::MAX);
        assert_eq!(saturating_product(&[usize::MAX, 2]), u64::MAX);
    }
}
