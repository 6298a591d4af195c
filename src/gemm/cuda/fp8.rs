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

/// Nearest E4M3 code (ties to even), saturating at +-448, computed from the exponent and the
/// rounded mantissa directly (operands of 8192^2 elements are encoded on the host).
pub fn encode(x: f64) -> u8 {
    let sign = if x.is_sign_negative() { 0x80 } else { 0 };
    let a = x.abs().min(448.0);
    if a.is_nan() {
        return 0x7f;
    }
    // Subnormals (and the smallest normal, code 8): steps of 2^-9.
    if a < 1.0 / 64.0 {
        return sign | (a * 512.0).round_ties_even() as u8;
    }
    // A normal f64 from 2^-6 to 448: its exponent field and the top three bits of its mantissa,
    // rounded to nearest even on the 49 bits below them. A carry out of the mantissa bits moves
    // to the next binade, which is what adding 1 to the code does.
    let bits = a.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = bits & ((1u64 << 52) - 1);
    let (q, rest) = (mantissa >> 49, mantissa & ((1u64 << 49) - 1));
    let half = 1u64 << 48;
    let up = u64::from(rest > half || (rest == half && q & 1 == 1));
    let code = (((exponent + 7) as u64) << 3) + q + up;
    sign | (code.min(126) as u8)
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
        assert_eq!(decode(encode(460.0)), 448.0);
        assert_eq!(encode(0.0), 0);
        assert_eq!(encode(-0.0), 0x80);
    }

    /// The nearest code by exhaustive search, ties to the even code.
    fn nearest(x: f64) -> u8 {
        let sign = if x.is_sign_negative() { 0x80 } else { 0 };
        let a = x.abs().min(448.0);
        let best = (0u8..=126)
            .min_by(|p, q| {
                let (dp, dq) = ((decode(*p) - a).abs(), (decode(*q) - a).abs());
                dp.total_cmp(&dq).then((p % 2).cmp(&(q % 2)))
            })
            .unwrap();
        sign | best
    }

    #[test]
    fn direct_encoding_matches_the_exhaustive_nearest_code() {
        let normals = crate::measure::inputs::normal_f64(20_000, 3);
        let midpoints: Vec<f64> = (0u8..126)
            .map(|c| (decode(c) + decode(c + 1)) / 2.0)
            .collect();
        for x in normals
            .iter()
            .map(|x| x * 40.0)
            .chain(normals.iter().map(|x| x * 0.01))
            .chain(midpoints.iter().copied())
            .chain(midpoints.iter().map(|m| -m))
        {
            assert_eq!(encode(x), nearest(x), "x = {x}");
        }
    }
}
