//! A GEMM's shape: C (M x N) = A (M x K) B (K x N), and a batch of them (`Problem`). Part of
//! the results schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.m, self.n, self.k)
    }
}

/// What one timed call computes: `batch` independent products of one shape, as a
/// strided-batched GEMM runs them (the per-head attention products, a layer's experts). A batch
/// of 1 is a plain GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem {
    pub shape: Shape,
    pub batch: usize,
}

impl Problem {
    pub fn single(shape: Shape) -> Problem {
        Problem { shape, batch: 1 }
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
    }
}
