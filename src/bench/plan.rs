//! Turns the options and the devices found into a list of jobs, checking everything before any
//! work starts: unknown names, dtypes a device lacks, sizes beyond memory or adapter limits.

use crate::device::cuda_libs::LibrarySet;
use crate::device::{BackendStatus, Inventory};
use crate::dtype::Dtype;
use crate::gemm::cuda::runner::device_supports;
use crate::gemm::kernels::{
    cpu_kernel_missing, cpu_kernel_untuned, cuda_kernel, cuda_library_of, dtypes_on, kernel_dtypes,
    kernel_names, wgsl_kernel,
};
use crate::gemm::{cpu, wgpu as wgpu_gemm};
use crate::results::{Backend, DeviceRecord, Shape, Sweep};
use crate::shape::Problem;

use super::options::{unique, BenchOptions, DeviceClass, DeviceSelection, Sizes};

#[derive(Debug, Clone)]
pub struct Job {
    /// Index into `Plan::devices`.
    pub device: usize,
    pub kernel: String,
    pub dtype: Dtype,
    pub shape: Shape,
    /// Independent products of `shape` per call (1: a plain GEMM).
    pub batch: usize,
}

impl Job {
    pub fn problem(&self) -> Problem {
        Problem {
            shape: self.shape,
            batch: self.batch,
        }
    }
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
    pub sweep: Option<Sweep>,
    /// Every device runs the same job at the same time.
    pub concurrent: bool,
}

/// Why the options cannot be planned on this machine. Each says what is wrong; the command
/// layer adds which flag to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("{backend}: unavailable ({why})")]
    BackendUnavailable { backend: Backend, why: String },
    #[error(
        "this machine has no GPU (all loads every GPU of the node at once); \
         name the backends to run their devices together anyway"
    )]
    NoGpuForAll,
    #[error("unknown device '{id}': this machine has {known}")]
    UnknownDevice { id: String, known: String },
    #[error("device '{id}' is not on the selected backends")]
    DeviceNotOnBackend { id: String },
    #[error("kernel '{kernel}' is not a kernel of the selected backends: they have {known}")]
    KernelNotOnBackend { kernel: String, known: String },
    #[error("{device} ({name}) does not support {dtype}: it measures {supported}")]
    Unsupported {
        device: String,
        name: String,
        dtype: Dtype,
        supported: String,
    },
    #[error("{device}: {why}")]
    DoesNotFit { device: String, why: String },
    #[error("{kernel}: {library} unavailable ({why})")]
    LibraryUnavailable {
        kernel: String,
        library: &'static str,
        why: String,
    },
    #[error("nothing to run: no selected device has the selected kernels and dtypes{hint}")]
    NothingToRun { hint: String },
}

fn class_of(d: &DeviceRecord) -> DeviceClass {
    match (&d.cpu, &d.wgpu) {
        (Some(_), _) => DeviceClass::Cpu,
        (_, Some(w)) if w.device_type == "cpu" => DeviceClass::SoftwareGpu,
        _ => DeviceClass::Gpu,
    }
}

/// Dtypes a device can measure with its backend's kernels, the headline first.
pub fn device_dtypes(d: &DeviceRecord) -> Vec<Dtype> {
    let mut dtypes: Vec<Dtype> = kernel_dtypes(d.backend)
        .iter()
        .copied()
        .filter(|dt| match (&d.wgpu, &d.cuda, dt) {
            (Some(w), _, Dtype::F16) => w.shader_f16,
            (_, Some(c), _) => device_supports(c.compute_capability, *dt),
            _ if d.cpu.is_some() => kernel_names(Backend::Cpu)
                .iter()
                .any(|k| dtypes_on(d, k).contains(dt)),
            _ => true,
        })
        .collect();
    dtypes.sort_by_key(|d| d.headline_rank());
    dtypes
}

/// Whether a job fits the device; the reason if not.
fn fits(
    d: &DeviceRecord,
    kernel: &str,
    dtype: Dtype,
    problem: Problem,
    free_memory: cpu::Memory,
) -> Result<(), String> {
    match d.backend {
        Backend::Cpu => {
            let llc = d.cpu.as_ref().and_then(|c| c.llc_bytes).unwrap_or(0);
            cpu::check_memory(problem, dtype, free_memory, llc).map_err(|e| e.to_string())
        }
        Backend::Wgpu => {
            let (Some(w), Some(k)) = (&d.wgpu, wgsl_kernel(kernel)) else {
                return Ok(());
            };
            wgpu_gemm::check_limits(
                w.max_storage_buffer_binding_size,
                w.max_buffer_size,
                w.max_compute_workgroups_per_dimension,
                problem,
                dtype,
                k,
            )
            .map_err(|e| e.to_string())
        }
        Backend::Cuda => Ok(()),
    }
}

/// The selected kernels this device can run: CUDA kernels whose library does not load are left
/// out with one note each (an error when the kernel was named), and so are our kernels on GPUs
/// older than they need.
fn usable_kernels(
    d: &DeviceRecord,
    selected: &[String],
    libs: &LibrarySet,
    named: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<&'static str>, PlanError> {
    let mut usable = Vec::new();
    for kernel in kernel_names(d.backend) {
        if !selected.iter().any(|k| k == kernel) {
            continue;
        }
        if let Some(why) = cpu_kernel_missing(d, kernel) {
            // A library that did not load: `devices` says why; naming it is an error.
            if named {
                return Err(PlanError::LibraryUnavailable {
                    kernel: kernel.into(),
                    library: crate::device::cpu_libs::BlasFamily::of_kernel(kernel)
                        .map_or("its library", |f| f.name()),
                    why,
                });
            }
            continue;
        }
        if let Some(why) = cpu_kernel_untuned(d, kernel).filter(|_| !named) {
            let note = format!("cpu {kernel}: {why}; skipped (--kernel {kernel} runs it)");
            if !notes.contains(&note) {
                notes.push(note);
            }
            continue;
        }
        if d.backend == Backend::Cuda {
            if let Some(k) = cuda_kernel(kernel) {
                if d.cuda
                    .as_ref()
                    .is_some_and(|c| c.compute_capability < k.min_cc)
                {
                    continue;
                }
            }
            let lib = cuda_library_of(kernel);
            if let Some(why) = libs.missing(lib) {
                let e = PlanError::LibraryUnavailable {
                    kernel: kernel.into(),
                    library: lib.name(),
                    why: why.to_string(),
                };
                if named {
                    return Err(e);
                }
                let note = format!("cuda {e}; skipped");
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

/// The backends to run: those named (each must be available), or every backend, the unavailable
/// ones noted.
fn select_backends(
    inv: &Inventory,
    named: Option<&[Backend]>,
    notes: &mut Vec<String>,
) -> Result<Vec<Backend>, PlanError> {
    if let Some(named) = named {
        for b in named {
            if let BackendStatus::Unavailable(why) = inv.status(*b) {
                return Err(PlanError::BackendUnavailable {
                    backend: *b,
                    why: why.clone(),
                });
            }
        }
        return Ok(unique(named.to_vec()));
    }
    for b in Backend::ALL {
        if let BackendStatus::Unavailable(why) = inv.status(b) {
            notes.push(format!("{b}: skipped, unavailable ({why})"));
        }
    }
    Ok(Backend::ALL.to_vec())
}

/// The devices to run, from the selected backends.
fn select_devices(
    inv: &Inventory,
    backends: &[Backend],
    selection: &DeviceSelection,
    backends_named: bool,
) -> Result<Vec<DeviceRecord>, PlanError> {
    let mut devices: Vec<DeviceRecord> = backends
        .iter()
        .flat_map(|b| inv.status(*b).devices().iter().cloned())
        .collect();
    match selection {
        DeviceSelection::Every => {}
        // With named backends, every device of those; otherwise every GPU of the node.
        DeviceSelection::All if backends_named => {}
        DeviceSelection::All => {
            let cuda: Vec<DeviceRecord> = devices
                .iter()
                .filter(|d| d.cuda.is_some())
                .cloned()
                .collect();
            devices = if cuda.is_empty() {
                devices
                    .into_iter()
                    .filter(|d| d.wgpu.as_ref().is_some_and(|w| w.device_type != "cpu"))
                    .collect()
            } else {
                cuda
            };
            if devices.is_empty() {
                return Err(PlanError::NoGpuForAll);
            }
        }
        DeviceSelection::Ids(ids) => {
            let known: Vec<String> = inv.all_devices().map(|d| d.id.clone()).collect();
            for id in ids {
                if !known.contains(id) {
                    return Err(PlanError::UnknownDevice {
                        id: id.clone(),
                        known: known.join(", "),
                    });
                }
                if !devices.iter().any(|d| &d.id == id) {
                    return Err(PlanError::DeviceNotOnBackend { id: id.clone() });
                }
            }
            devices.retain(|d| ids.contains(&d.id));
        }
    }
    Ok(devices)
}

/// The kernels to run: those named (each must belong to a selected backend), or all.
fn select_kernels(
    backends: &[Backend],
    named: Option<&[String]>,
) -> Result<Vec<String>, PlanError> {
    let all: Vec<&str> = backends.iter().flat_map(|b| kernel_names(*b)).collect();
    let Some(named) = named else {
        return Ok(unique(all.iter().map(|k| k.to_string()).collect()));
    };
    for k in named {
        if !all.contains(&k.as_str()) {
            return Err(PlanError::KernelNotOnBackend {
                kernel: k.clone(),
                known: unique(all.clone()).join(", "),
            });
        }
    }
    Ok(unique(named.to_vec()))
}

/// The dtypes one device runs: those asked that it supports (the others are an error when the
/// device was chosen explicitly, a note otherwise), or all it supports.
fn device_dtypes_asked(
    d: &DeviceRecord,
    asked: Option<&[Dtype]>,
    explicit: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<Dtype>, PlanError> {
    let supported = device_dtypes(d);
    let Some(asked) = asked else {
        return Ok(supported);
    };
    let mut keep = Vec::new();
    for dt in unique(asked.to_vec()) {
        if supported.contains(&dt) {
            keep.push(dt);
            continue;
        }
        let e = PlanError::Unsupported {
            device: d.id.clone(),
            name: d.name.clone(),
            dtype: dt,
            supported: supported
                .iter()
                .map(|x| x.name())
                .collect::<Vec<_>>()
                .join(", "),
        };
        if explicit {
            return Err(e);
        }
        notes.push(format!("{e}; skipped"));
    }
    Ok(keep)
}

/// The dtype a model is benched in: bf16 where the device has it, else f32, else its first.
fn training_dtype(d: &DeviceRecord) -> Dtype {
    let have = device_dtypes(d);
    [Dtype::Bf16, Dtype::F32]
        .into_iter()
        .find(|dt| have.contains(dt))
        .or_else(|| have.first().copied())
        .unwrap_or(Dtype::F32)
}

/// What the planner accumulates over the devices.
#[derive(Default)]
struct Accumulated {
    jobs: Vec<Job>,
    shapes: Vec<Shape>,
    dtypes: Vec<Dtype>,
    notes: Vec<String>,
}

impl Accumulated {
    fn push(&mut self, job: Job) {
        if !self.shapes.contains(&job.shape) {
            self.shapes.push(job.shape);
        }
        if !self.dtypes.contains(&job.dtype) {
            self.dtypes.push(job.dtype);
        }
        self.jobs.push(job);
    }
}

/// One device's jobs. Kernels innermost: the kernels of one shape and dtype run back to back,
/// side by side in time and sharing the host operands. A size that does not fit is an error
/// when sizes were given, a note in a sweep.
fn device_jobs(
    di: usize,
    d: &DeviceRecord,
    opts: &BenchOptions,
    kernels: &[String],
    libs: &LibrarySet,
    explicit: bool,
    acc: &mut Accumulated,
) -> Result<(), PlanError> {
    // A model trains in bf16 where the device has it (f32 otherwise), unless dtypes are given.
    let dtypes = match (&opts.dtypes, &opts.sizes) {
        (None, Sizes::Model(_)) => vec![training_dtype(d)],
        (asked, _) => device_dtypes_asked(d, asked.as_deref(), explicit, &mut acc.notes)?,
    };
    let problems = opts.sizes.problems(class_of(d), opts.batch);
    let usable = usable_kernels(d, kernels, libs, opts.kernels.is_some(), &mut acc.notes)?;
    let free = cpu::Memory::now();
    for &dtype in &dtypes {
        for &problem in &problems {
            for kernel in usable.iter().filter(|k| dtypes_on(d, k).contains(&dtype)) {
                // A BLAS library loaded on the CPU runs one product per call: a batch is faer's.
                if d.backend == Backend::Cpu && *kernel != "faer" && problem.batch > 1 {
                    let note = format!("{} {kernel}: batched problems run on faer", d.id);
                    if !acc.notes.contains(&note) {
                        acc.notes.push(note);
                    }
                    continue;
                }
                if let Err(why) = fits(d, kernel, dtype, problem, free) {
                    if opts.sizes.explicit() {
                        return Err(PlanError::DoesNotFit {
                            device: d.id.clone(),
                            why,
                        });
                    }
                    acc.notes
                        .push(format!("{} {kernel}: skipped {problem}: {why}", d.id));
                    continue;
                }
                acc.push(Job {
                    device: di,
                    kernel: kernel.to_string(),
                    dtype,
                    shape: problem.shape,
                    batch: problem.batch,
                });
            }
        }
    }
    Ok(())
}

/// Keeps only the devices that have work, renumbering the jobs.
fn drop_idle(devices: Vec<DeviceRecord>, jobs: &mut [Job]) -> Vec<DeviceRecord> {
    let used: Vec<usize> = (0..devices.len())
        .filter(|i| jobs.iter().any(|j| j.device == *i))
        .collect();
    for j in jobs.iter_mut() {
        j.device = used
            .iter()
            .position(|u| *u == j.device)
            .expect("used device");
    }
    used.iter().map(|i| devices[*i].clone()).collect()
}

pub fn build(inv: &Inventory, opts: &BenchOptions) -> Result<Plan, PlanError> {
    let mut acc = Accumulated::default();
    let backends = select_backends(inv, opts.backends.as_deref(), &mut acc.notes)?;
    let devices = select_devices(inv, &backends, &opts.devices, opts.backends.is_some())?;
    let kernels = select_kernels(&backends, opts.kernels.as_deref())?;
    let explicit = matches!(opts.devices, DeviceSelection::Ids(_)) || opts.backends.is_some();
    for (di, d) in devices.iter().enumerate() {
        device_jobs(di, d, opts, &kernels, &inv.cuda_libs, explicit, &mut acc)?;
    }
    if acc.jobs.is_empty() {
        return Err(PlanError::NothingToRun {
            hint: acc
                .notes
                .last()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
        });
    }
    let devices = drop_idle(devices, &mut acc.jobs);
    Ok(Plan {
        devices,
        jobs: acc.jobs,
        notes: acc.notes,
        dtypes: acc.dtypes,
        kernels,
        shapes: acc.shapes,
        sweep: match opts.sizes {
            Sizes::Sweep(s) => Some(s),
            _ => None,
        },
        concurrent: opts.devices == DeviceSelection::All,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::cuda_libs::CudaLib;

    fn opts(f: impl FnOnce(&mut BenchOptions)) -> BenchOptions {
        let mut o = BenchOptions::default();
        f(&mut o);
        o
    }

    fn sizes(n: &[usize]) -> Sizes {
        Sizes::Shapes(n.iter().map(|n| Shape::cube(*n)).collect())
    }

    fn h100_with(cuda_libs: LibrarySet) -> Inventory {
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
            host: crate::device::cpu::discover(false),
            cuda_libs,
        }
    }

    fn h100_only() -> Inventory {
        h100_with(LibrarySet::all_present())
    }

    #[test]
    fn a_missing_cuda_library_is_one_note_and_its_kernels_are_left_out() {
        let why = "libcublas.so* not found on the loader's path (LD_LIBRARY_PATH)";
        let no_blas = || {
            h100_with(LibrarySet::without(&[
                (CudaLib::Cublas, why),
                (CudaLib::CublasLt, why),
            ]))
        };
        let plan = build(
            &no_blas(),
            &opts(|o| {
                o.backends = Some(vec![Backend::Cuda]);
                o.sizes = sizes(&[256, 512]);
            }),
        )
        .unwrap();
        let about_cublas: Vec<&String> = plan
            .notes
            .iter()
            .filter(|n| n.contains("cuBLAS "))
            .collect();
        assert_eq!(
            about_cublas,
            [&format!("cuda cublas: cuBLAS unavailable ({why}); skipped")]
        );
        assert!(plan
            .jobs
            .iter()
            .all(|j| j.kernel != "cublas" && j.kernel != "cublaslt"));
        // Our NVRTC kernels still run.
        assert!(plan.jobs.iter().any(|j| j.kernel == "mma"));
        // Named explicitly, the missing library is an error before any work.
        let e = build(
            &no_blas(),
            &opts(|o| {
                o.kernels = Some(vec!["cublas".into()]);
                o.sizes = sizes(&[256]);
            }),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), format!("cublas: cuBLAS unavailable ({why})"));
        // With every library present, the same plan has cuBLAS jobs and no note.
        let plan = build(&h100_only(), &opts(|o| o.sizes = sizes(&[256]))).unwrap();
        assert!(plan.jobs.iter().any(|j| j.kernel == "cublas"));
        assert!(
            plan.notes.iter().all(|n| !n.contains("cuBLAS")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn kernels_of_one_dtype_and_shape_run_back_to_back_and_repeats_run_once() {
        let plan = build(
            &h100_only(),
            &opts(|o| {
                o.kernels = Some(vec!["naive".into(), "tiled".into()]);
                o.sizes = sizes(&[256, 512, 256]);
            }),
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

    #[test]
    fn the_headline_runs_first_bf16_then_fp8_f16_tf32_f32_f64_in_the_sizes_given() {
        let plan = build(&h100_only(), &opts(|o| o.sizes = sizes(&[8192, 4096]))).unwrap();
        let first = &plan.jobs[0];
        assert_eq!((first.dtype, first.shape.m), (Dtype::Bf16, 8192));
        let mut dtypes: Vec<Dtype> = plan.jobs.iter().map(|j| j.dtype).collect();
        dtypes.dedup();
        use Dtype::*;
        assert_eq!(dtypes, [Bf16, Fp8, F16, Tf32, F32, F64]);
        // 14 kernel-dtype pairs on an H100, at each of the two sizes.
        assert_eq!(plan.jobs.len(), 28);
        // Dtypes given are run in the order given.
        let plan = build(
            &h100_only(),
            &opts(|o| {
                o.dtypes = Some(vec![F64, Bf16]);
                o.sizes = sizes(&[256]);
            }),
        )
        .unwrap();
        assert_eq!(plan.jobs[0].dtype, F64);
    }

    #[test]
    fn a_batch_reaches_every_job_and_a_model_brings_its_own() {
        let plan = build(
            &h100_only(),
            &opts(|o| {
                o.sizes = sizes(&[256, 512]);
                o.batch = 8;
            }),
        )
        .unwrap();
        assert!(plan.jobs.iter().all(|j| j.batch == 8));
        assert_eq!(plan.jobs[0].problem().to_string(), "8x(256x256x256)");
        // A model's problems: gpt2-small's attention runs as 12 heads, the rest as single GEMMs.
        let config = crate::model::preset("gpt2-small").unwrap().config.clone();
        let split = crate::model::shapes::Split {
            tokens_per_step: 1024,
            tp: 1,
            ep: 1,
        };
        let model = crate::bench::options::ModelBench {
            name: "gpt2-small".into(),
            source: None,
            gemms: crate::model::shapes::step_gemms(&config, split).unwrap(),
            config,
            split,
        };
        let plan = build(
            &h100_only(),
            &opts(|o| {
                o.sizes = Sizes::Model(model);
                o.kernels = Some(vec!["cublas".into()]);
            }),
        )
        .unwrap();
        let batches: Vec<usize> = plan.jobs.iter().map(|j| j.batch).collect();
        assert_eq!(batches.len(), 14);
        assert_eq!(batches.iter().filter(|b| **b == 12).count(), 2);
        assert!(plan.jobs.iter().all(|j| j.dtype == Dtype::Bf16));
    }

    #[test]
    fn unknown_and_misplaced_names_are_typed_errors() {
        let inv = h100_only();
        let e = build(
            &inv,
            &opts(|o| o.devices = DeviceSelection::Ids(vec!["cuda:7".into()])),
        )
        .unwrap_err();
        assert_eq!(
            e,
            PlanError::UnknownDevice {
                id: "cuda:7".into(),
                known: "cuda:0".into()
            }
        );
        let e = build(&inv, &opts(|o| o.backends = Some(vec![Backend::Cpu]))).unwrap_err();
        assert!(matches!(
            e,
            PlanError::BackendUnavailable {
                backend: Backend::Cpu,
                ..
            }
        ));
        let e = build(
            &inv,
            &opts(|o| {
                o.backends = Some(vec![Backend::Cuda]);
                o.kernels = Some(vec!["faer".into()]);
            }),
        )
        .unwrap_err();
        assert!(matches!(e, PlanError::KernelNotOnBackend { .. }), "{e}");
    }

    /// A CPU with the libraries given: (kernel, loaded, code path, dtypes).
    fn cpu_with(libs: &[(&str, bool, Option<&str>, &[Dtype])]) -> Inventory {
        let mut host = crate::device::cpu::discover(false);
        let c = host.cpu.as_mut().unwrap();
        c.units = vec!["AVX512-BF16".into()];
        c.libraries = libs
            .iter()
            .map(|(k, loaded, code, dtypes)| crate::results::CpuLibrary {
                kernel: k.to_string(),
                name: k.to_uppercase(),
                loaded: *loaded,
                version: loaded.then(|| "1.0".into()),
                path: None,
                code_path: code.map(str::to_string),
                dtypes: dtypes.to_vec(),
                detail: (!loaded).then(|| "not found".into()),
            })
            .collect();
        Inventory {
            cuda: BackendStatus::Unavailable("none".into()),
            wgpu: BackendStatus::Unavailable("none".into()),
            cpu: BackendStatus::Available(vec![host.clone()]),
            notes: Vec::new(),
            host,
            cuda_libs: LibrarySet::all_present(),
        }
    }

    #[test]
    fn cpu_libraries_run_beside_faer_only_where_they_loaded() {
        let f = [Dtype::F32, Dtype::F64];
        let inv = cpu_with(&[
            ("openblas", true, Some("Haswell"), &f),
            ("mkl", false, None, &[]),
            ("blis", true, Some("generic"), &f),
            ("onednn", true, None, &[Dtype::Bf16, Dtype::F32]),
        ]);
        let cpu = |f: &dyn Fn(&mut BenchOptions)| {
            opts(|o| {
                o.backends = Some(vec![Backend::Cpu]);
                o.sizes = sizes(&[64]);
                f(o)
            })
        };
        let p = build(&inv, &cpu(&|o| o.dtypes = Some(vec![Dtype::F32]))).unwrap();
        let kernels: Vec<&str> = p.jobs.iter().map(|j| j.kernel.as_str()).collect();
        assert_eq!(kernels, ["faer", "openblas", "onednn"]);
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("blis") && n.contains("generic")));
        // Named, the generic BLIS runs; a library that did not load is an error.
        let p = build(&inv, &cpu(&|o| o.kernels = Some(vec!["blis".into()]))).unwrap();
        assert_eq!(p.jobs.len(), 2);
        let e = build(&inv, &cpu(&|o| o.kernels = Some(vec!["mkl".into()]))).unwrap_err();
        assert!(
            matches!(e, PlanError::LibraryUnavailable { library: "MKL", .. }),
            "{e}"
        );
        // bf16 only through the library that has it.
        let p = build(&inv, &cpu(&|o| o.dtypes = Some(vec![Dtype::Bf16]))).unwrap();
        assert_eq!(p.jobs.len(), 1);
        assert_eq!(
            (p.jobs[0].kernel.as_str(), p.jobs[0].dtype),
            ("onednn", Dtype::Bf16)
        );
        // Without libraries a CPU measures f32 and f64 only.
        let bare = cpu_with(&[]);
        let e = build(&bare, &cpu(&|o| o.dtypes = Some(vec![Dtype::Bf16]))).unwrap_err();
        assert!(
            matches!(
                e,
                PlanError::Unsupported {
                    dtype: Dtype::Bf16,
                    ..
                }
            ),
            "{e}"
        );
    }
}
