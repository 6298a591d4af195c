//! Plausibility notes on an estimate: not errors, things to check before trusting it. A count in
//! the billions (chips or chip-hours?), a run shorter than an hour, an MFU implied by both
//! methods above 0.75 or below 0.05, and a count of two-die boards that may be of dies.

use super::chip::Chip;
use super::request::ChipTime;

/// MFU implied by both methods above this is more than training runs reach.
pub const IMPLIED_MFU_HIGH: f64 = 0.75;
/// Below this, one of the inputs is likely off (chips idle, or the wrong unit).
pub const IMPLIED_MFU_LOW: f64 = 0.05;

/// A count in the billions.
pub fn count(n: f64) -> Option<String> {
    (n >= 1e9).then(|| {
        format!("a count of {n:e} chips is in the billions: is it chips, or chip-hours or tokens?")
    })
}

/// A training run shorter than an hour of wall-clock time.
pub fn duration(time: &ChipTime) -> Option<String> {
    let hours = time.days()? * 24.0;
    (hours < 1.0).then(|| {
        format!(
            "the run lasts {:.3} hours of wall-clock time: less than an hour is short for a \
             training run (minutes given as hours?)",
            hours
        )
    })
}

/// MFU implied by both methods outside what runs reach.
pub fn implied_mfu(mfu: f64) -> Option<String> {
    if mfu > IMPLIED_MFU_HIGH {
        Some(format!(
            "the operations imply an MFU of {mfu:.3}: above {IMPLIED_MFU_HIGH}, more than \
             training runs reach (too few chips or too little time, or too many tokens?)"
        ))
    } else if mfu < IMPLIED_MFU_LOW {
        Some(format!(
            "the operations imply an MFU of {mfu:.3}: below {IMPLIED_MFU_LOW}, the chips did \
             little (too many chips or too much time, or too few tokens?)"
        ))
    } else {
        None
    }
}

/// A board of two dies each shown as a device (MI250X, MI250): papers from LUMI and Frontier
/// count the dies (GCDs), so a count of dies given for boards doubles the estimate.
pub fn dies(chip: &Chip, count: Option<f64>) -> Option<String> {
    let row = chip.row?;
    count?;
    (row.vendor == "AMD" && row.devices_per_board == 2).then(|| {
        let short = row
            .key
            .trim_end_matches(" (board)")
            .trim_start_matches("Instinct ");
        format!(
            "'{}' counts boards of {} GCDs, each its own device: papers from LUMI and Frontier \
             count GCDs; if the count is of GCDs, name the chip '{short} GCD'",
            row.key, row.devices_per_board
        )
    })
}

/// The notes on a hardware run's inputs.
pub fn for_run(chip: &Chip, time: &ChipTime) -> Vec<String> {
    [
        time.count().and_then(count),
        duration(time),
        dies(chip, time.count()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_note_has_its_threshold() {
        assert!(count(1e9).is_some() && count(9.99e8).is_none());
        let fleet = |s: f64| ChipTime::Fleet {
            count: 8.0,
            seconds: s,
        };
        assert!(duration(&fleet(3599.0)).is_some() && duration(&fleet(3600.0)).is_none());
        let hours = ChipTime::ChipHours {
            hours: 4.0,
            count: None,
        };
        assert!(duration(&hours).is_none());
        assert!(implied_mfu(0.76).is_some() && implied_mfu(0.75).is_none());
        assert!(implied_mfu(0.049).is_some() && implied_mfu(0.05).is_none());
        let mi250x = Chip::from_table("MI250X", None).unwrap();
        let note = dies(&mi250x, Some(1024.0)).unwrap();
        assert!(note.contains("'MI250X GCD'"), "{note}");
        let gcd = Chip::from_table("MI250X GCD", None).unwrap();
        assert!(dies(&gcd, Some(1024.0)).is_none());
        assert!(dies(&mi250x, None).is_none());
    }
}
