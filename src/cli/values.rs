//! Value parsers for clap: each turns one typed string into a typed value or a message naming
//! what is allowed (clap adds the flag and the value). One home for each rule: what a fraction,
//! a duration, a size or a positive number is.

/// A positive finite number (1.2e6 accepted).
pub fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("expected a positive finite number".into()),
    }
}

/// A fraction in (0, 1]: a utilization, a goodput, a spread, a threshold.
pub fn fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err("expected a fraction in (0, 1], e.g. 0.4".into()),
    }
}

/// A positive whole number (1e3 accepted, 1.5 refused).
pub fn whole(s: &str) -> Result<f64, String> {
    match positive(s) {
        Ok(v) if v.fract() == 0.0 => Ok(v),
        _ => Err("expected a positive whole number".into()),
    }
}

/// A count of at least 1 that fits in memory (Monte Carlo draws).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err("expected a whole number of at least 1".into()),
    }
}

/// A dtype by name or alias (bf16, fp32, half, e4m3, ...).
pub fn dtype(s: &str) -> Result<crate::dtype::Dtype, String> {
    s.parse().map_err(|_| {
        "expected one of f64, f32, tf32, bf16, f16, fp8, int8 (aliases: fp64, double, fp32, \
         float32, float, bfloat16, fp16, half, float16, e4m3)"
            .to_string()
    })
}

/// Seconds from 0 to an hour.
pub fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err("expected seconds from 0 up to 3600".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_in_one_place() {
        assert_eq!(positive("1.2e6"), Ok(1.2e6));
        for bad in ["0", "-1", "nan", "inf", "x", ""] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        assert_eq!(fraction("1"), Ok(1.0));
        for bad in ["0", "1.01", "-0.5", "nan"] {
            assert!(fraction(bad).is_err(), "{bad}");
        }
        assert_eq!(whole("1e3"), Ok(1000.0));
        assert!(whole("1.5").is_err());
        assert_eq!(seconds("0"), Ok(0.0));
        assert!(seconds("3601").is_err() && seconds("-1").is_err());
        assert_eq!(at_least_one("20000"), Ok(20_000));
        for bad in ["0", "-1", "1.5", "x"] {
            assert!(at_least_one(bad).is_err(), "{bad}");
        }
        assert_eq!(dtype("bfloat16"), Ok(crate::dtype::Dtype::Bf16));
        assert!(dtype("fp4").unwrap_err().contains("bf16"));
    }
}
