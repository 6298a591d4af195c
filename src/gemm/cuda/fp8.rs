//! FP8 E4M3 (the "fn" variant NVIDIA uses: no infinities, max 448) encode and decode, so that
//! operands are generated exactly representable and verified against their true values.

/// Value of an E4M3 code.
pub fn decode(code: u8) -> f64 {
    let sign = if code & 0x80 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((code >> 3) & 0xf);
    let man = f64::from(code & 0x7);
    if exp == 0xf && man == 7.0 {
        return f64::NAN;
    }
    let mag = if exp == 0 {
        man / 8.0 * 2f64.powi(-6)
    } else {
        (1.0 + man / 8.0) * 2f64.powi(exp - 7)
    };
    sign * mag
}

/// Nearest E4M3 code (ties to even), saturating at +-448.
pub fn encode(x: f64) -> u8 {
    let sign = if x.is_sign_negative() { 0x80 } else { 0 };
    let a = x.abs().min(448.0);
    // Positive finite codes 0..=126 increase with their value.
    let (mut lo, mut hi) = (0u8, 126u8);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if decode(mid) <= a {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (dl, dh) = (a - decode(lo), decode(hi) - a);
    let code = if dl < dh || (dl == dh && lo % 2 == 0) {
        lo
    } else {
        hi
    };
    sign | code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(decode(0x00), 0.0);
        assert_eq!(decode(0x38), 1.0);
        assert_eq!(decode(0x7e), 448.0);
        assert_eq!(decode(0x01), 2f64.powi(-9));
        assert!(decode(0x7f).is_nan());
        assert_eq!(decode(0xb8), -1.0);
    }

    #[test]
    fn encode_round_trips_and_rounds_to_nearest() {
        for code in 0u8..=126 {
            assert_eq!(encode(decode(code)), code);
            assert_eq!(encode(-decode(code)) & 0x7f, code);
        }
        assert_eq!(decode(encode(1.06)), 1.0);
        assert_eq!(decode(encode(1.07)), 1.125);
        assert_eq!(decode(encode(1e6)), 448.0);
    }
}
