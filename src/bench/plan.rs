//! Turns the options and the devices found into a list of jobs, checking everything before any
//! work starts: unknown names, dtypes a device lacks, sizes beyond memory or adapter limits.

use crate::cli::BenchArgs;
use crate::device::{BackendStatus, Inventory};
use crate::dtype::Dtype;
use crate::error::{AppError, AppResult};
use crate::gemm::cuda::runner::device_supports;
use crate::gemm::kernels::{
    cuda_kernel, cuda_library_of, dtypes_of, kernel_dtypes, kernel_names, wgsl_kernel,
};
use crate::gemm::{cpu, wgpu as wgpu_gemm};
use crate::results::{Backend, DeviceRecord, Shape};

use super::options::{
    list, parse_backends, parse_dtypes, parse_shapes, parse_sizes, sweep_sizes, DeviceClass,
};

#[derive(Debug, Clone)]
pub struct Job {
    /// Index into `Plan::devices`.
    pub device: usize,
    pub kernel: String,
    pub dtype: Dtype,
    pub shape: Shape,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub devices: Vec<DeviceRecord>,
    pub jobs: Vec<Job>,
    /// Things skipped, said once each.
    pub notes: Vec<String>,
    pub dtypes: Vec<Dtype>,
    pub kernels: Vec<String>,
    pub shapes: Vec<Shape>,
    pub sweep: Option<String>,
    /// `--device all`: every device runs the same job at the same time.
    pub concurrent: bool,
}

fn class_of(d: &DeviceRecord) -> DeviceClass {
    match (&d.cpu, &d.wgpu) {
        (Some(_), _) => DeviceClass::Cpu,
        (_, Some(w)) if w.device_type == "cpu" => DeviceClass::SoftwareGpu,
        _ => DeviceClass::Gpu,
    }
}

/// Dtypes a device can measure with its backend's kernels.
pub fn device_dtypes(d: &DeviceRecord) -> Vec<Dtype> {
    kernel_dtypes(d.backend)
        .iter()
        .copied()
        .filter(|dt| match (&d.wgpu, &d.cuda, dt) {
            (Some(w), _, Dtype::F16) => w.shader_f16,
            (_, Some(c), _) => device_supports(cuda_cc(&c.compute_capability), *dt),
            _ => true,
        })
        .collect()
}

/// "9.0" -> (9, 0).
pub fn cuda_cc(s: &str) -> (i32, i32) {
    let mut it = s.split('.').map(|p| p.parse::<i32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Whether a job fits the device; the reason if not.
fn fits(
    d: &DeviceRecord,
    kernel: &str,
    dtype: Dtype,
    shape: Shape,
    free_memory: u64,
) -> Result<(), String> {
    match d.backend {
        Backend::Cpu => cpu::check_memory(shape, dtype, free_memory).map_err(|e| e.to_string()),
        Backend::Wgpu => {
            let (Some(w), Some(k)) = (&d.wgpu, wgsl_kernel(kernel)) else {
                return Ok(());
            };
            wgpu_gemm::check_limits(
                w.max_storage_buffer_binding_size,
                w.max_buffer_size,
                w.max_compute_workgroups_per_dimension,
                shape,
                dtype,
                k,
            )
            .map_err(|e| e.to_string())
        }
        Backend::Cuda => Ok(()),
    }
}

/// The selected kernels this device can run: CUDA kernels whose library does not load are left
/// out with one note each (an error when the kernel was named with --kernel), and so are our
/// kernels on GPUs older than they need.
fn usable_kernels(
    d: &DeviceRecord,
    selected: &[String],
    named: bool,
    notes: &mut Vec<String>,
) -> AppResult<Vec<&'static str>> {
    let mut usable = Vec::new();
    for kernel in kernel_names(d.backend) {
        if !selected.iter().any(|k| k == kernel) {
            continue;
        }
        if d.backend == Backend::Cuda {
            if let Some(k) = cuda_kernel(kernel) {
                if d.cuda
                    .as_ref()
                    .is_some_and(|c| cuda_cc(&c.compute_capability) < k.min_cc)
                {
                    continue;
                }
            }
            let lib = cuda_library_of(kernel);
            if !lib.present() {
                let why = lib.probe().detail.unwrap_or_default();
                let msg = format!("{kernel}: {} unavailable ({why})", lib.name());
                if named {
                    return Err(AppError::usage(format!("--kernel {msg}")));
                }
                let note = format!("cuda {msg}; skipped");
                if !notes.contains(&note) {
                    notes.push(note);
                }
                continue;
            }
        }
        usable.push(kernel);
    }
    Ok(usable)
}

pub fn free_memory() -> u64 {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .map(|s| s.available_memory())
    .unwrap_or(u64::MAX)
}

pub fn build(inv: &Inventory, args: &BenchArgs) -> AppResult<Plan> {
    let mut notes = Vec::new();
    // Backends: named ones must be available; otherwise every available one.
    let backends = match &args.backend {
        Some(s) => {
            let named = parse_backends(s)?;
            for b in &named {
                if let BackendStatus::Unavailable(why) = inv.status(*b) {
                    return Err(AppError::usage(format!(
                        "--backend {b}: unavailable ({why})"
                    )));
                }
            }
            named
        }
        None => {
            for b in Backend::ALL {
                if let BackendStatus::Unavailable(why) = inv.status(b) {
                    notes.push(format!("{b}: skipped, unavailable ({why})"));
                }
            }
            Backend::ALL.to_vec()
        }
    };
    let mut devices: Vec<DeviceRecord> = backends
        .iter()
        .flat_map(|b| inv.status(*b).devices().iter().cloned())
        .collect();
    let concurrent = args.device.as_deref().map(str::trim) == Some("all");
    if concurrent {
        // Every GPU of the node at once; with --backend, every device of those backends.
        if args.backend.is_none() {
            let gpus: Vec<DeviceRecord> = devices
                .iter()
                .filter(|d| d.cuda.is_some())
                .cloned()
                .collect();
            let gpus = if gpus.is_empty() {
                devices
                    .iter()
                    .filter(|d| d.wgpu.as_ref().is_some_and(|w| w.device_type != "cpu"))
                    .cloned()
                    .collect()
            } else {
                gpus
            };
            if gpus.is_empty() {
                return Err(AppError::usage(
                    "--device all: this machine has no GPU (it loads every GPU of the node at once); \
                     name devices with --backend to run them together anyway",
                ));
            }
            devices = gpus;
        }
    } else if let Some(ids) = &args.device {
        let wanted = list(ids);
        if wanted.is_empty() {
            return Err(AppError::usage(format!("empty --device '{ids}'")));
        }
        let known: Vec<String> = inv.all_devices().map(|d| d.id.clone()).collect();
        for id in &wanted {
            if !known.contains(id) {
                return Err(AppError::usage(format!(
                    "unknown --device '{id}': this machine has {}",
                    known.join(", ")
                )));
            }
            if !devices.iter().any(|d| &d.id == id) {
                return Err(AppError::usage(format!(
                    "--device '{id}' is not on the selected --backend"
                )));
            }
        }
        devices.retain(|d| wanted.contains(&d.id));
    }
    let explicit_devices = (args.device.is_some() && !concurrent) || args.backend.is_some();

    let all_kernels: Vec<&str> = backends.iter().flat_map(|b| kernel_names(*b)).collect();
    let kernels: Vec<String> = match &args.kernel {
        Some(s) => {
            let named = list(s);
            for k in &named {
                if !all_kernels.contains(&k.as_str()) {
                    return Err(AppError::usage(format!(
                        "unknown --kernel '{k}': expected one of {}",
                        all_kernels.join(", ")
                    )));
                }
            }
            named
        }
        None => all_kernels.iter().map(|k| k.to_string()).collect(),
    };
    let dtypes_asked = args.dtype.as_deref().map(parse_dtypes).transpose()?;

    let mut explicit_shapes = Vec::new();
    if let Some(s) = &args.size {
        explicit_shapes.extend(parse_sizes(s)?);
    }
    if let Some(s) = &args.shape {
        explicit_shapes.extend(parse_shapes(s)?);
    }
    if !explicit_shapes.is_empty() && args.sweep.is_some() {
        return Err(AppError::usage(
            "--sweep cannot be combined with --size or --shape".to_string(),
        ));
    }
    let sweep = if explicit_shapes.is_empty() {
        let s = args.sweep.clone().unwrap_or_else(|| "quick".into());
        sweep_sizes(&s, DeviceClass::Cpu)?; // validates the name
        Some(s)
    } else {
        None
    };

    let free = free_memory();
    let mut jobs = Vec::new();
    let mut all_shapes = Vec::new();
    let mut used_dtypes = Vec::new();
    for (di, d) in devices.iter().enumerate() {
        let supported = device_dtypes(d);
        let dtypes: Vec<Dtype> = match &dtypes_asked {
            None => supported.clone(),
            Some(asked) => {
                let mut keep = Vec::new();
                for dt in asked {
                    if supported.contains(dt) {
                        keep.push(*dt);
                    } else {
                        let msg = format!(
                            "{} ({}) does not support {dt}: it measures {}",
                            d.id,
                            d.name,
                            supported
                                .iter()
                                .map(|x| x.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        if explicit_devices {
                            return Err(AppError::usage(msg));
                        }
                        notes.push(format!("{msg}; skipped"));
                    }
                }
                keep
            }
        };
        let shapes = match &sweep {
            Some(s) => sweep_sizes(s, class_of(d))?,
            None => explicit_shapes.clone(),
        };
        let usable = usable_kernels(d, &kernels, args.kernel.is_some(), &mut notes)?;
        // Kernels innermost: the kernels of one shape and dtype run back to back, side by side
        // in time and sharing the host operands.
        for &dtype in &dtypes {
            for &shape in &shapes {
                for kernel in usable
                    .iter()
                    .filter(|k| dtypes_of(d.backend, k).contains(&dtype))
                {
                    if let Err(why) = fits(d, kernel, dtype, shape, free) {
                        if sweep.is_none() {
                            return Err(AppError::usage(format!("{}: {why}", d.id)));
                        }
                        notes.push(format!("{} {kernel}: skipped {shape}: {why}", d.id));
                        continue;
                    }
                    if !all_shapes.contains(&shape) {
                        all_shapes.push(shape);
                    }
                    if !used_dtypes.contains(&dtype) {
                        used_dtypes.push(dtype);
                    }
                    jobs.push(Job {
                        device: di,
                        kernel: kernel.to_string(),
                        dtype,
                        shape,
                    });
                }
            }
        }
    }
    if jobs.is_empty() {
        let mut msg =
            String::from("nothing to run: no selected device has the selected kernels and dtypes");
        if let Some(n) = notes.last() {
            msg.push_str(&format!(" ({n})"));
        }
        return Err(AppError::usage(msg));
    }
    // Only devices with work go into the results.
    let used: Vec<usize> = (0..devices.len())
        .filter(|i| jobs.iter().any(|j| j.device == *i))
        .collect();
    let remap = |old: usize| used.iter().position(|u| *u == old).expect("used device");
    for j in &mut jobs {
        j.device = remap(j.device);
    }
    let devices = used.iter().map(|i| devices[*i].clone()).collect();
    Ok(Plan {
        devices,
        jobs,
        notes,
        dtypes: used_dtypes,
        kernels,
        shapes: all_shapes,
        sweep,
        concurrent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::cuda_libs::CudaLib;
    use clap::Parser;

    fn args(extra: &[&str]) -> BenchArgs {
        let argv = ["flopmeter", "bench"].iter().chain(extra.iter());
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Bench(a) => *a,
            _ => unreachable!("a bench command line"),
        }
    }

    fn h100_only() -> Inventory {
        Inventory {
            cuda: BackendStatus::Available(vec![crate::device::cuda::fake_device(
                "NVIDIA H100 80GB HBM3",
                "9.0",
                132,
                1980.0,
            )]),
            wgpu: BackendStatus::Unavailable("none".into()),
            cpu: BackendStatus::Unavailable("none".into()),
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_missing_cuda_library_is_one_note_and_its_kernels_are_left_out() {
        if CudaLib::Cublas.present() || !CudaLib::Nvrtc.present() {
            return; // needs a machine with NVRTC (scripts/test.sh) and without cuBLAS
        }
        let plan = build(
            &h100_only(),
            &args(&["--backend", "cuda", "--size", "256,512"]),
        )
        .unwrap();
        let about_cublas: Vec<&String> = plan
            .notes
            .iter()
            .filter(|n| n.contains("cuBLAS "))
            .collect();
        assert_eq!(about_cublas.len(), 1, "{:?}", plan.notes);
        assert!(about_cublas[0].starts_with("cuda cublas: cuBLAS unavailable (libcublas.so"));
        assert!(plan
            .jobs
            .iter()
            .all(|j| j.kernel != "cublas" && j.kernel != "cublaslt"));
        // Our NVRTC kernels still run.
        assert!(plan.jobs.iter().any(|j| j.kernel == "mma"));
        // Named explicitly, the missing library is an error before any work.
        let e = build(
            &h100_only(),
            &args(&["--kernel", "cublas", "--size", "256"]),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--kernel cublas: cuBLAS unavailable"),
            "{e}"
        );
    }

    #[test]
    fn kernels_of_one_dtype_and_shape_run_back_to_back() {
        if !CudaLib::Nvrtc.present() {
            return;
        }
        let plan = build(
            &h100_only(),
            &args(&["--kernel", "naive,tiled", "--size", "256,512"]),
        )
        .unwrap();
        let order: Vec<(String, usize)> = plan
            .jobs
            .iter()
            .map(|j| (j.kernel.clone(), j.shape.m))
            .collect();
        let expected = [
            ("naive", 256),
            ("tiled", 256),
            ("naive", 512),
            ("tiled", 512),
        ];
        assert_eq!(order, expected.map(|(k, n)| (k.to_string(), n)).to_vec());
    }
}
