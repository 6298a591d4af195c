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

/// A rated peak in TFLOP/s, in the range a results file may hold (the loader's, so that a bench
/// never writes a file its own `report` refuses).
pub fn rated_tflops(s: &str) -> Result<f64, String> {
    use crate::results::validate::{MAX_TFLOPS, MIN_TFLOPS};
    use crate::units::sig;
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (MIN_TFLOPS..=MAX_TFLOPS).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected TFLOP/s from {} to {}",
            sig(MIN_TFLOPS),
            sig(MAX_TFLOPS)
        )),
    }
}

/// A fraction in (0, 1]: a utilization, a goodput, a spread, a threshold.
pub fn fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err("expected a fraction in (0, 1], e.g. 0.4".into()),
    }
}

/// A finite number of at least 1: a power usage effectiveness.
pub fn at_least_one(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1.0 => Ok(v),
        _ => Err("expected a finite number of at least 1, e.g. 1.1".into()),
    }
}

/// A finite number of zero or more: a power that may be left out.
pub fn non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("expected a finite number of zero or more".into()),
    }
}

/// A chart's size in pixels, WIDTHxHEIGHT, within the sizes charts can lay out.
pub fn plot_size(s: &str) -> Result<(u32, u32), String> {
    let (min, max) = (crate::charts::MIN_SIZE, crate::charts::MAX_SIZE);
    let bad = || {
        format!(
            "expected WIDTHxHEIGHT in pixels, from {}x{} to {}x{}, e.g. 1280x720",
            min.0, min.1, max.0, max.1
        )
    };
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if (min.0..=max.0).contains(&w) && (min.1..=max.1).contains(&h) {
        Ok((w, h))
    } else {
        Err(bad())
    }
}

/// The coverage of an interval: from 0.5 to 0.999.
pub fn confidence(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.5..=0.999).contains(&v) => Ok(v),
        _ => Err("expected a confidence from 0.5 to 0.999, e.g. 0.95".into()),
    }
}

/// A positive whole number (1e3 accepted, 1.5 refused).
pub fn whole(s: &str) -> Result<f64, String> {
    match positive(s) {
        Ok(v) if v.fract() == 0.0 => Ok(v),
        _ => Err("expected a positive whole number".into()),
    }
}

/// A CUDA compute capability: sm_90, 9.0 or 90.
pub fn compute_capability(s: &str) -> Result<crate::arch::ComputeCapability, String> {
    s.parse()
        .map_err(|e: crate::arch::BadComputeCapability| e.to_string())
}

/// Largest GEMM dimension accepted (a 131072^2 f32 operand is already 64 GiB).
pub const MAX_DIM: usize = 1 << 17;

/// One GEMM dimension.
pub fn dim(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= 1 && v <= MAX_DIM as i128 => Ok(v as usize),
        _ => Err(format!("sizes must be whole numbers from 1 to {MAX_DIM}")),
    }
}

/// Products per call of a batched GEMM: as many as a dimension may be long.
pub fn batch(s: &str) -> Result<usize, String> {
    dim(s).map_err(|_| format!("expected a whole number from 1 to {MAX_DIM}"))
}

/// One dimension's values: `4096` or `start:stop:step`, stop included when the steps reach it.
pub fn dim_values(s: &str) -> Result<crate::bench::options::DimValues, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let values = match parts[..] {
        [one] => vec![dim(one)?],
        [start, stop, step] => {
            let (start, stop) = (dim(start)?, dim(stop)?);
            let step = dim(step)?;
            if stop < start {
                return Err(format!(
                    "the range ends ({stop}) before it starts ({start})"
                ));
            }
            (start..=stop).step_by(step).collect()
        }
        _ => {
            return Err(
                "expected a size such as 4096, or start:stop:step such as 1024:8192:512".into(),
            )
        }
    };
    Ok(crate::bench::options::DimValues(values))
}

/// A GEMM shape MxNxK.
pub fn shape(s: &str) -> Result<crate::results::Shape, String> {
    let dims: Vec<&str> = s.split(['x', 'X']).collect();
    match dims[..] {
        [m, n, k] => Ok(crate::results::Shape {
            m: dim(m)?,
            n: dim(n)?,
            k: dim(k)?,
        }),
        _ => Err("expected MxNxK such as 4096x1x4096".into()),
    }
}

/// A backend: cuda, wgpu (or vulkan), cpu.
pub fn backend(s: &str) -> Result<crate::results::Backend, String> {
    s.parse()
}

/// A kernel of any backend.
pub fn kernel(s: &str) -> Result<String, String> {
    let known = crate::gemm::kernels::all_kernel_names();
    let k = s.trim();
    if known.contains(&k) {
        Ok(k.to_string())
    } else {
        Err(format!("expected one of {}", known.join(", ")))
    }
}

/// A size sweep: quick or full.
pub fn sweep(s: &str) -> Result<crate::bench::options::Sweep, String> {
    s.parse()
}

/// `all`, or device ids such as cuda:0,cpu:0.
pub fn device_selection(s: &str) -> Result<crate::bench::options::DeviceSelection, String> {
    use crate::bench::options::DeviceSelection;
    if s.trim() == "all" {
        return Ok(DeviceSelection::All);
    }
    let mut ids: Vec<String> = Vec::new();
    for id in s.split(',').map(str::trim) {
        if id.is_empty() {
            return Err("expected device ids such as cuda:0,cpu:0, or all".into());
        }
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    Ok(DeviceSelection::Ids(ids))
}

/// `hidden=..,ffn=..,heads=..,layers=..,vocab=..,seq=..[,kv_heads=..][,gated=true]`.
pub fn model_config(s: &str) -> Result<crate::model::ModelConfig, String> {
    crate::model::ModelConfig::parse(s).map_err(|e| e.to_string())
}

/// A whole number from 1.
pub fn count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err("expected a whole number from 1".into()),
    }
}

/// Most Monte Carlo draws: a 90% interval is stable to a fraction of a percent long before,
/// and each draw keeps a number in memory.
pub const MAX_DRAWS: usize = 1_000_000;

/// Monte Carlo draws: a whole number from 1 to `MAX_DRAWS`.
pub fn draws(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u128>() {
        Ok(v) if (1..=MAX_DRAWS as u128).contains(&v) => Ok(v as usize),
        _ => Err(format!("expected a whole number from 1 to {MAX_DRAWS}")),
    }
}

/// Tokens of a model's micro-batch on one GPU: the M of its GEMMs, so at most `MAX_DIM`.
pub fn tokens(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u128>() {
        Ok(v) if (1..=MAX_DIM as u128).contains(&v) => Ok(v as usize),
        _ => Err(format!(
            "expected tokens from 1 to {MAX_DIM} (they are the M of the model's GEMMs)"
        )),
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

/// Longest `sustain --duration`: a week.
pub const MAX_DURATION_S: f64 = 7.0 * 24.0 * 3600.0;

/// A duration: seconds, or a number with a unit s, m or h (90s, 5m, 2h), from 1 s to a week.
pub fn duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (number, unit) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        _ => (t, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (1.0..=MAX_DURATION_S).contains(&(v * unit)) => Ok(v * unit),
        _ => Err("expected a duration from 1 s to 7 days: seconds, or 90s, 5m, 2h".into()),
    }
}

/// A window or an interval of a series, seconds: from 0.05 to an hour.
pub fn window(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.05..=3600.0).contains(&v) => Ok(v),
        _ => Err("expected seconds from 0.05 to 3600".into()),
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
        assert_eq!(rated_tflops("989.4"), Ok(989.4));
        for bad in ["1e-12", "2e6", "0", "-1", "nan"] {
            assert!(rated_tflops(bad).is_err(), "{bad}");
        }
        assert_eq!(fraction("1"), Ok(1.0));
        for bad in ["0", "1.01", "-0.5", "nan"] {
            assert!(fraction(bad).is_err(), "{bad}");
        }
        assert_eq!(whole("1e3"), Ok(1000.0));
        assert!(whole("1.5").is_err());
        assert_eq!(seconds("0"), Ok(0.0));
        assert!(seconds("3601").is_err() && seconds("-1").is_err());
        assert_eq!(count("20000"), Ok(20_000));
        for bad in ["0", "-1", "1.5", "x"] {
            assert!(count(bad).is_err(), "{bad}");
        }
        assert_eq!(draws("20000"), Ok(20_000));
        for bad in ["0", "18446744073709551615", "1000001", "-5"] {
            assert!(draws(bad).is_err(), "{bad}");
        }
        assert_eq!(tokens("8192"), Ok(8192));
        assert!(tokens("4611686018427387904").is_err() && tokens("131073").is_err());
        assert_eq!(duration("5m"), Ok(300.0));
        assert_eq!(duration("90s"), Ok(90.0));
        assert_eq!(duration("2h"), Ok(7200.0));
        assert_eq!(duration("30"), Ok(30.0));
        for bad in ["0", "0.5", "8d", "-1m", "169h", "m", "nan", ""] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!(window("0.5"), Ok(0.5));
        assert!(window("0.01").is_err() && window("3601").is_err());
        assert_eq!(dtype("bfloat16"), Ok(crate::dtype::Dtype::Bf16));
        assert!(dtype("fp4").unwrap_err().contains("bf16"));
    }
}
