//! A GEMM's shape: C (M x N) = A (M x K) B (K x N). Part of the results schema.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_and_display() {
        let s = Shape { m: 2, n: 3, k: 4 };
        assert_eq!(s.flop(), 48.0);
        assert_eq!(s.to_string(), "2x3x4");
        assert_eq!(Shape::cube(5), Shape { m: 5, n: 5, k: 5 });
    }
}
