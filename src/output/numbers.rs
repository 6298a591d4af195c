//! Numbers for people: 4 significant figures, scientific notation for the very large and the
//! very small, so "78.41666666666667 days" reads "78.42 days" and 1e300 FLOP does not print 300
//! digits. JSON keeps full precision; this is for text only.

/// 4 significant figures: one rule for every layer, kept in `units` (errors use it too).
pub use crate::units::sig;

/// `x` as `sig` writes it, without trailing zeros, and whole numbers below a million exactly:
/// for echoing inputs ("5.5 days", "goodput 1", "16384 chips", "1.2e6 examples").
pub fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e6 {
        return format!("{x:.0}");
    }
    let s = sig(x);
    let (mantissa, exponent) = match s.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (s.as_str(), None),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    match exponent {
        Some(e) => format!("{mantissa}e{e}"),
        None => mantissa.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_significant_figures() {
        assert_eq!(sig(78.41666666666667), "78.42");
        assert_eq!(sig(46.6857), "46.69");
        assert_eq!(sig(139.0), "139.0");
        assert_eq!(sig(1234.4), "1234");
        assert_eq!(sig(42548.0), "42550");
        assert_eq!(sig(671494.0), "671500");
        assert_eq!(sig(-99999.0), "-100000");
        assert_eq!(sig(0.004321), "0.004321");
        assert_eq!(sig(12_345_678.0), "1.235e7");
        assert_eq!(sig(1e300), "1.000e300");
        assert_eq!(sig(0.00001), "1.000e-5");
        assert_eq!(sig(-2.5), "-2.500");
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(f64::INFINITY), "inf");
    }

    #[test]
    fn inputs_without_trailing_zeros() {
        assert_eq!(short(5.5), "5.5");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(2048.0), "2048");
        assert_eq!(short(16384.0), "16384");
        assert_eq!(short(2.788e6), "2.788e6");
        assert_eq!(short(0.33), "0.33");
        assert_eq!(short(1.2e6), "1.2e6");
        assert_eq!(short(1e300), "1e300");
        assert_eq!(short(139.0), "139");
        assert_eq!(short(1.23456), "1.235");
        assert_eq!(short(0.0), "0");
    }
}
