//! Clocks, power, temperature and throttle reasons sampled during a run (NVML, loaded at run
//! time: without an NVIDIA driver there is simply no telemetry).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::Nvml;

use crate::measure::stats::quantile;
use crate::results::{Telemetry, TelemetrySample};

/// Samples one GPU every `interval` on a background thread until `finish`.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(Vec<TelemetrySample>, Option<f64>)>,
}

fn reasons(r: ThrottleReasons) -> Vec<String> {
    let names = [
        (ThrottleReasons::GPU_IDLE, "gpu_idle"),
        (
            ThrottleReasons::APPLICATIONS_CLOCKS_SETTING,
            "applications_clocks_setting",
        ),
        (ThrottleReasons::SW_POWER_CAP, "sw_power_cap"),
        (ThrottleReasons::HW_SLOWDOWN, "hw_slowdown"),
        (ThrottleReasons::SYNC_BOOST, "sync_boost"),
        (ThrottleReasons::SW_THERMAL_SLOWDOWN, "sw_thermal_slowdown"),
        (ThrottleReasons::HW_THERMAL_SLOWDOWN, "hw_thermal_slowdown"),
        (
            ThrottleReasons::HW_POWER_BRAKE_SLOWDOWN,
            "hw_power_brake_slowdown",
        ),
        (
            ThrottleReasons::DISPLAY_CLOCK_SETTING,
            "display_clock_setting",
        ),
    ];
    names
        .iter()
        .filter(|(flag, _)| r.contains(*flag))
        .map(|(_, n)| n.to_string())
        .collect()
}

impl Sampler {
    /// Starts sampling the GPU with this PCI bus id (or CUDA ordinal, as a fallback).
    /// Fails when NVML cannot be loaded or the device is not found.
    pub fn start(
        pci_bus_id: Option<&str>,
        ordinal: usize,
        interval: Duration,
    ) -> Result<Sampler, String> {
        let nvml = crate::panic_guard::guard("NVML", || {
            Nvml::init().map_err(|e| format!("NVML unavailable: {e}"))
        })?;
        // Check the device now so that a failure is reported before the run.
        {
            let found = pci_bus_id
                .and_then(|id| nvml.device_by_pci_bus_id(id).ok())
                .or_else(|| nvml.device_by_index(ordinal as u32).ok());
            if found.is_none() {
                return Err(format!("NVML does not see CUDA device {ordinal}"));
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let pci = pci_bus_id.map(str::to_string);
        let sampler = std::thread::Builder::new().name("telemetry".into());
        let handle = sampler.spawn(move || {
            let mut out = Vec::new();
            let dev = match pci
                .as_deref()
                .and_then(|id| nvml.device_by_pci_bus_id(id).ok())
                .or_else(|| nvml.device_by_index(ordinal as u32).ok())
            {
                Some(d) => d,
                None => return (out, None),
            };
            // The power cap the driver enforces now (board default, or what an admin set).
            let limit = dev
                .enforced_power_limit()
                .ok()
                .map(|mw| f64::from(mw) / 1000.0);
            let start = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                out.push(TelemetrySample {
                    t_s: start.elapsed().as_secs_f64(),
                    sm_clock_mhz: dev.clock_info(Clock::SM).ok().map(f64::from),
                    memory_clock_mhz: dev.clock_info(Clock::Memory).ok().map(f64::from),
                    power_w: dev.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
                    temperature_c: dev.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
                    throttle_reasons: dev
                        .current_throttle_reasons()
                        .map(reasons)
                        .unwrap_or_default(),
                });
                std::thread::sleep(interval);
            }
            (out, limit)
        });
        let handle = handle.map_err(|e| format!("cannot start the telemetry thread: {e}"))?;
        Ok(Sampler { stop, handle })
    }

    /// Stops sampling and summarizes.
    pub fn finish(self) -> Telemetry {
        self.stop.store(true, Ordering::Relaxed);
        let (samples, limit) = self.handle.join().unwrap_or_default();
        summarize(samples, limit, "nvml")
    }
}

fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(quantile(&v, 0.5))
}

pub fn summarize(
    samples: Vec<TelemetrySample>,
    power_limit_w: Option<f64>,
    source: &str,
) -> Telemetry {
    let mut throttle: Vec<String> = samples
        .iter()
        .flat_map(|s| s.throttle_reasons.clone())
        .collect();
    throttle.sort();
    throttle.dedup();
    Telemetry {
        source: source.into(),
        sm_clock_mhz_median: median_of(samples.iter().filter_map(|s| s.sm_clock_mhz)),
        power_w_median: median_of(samples.iter().filter_map(|s| s.power_w)),
        power_limit_w,
        temperature_c_max: samples
            .iter()
            .filter_map(|s| s.temperature_c)
            .reduce(f64::max),
        throttle_reasons: throttle,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_samples() {
        let s = |clock: f64, temp: f64, r: &[&str]| TelemetrySample {
            t_s: 0.0,
            sm_clock_mhz: Some(clock),
            memory_clock_mhz: None,
            power_w: Some(600.0),
            temperature_c: Some(temp),
            throttle_reasons: r.iter().map(|x| x.to_string()).collect(),
        };
        let t = summarize(
            vec![
                s(1980.0, 60.0, &[]),
                s(1755.0, 71.0, &["sw_power_cap"]),
                s(1800.0, 65.0, &["sw_power_cap"]),
            ],
            Some(700.0),
            "nvml",
        );
        assert_eq!(t.sm_clock_mhz_median, Some(1800.0));
        assert_eq!(t.temperature_c_max, Some(71.0));
        assert_eq!(t.throttle_reasons, vec!["sw_power_cap"]);
    }

    #[test]
    fn without_a_driver_sampling_fails_cleanly() {
        if std::path::Path::new("/proc/driver/nvidia").exists() {
            return;
        }
        assert!(Sampler::start(None, 0, Duration::from_millis(10)).is_err());
    }
}
