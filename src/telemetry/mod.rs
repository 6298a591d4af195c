//! Clocks, power, temperature and throttle reasons sampled during a run (NVML, loaded at run
//! time: without an NVIDIA driver there is simply no telemetry), and the CPU's clock timed
//! while it works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::{Device, Nvml};

use crate::measure::stats::median_of;
use crate::results::{Telemetry, TelemetrySample};

/// Samples one device every `interval` on a background thread until `finish`: a GPU through
/// NVML, or the CPU's clock (`start_cpu_clock`). What it has sampled so far can be read while
/// it runs (`snapshot`), so a long run's checkpoints carry it.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<TelemetrySample>>>,
    started: Instant,
    power_limit_w: Option<f64>,
    source: &'static str,
    handle: JoinHandle<()>,
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

/// One NVML reading of a device.
fn nvml_sample(dev: &Device, t_s: f64) -> TelemetrySample {
    TelemetrySample {
        t_s,
        sm_clock_mhz: dev.clock_info(Clock::SM).ok().map(f64::from),
        memory_clock_mhz: dev.clock_info(Clock::Memory).ok().map(f64::from),
        power_w: dev.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
        temperature_c: dev.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
        throttle_reasons: dev
            .current_throttle_reasons()
            .map(reasons)
            .unwrap_or_default(),
    }
}

/// The GPU with this PCI bus id, or else this CUDA ordinal.
fn find<'n>(nvml: &'n Nvml, pci_bus_id: Option<&str>, ordinal: usize) -> Option<Device<'n>> {
    pci_bus_id
        .and_then(|id| nvml.device_by_pci_bus_id(id).ok())
        .or_else(|| nvml.device_by_index(ordinal as u32).ok())
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
        // Check the device now so that a failure is reported before the run; the power cap the
        // driver enforces now (board default, or what an admin set).
        let limit = match find(&nvml, pci_bus_id, ordinal) {
            None => return Err(format!("NVML does not see CUDA device {ordinal}")),
            Some(dev) => dev
                .enforced_power_limit()
                .ok()
                .map(|mw| f64::from(mw) / 1000.0),
        };
        let pci = pci_bus_id.map(str::to_string);
        Sampler::spawn("nvml", limit, move |start, out, flag| {
            let Some(dev) = find(&nvml, pci.as_deref(), ordinal) else {
                return;
            };
            while !flag.load(Ordering::Relaxed) {
                push(out, nvml_sample(&dev, start.elapsed().as_secs_f64()));
                std::thread::sleep(interval);
            }
        })
    }

    /// Starts timing the CPU's clock every `interval` (a dependent-add chain of a few
    /// milliseconds on this thread, measured in its own CPU time, so it reads the clock the
    /// cores run at under the load beside it): `sm_clock_mhz` of each sample is that clock.
    pub fn start_cpu_clock(interval: Duration) -> Result<Sampler, String> {
        Sampler::spawn("cpu-clock", None, move |start, out, flag| {
            while !flag.load(Ordering::Relaxed) {
                let mhz = crate::device::cpu_clock::thread_clock_mhz();
                push(
                    out,
                    TelemetrySample {
                        t_s: start.elapsed().as_secs_f64(),
                        sm_clock_mhz: mhz,
                        ..Default::default()
                    },
                );
                std::thread::sleep(interval);
            }
        })
    }

    /// Runs `sample(start, samples, stop)` on a thread of its own.
    fn spawn(
        source: &'static str,
        power_limit_w: Option<f64>,
        sample: impl FnOnce(Instant, &Mutex<Vec<TelemetrySample>>, &AtomicBool) + Send + 'static,
    ) -> Result<Sampler, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let (flag, out) = (stop.clone(), samples.clone());
        let handle = std::thread::Builder::new()
            .name("telemetry".into())
            .spawn(move || sample(started, &out, &flag))
            .map_err(|e| format!("cannot start the telemetry thread: {e}"))?;
        Ok(Sampler {
            stop,
            samples,
            started,
            power_limit_w,
            source,
            handle,
        })
    }

    /// When sampling started: every sample's `t_s` counts from here.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The power cap the driver enforced when sampling started, watts (NVML).
    pub fn power_limit_w(&self) -> Option<f64> {
        self.power_limit_w
    }

    /// What sampled: "nvml", "cpu-clock".
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The samples so far, the sampler still running.
    pub fn snapshot(&self) -> Vec<TelemetrySample> {
        self.samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops sampling and summarizes.
    pub fn finish(self) -> Telemetry {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.join();
        let samples = std::mem::take(
            &mut *self
                .samples
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        summarize(samples, self.power_limit_w, self.source)
    }
}

fn push(out: &Mutex<Vec<TelemetrySample>>, s: TelemetrySample) {
    out.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(s);
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
