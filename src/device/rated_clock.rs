//! The SM clock a device's rated peak assumes, so that utilization can also be given against
//! the peak at the clock actually sampled (throttling told apart from an inefficient kernel).

use crate::dtype::Dtype;
use crate::results::DeviceRecord;

/// The SM clock (MHz) a device's rated peak for `dtype` assumes: the table's tensor clock for
/// tensor math and its boost clock otherwise; for formula estimates, the reported clock (times
/// the architecture's tensor-clock ratio). None where the peak assumes no known clock.
pub fn reference_clock_mhz(d: &DeviceRecord, dtype: Dtype) -> Option<f64> {
    let tensor = !matches!(dtype, Dtype::F32 | Dtype::F64);
    if let Some(row) = d
        .rated_matched
        .as_deref()
        .and_then(|k| crate::peaks::chips().iter().find(|r| r.key == k))
    {
        return if tensor {
            row.tensor_mhz.or(row.boost_mhz)
        } else {
            row.boost_mhz
        };
    }
    let c = d.cuda.as_ref()?;
    let (ma, mi) = (
        c.compute_capability.major as i32,
        c.compute_capability.minor as i32,
    );
    let scale = if tensor {
        crate::peaks::table::arch_rates(ma, mi).map_or(1.0, |a| a.tensor_clock_scale)
    } else {
        1.0
    };
    Some(c.sm_clock_mhz * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peaks::PeakKind;

    fn device(name: &str, cc: &str, sms: u32, mhz: f64) -> DeviceRecord {
        crate::device::cuda::fake_device(name, cc, sms, mhz)
    }

    #[test]
    fn rated_peaks_assume_the_tensor_clock_on_hopper() {
        let h100 = device("NVIDIA H100 80GB HBM3", "9.0", 132, 1980.0);
        assert_eq!(h100.rated_tflops[&Dtype::Bf16], 989.4);
        assert_eq!(reference_clock_mhz(&h100, Dtype::Bf16), Some(1830.0));
        assert_eq!(reference_clock_mhz(&h100, Dtype::F32), Some(1980.0));
        // A chip the table lacks: the formula, with the architecture's tensor-clock ratio.
        let unknown = device("NVIDIA H100 Prototype", "9.0", 132, 1980.0);
        assert_eq!(unknown.rated_kind, PeakKind::Estimated);
        let r = reference_clock_mhz(&unknown, Dtype::Bf16).unwrap();
        assert!((r - 1830.0).abs() < 1.0, "{r}");
    }
}
