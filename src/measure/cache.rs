//! Cache defeat by rotation: enough operand sets that their total exceeds the last-level cache
//! (twice over), so every iteration reads its operands from memory, as in training.

/// Most operand sets rotated (tiny problems would otherwise want thousands).
pub const MAX_SETS: u64 = 256;

/// Number of operand sets to rotate through.
///
/// `set_bytes` is one set (A, B and C); `llc_bytes` the largest cache to defeat; `budget_bytes`
/// the memory we allow for all sets together. At least one set; never more than `MAX_SETS`.
pub fn operand_sets(set_bytes: u64, llc_bytes: u64, budget_bytes: u64) -> usize {
    if set_bytes == 0 {
        return 1;
    }
    let wanted = (2 * llc_bytes).div_ceil(set_bytes) + 1;
    let affordable = (budget_bytes / set_bytes).max(1);
    wanted.min(affordable).clamp(1, MAX_SETS) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn small_problems_rotate_many_sets_large_ones_few() {
        // 256^3 f32: 768 KiB a set against a 32 MiB cache.
        let small = operand_sets(768 * 1024, 32 * MIB, 1024 * MIB);
        assert!(small as u64 * 768 * 1024 > 2 * 32 * MIB, "{small}");
        // 4096^3 f32: 192 MiB a set, already far beyond the cache: still two, so
        // consecutive iterations do not reuse the same C.
        assert_eq!(operand_sets(192 * MIB, 32 * MIB, 1024 * MIB), 2);
    }

    #[test]
    fn memory_budget_caps_the_rotation() {
        assert_eq!(operand_sets(600 * MIB, 256 * MIB, 1024 * MIB), 1);
        assert_eq!(operand_sets(0, 32 * MIB, MIB), 1);
        assert_eq!(operand_sets(1024, 256 * MIB, u64::MAX), MAX_SETS as usize);
    }
}
