//! Random normal operands, scaled for the dtype and seeded so a run can be reproduced. Never
//! zeros or small integers: input values change power draw and therefore clocks.

use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Values drawn per independently seeded chunk: the result does not depend on the thread count.
const CHUNK: usize = 1 << 16;

/// `len` samples of N(0, 1) from `seed`, drawn in parallel (a 8192^2 operand is 67M values).
pub fn normal_f64(len: usize, seed: u64) -> Vec<f64> {
    use rayon::prelude::*;
    let mut out = vec![0.0; len];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(i, chunk)| {
            let mut rng =
                StdRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            for x in chunk {
                *x = rng.sample::<f64, _>(StandardNormal);
            }
        });
    out
}

/// Seed of operand `which` (0 = A, 1 = B) of set `set`, derived from the run's seed.
pub fn operand_seed(seed: u64, set: usize, which: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((set as u64) << 8)
        .wrapping_add(which)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_normal_and_reproducible() {
        let a = normal_f64(100_000, 7);
        assert_eq!(a, normal_f64(100_000, 7));
        assert_ne!(a, normal_f64(100_000, 8));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        let zeros = a.iter().filter(|x| **x == 0.0).count();
        let integers = a.iter().filter(|x| x.fract() == 0.0).count();
        assert_eq!((zeros, integers), (0, 0));
    }

    #[test]
    fn operand_seeds_differ() {
        assert_ne!(operand_seed(1, 0, 0), operand_seed(1, 0, 1));
        assert_ne!(operand_seed(1, 0, 0), operand_seed(1, 1, 0));
    }
}
