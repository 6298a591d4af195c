//! Quantities in messages, for every layer: a memory size in binary units, a number with 4
//! significant figures (so a value read from a file prints "1.000e308", not 309 digits).
//! (Tables and other output for people live in `output`.)

/// 2147483648 -> "2.0 GiB", 512 -> "512 B".
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// `x` with 4 significant figures: 0.004321, 78.42, 1234, 1.235e7, 1.000e-5.
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor();
    if !(-3.0..6.0).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    if magnitude >= 4.0 {
        // 12345 -> "12350": four significant figures, still written as a whole number.
        let unit = 10f64.powf(magnitude - 3.0);
        return format!("{:.0}", (x / unit).round() * unit);
    }
    let decimals = (3.0 - magnitude) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn binary_units() {
        assert_eq!(super::bytes(2 * 1024 * 1024 * 1024), "2.0 GiB");
        assert_eq!(super::bytes(512), "512 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
    }
}
