//! Parsing and checking the bench options: every bad value is a one-line error naming it.

use crate::dtype::{parse_list, Dtype};
use crate::error::{AppError, AppResult};
use crate::measure::Budget;
use crate::results::{Backend, Shape};

/// Largest dimension accepted (a 65536^2 f32 operand is already 16 GiB).
pub const MAX_DIM: usize = 1 << 17;

pub fn parse_backends(s: &str) -> AppResult<Vec<Backend>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let b = match part.to_ascii_lowercase().as_str() {
            "cuda" => Backend::Cuda,
            "wgpu" | "vulkan" => Backend::Wgpu,
            "cpu" => Backend::Cpu,
            _ => {
                return Err(AppError::usage(format!(
                    "unknown --backend '{part}': expected cuda, wgpu or cpu"
                )))
            }
        };
        if !out.contains(&b) {
            out.push(b);
        }
    }
    if out.is_empty() {
        return Err(AppError::usage(format!(
            "empty --backend '{s}': expected cuda, wgpu or cpu"
        )));
    }
    Ok(out)
}

pub fn parse_dtypes(s: &str) -> AppResult<Vec<Dtype>> {
    parse_list(s).map_err(|e| AppError::usage(format!("--dtype: {e}")))
}

pub fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn dim(text: &str, flag: &str, whole: &str) -> AppResult<usize> {
    match text.trim().parse::<i128>() {
        Ok(v) if v >= 1 && v <= MAX_DIM as i128 => Ok(v as usize),
        _ => Err(AppError::usage(format!(
            "invalid {flag} '{whole}': sizes must be whole numbers from 1 to {MAX_DIM}"
        ))),
    }
}

pub fn parse_sizes(s: &str) -> AppResult<Vec<Shape>> {
    let parts = list(s);
    if parts.is_empty() {
        return Err(AppError::usage(format!(
            "invalid --size '{s}': give one or more sizes such as 4096 or 1024,2048"
        )));
    }
    parts
        .iter()
        .map(|p| dim(p, "--size", p).map(Shape::cube))
        .collect()
}

pub fn parse_shapes(s: &str) -> AppResult<Vec<Shape>> {
    let parts = list(s);
    if parts.is_empty() {
        return Err(AppError::usage(format!(
            "invalid --shape '{s}': give MxNxK such as 4096x1x4096"
        )));
    }
    parts
        .iter()
        .map(|p| {
            let dims: Vec<&str> = p.split(['x', 'X']).collect();
            if dims.len() != 3 {
                return Err(AppError::usage(format!(
                    "invalid --shape '{p}': expected MxNxK such as 4096x1x4096"
                )));
            }
            Ok(Shape {
                m: dim(dims[0], "--shape", p)?,
                n: dim(dims[1], "--shape", p)?,
                k: dim(dims[2], "--shape", p)?,
            })
        })
        .collect()
}

fn seconds(text: &str, flag: &str, allow_zero: bool) -> AppResult<f64> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0)) && v <= 3600.0 => Ok(v),
        _ => Err(AppError::usage(format!(
            "invalid {flag} '{text}': expected seconds, {} up to 3600",
            if allow_zero { "from 0" } else { "above 0" }
        ))),
    }
}

pub fn parse_budget(
    warmup: &str,
    min_time: &str,
    max_time: &str,
    spread: &str,
) -> AppResult<Budget> {
    let warmup_s = seconds(warmup, "--warmup", true)?;
    let min_time_s = seconds(min_time, "--min-time", true)?;
    let max_time_s = seconds(max_time, "--max-time", false)?;
    if max_time_s < min_time_s {
        return Err(AppError::usage(format!(
            "--max-time {max_time} is below --min-time {min_time}"
        )));
    }
    let target_rel_spread = match spread.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1.0 => v,
        _ => {
            return Err(AppError::usage(format!(
                "invalid --target-spread '{spread}': expected a fraction between 0 and 1, e.g. 0.01"
            )))
        }
    };
    Ok(Budget {
        warmup_s,
        min_time_s,
        max_time_s,
        target_rel_spread,
        min_samples: 10,
    })
}

pub fn parse_rated(s: &str) -> AppResult<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(AppError::usage(format!(
            "invalid --rated-tflops '{s}': expected a positive number of TFLOP/s"
        ))),
    }
}

/// Sizes of a sweep for a class of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceClass {
    /// A real GPU.
    Gpu,
    /// The host CPU.
    Cpu,
    /// A GPU API implemented on the CPU (lavapipe, WARP): slow, so small sizes.
    SoftwareGpu,
}

pub fn sweep_sizes(sweep: &str, class: DeviceClass) -> AppResult<Vec<Shape>> {
    let sizes: &[usize] = match (sweep, class) {
        ("quick", DeviceClass::Gpu) => &[2048, 4096, 8192],
        ("quick", DeviceClass::Cpu) => &[512, 1024, 2048],
        ("quick", DeviceClass::SoftwareGpu) => &[256, 512],
        ("full", DeviceClass::Gpu) => &[512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384],
        ("full", DeviceClass::Cpu) => &[256, 512, 768, 1024, 1536, 2048, 3072, 4096],
        ("full", DeviceClass::SoftwareGpu) => &[128, 256, 384, 512, 768, 1024],
        _ => {
            return Err(AppError::usage(format!(
                "unknown --sweep '{sweep}': expected quick or full"
            )))
        }
    };
    Ok(sizes.iter().map(|&n| Shape::cube(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_shapes() {
        assert_eq!(parse_sizes("1024, 2048").unwrap().len(), 2);
        assert_eq!(
            parse_shapes("4096x1x4096").unwrap()[0],
            Shape {
                m: 4096,
                n: 1,
                k: 4096
            }
        );
        for bad in ["0", "-5", "abc", "1.5", "", "999999999"] {
            let e = parse_sizes(bad).unwrap_err().to_string();
            assert!(e.contains("--size"), "{bad}: {e}");
        }
        for bad in ["4096x1", "0x1x1", "axbxc", "1x2x3x4"] {
            assert!(parse_shapes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn budgets() {
        let b = parse_budget("0.5", "1", "3", "0.01").unwrap();
        assert_eq!((b.warmup_s, b.min_time_s, b.max_time_s), (0.5, 1.0, 3.0));
        assert!(parse_budget("-1", "1", "3", "0.01").is_err());
        assert!(parse_budget("0", "1", "0", "0.01").is_err());
        assert!(parse_budget("0", "5", "3", "0.01").is_err());
        assert!(parse_budget("0", "1", "3", "2").is_err());
        assert!(parse_budget("nan", "1", "3", "0.01").is_err());
    }

    #[test]
    fn backends_and_sweeps() {
        assert_eq!(parse_backends("wgpu,cpu,cpu").unwrap().len(), 2);
        assert!(parse_backends("opencl")
            .unwrap_err()
            .to_string()
            .contains("'opencl'"));
        assert!(sweep_sizes("medium", DeviceClass::Cpu).is_err());
        assert_eq!(sweep_sizes("quick", DeviceClass::Gpu).unwrap().len(), 3);
    }
}
