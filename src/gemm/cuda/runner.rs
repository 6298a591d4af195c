//! Prepares a CUDA GEMM (device, operands, the op) and times it with a CUDA event pair around
//! every iteration.

use std::collections::BTreeMap;
use std::sync::Arc;

use cudarc::cublas::{sys as blas, CudaBlas};
use cudarc::cublaslt::sys as lt;
use cudarc::driver::{
    sys as drv, CudaContext, CudaEvent, CudaFunction, CudaStream, DevicePtr, LaunchConfig,
    PushKernelArg,
};

use crate::arch::ComputeCapability;
use crate::device::cuda_libs::CudaLib;
use crate::dtype::Dtype;
use crate::gemm::fingerprint::{Element, Fingerprint, ResultC};
use crate::gemm::kernels::{cuda_kernel, CudaKernel, FINGERPRINT_KERNEL};
use crate::gemm::verify::{verify, verify_batch, Precision};
use crate::gemm::{Gemm, GemmError, Prepared};
use crate::measure::cache::operand_sets;
use crate::measure::Timed;
use crate::results::Verification;
use crate::shape::Problem;

use super::nvrtc::{compile, Target};
use super::operands::{
    allocate, ptr, set_bytes, HostCache, HostCopy, Layout, Padded, Set, Storage,
};
use super::ops::{BlasOp, KernelOp, LtOp, Op};

/// Most iterations between two synchronizations.
const MAX_BATCH: usize = 64;
/// Most blocks along a grid's z (our kernels' batch), on every compute capability.
const MAX_GRID_Z: usize = 65535;

/// An opened CUDA device.
pub struct CudaDevice {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    pub cc: ComputeCapability,
    pub l2_bytes: u64,
    pub ordinal: usize,
    /// Host operands of the last shape and dtype, reused by the next kernel at that shape.
    host_cache: std::sync::Mutex<HostCache>,
}

impl CudaDevice {
    pub fn open(
        ordinal: usize,
        cc: ComputeCapability,
        l2_bytes: u64,
    ) -> Result<CudaDevice, GemmError> {
        crate::panic_guard::guard("CUDA", || {
            let ctx = CudaContext::new(ordinal)
                .map_err(|e| format!("cannot open cuda:{ordinal}: {e}"))?;
            // flopmeter uses one stream per device and orders work itself.
            // SAFETY: no other stream of this context exists yet.
            unsafe { ctx.disable_event_tracking() };
            let stream = ctx.new_stream().map_err(|e| e.to_string())?;
            Ok(CudaDevice {
                ctx,
                stream,
                cc,
                l2_bytes,
                ordinal,
                host_cache: Default::default(),
            })
        })
        .map_err(GemmError::Device)
    }

    fn free_memory(&self) -> u64 {
        self.ctx
            .mem_get_info()
            .map(|(free, _)| free as u64)
            .unwrap_or(0)
    }
}

/// A prepared GEMM on the GPU.
struct CudaGemm {
    stream: Arc<CudaStream>,
    op: Op,
    sets: Vec<Set>,
    events: Vec<CudaEvent>,
    next: usize,
    /// Iterations between two synchronizations (not the problem's batch).
    batch: usize,
    problem: Problem,
    padded: Padded,
    output: Storage,
    precision: Precision,
    seed: u64,
    host: HostCopy,
    cc: ComputeCapability,
    /// The fingerprint kernel (FINGERPRINT_KERNEL), compiled on the first `fingerprints`.
    fingerprint: Option<CudaFunction>,
}

/// Times `n` iterations of `op`, one event pair each, rotating through the operand sets.
fn time_iterations(
    stream: &Arc<CudaStream>,
    sets: &[Set],
    events: &[CudaEvent],
    next: &mut usize,
    n: usize,
    enqueue: &dyn Fn(&Set) -> Result<(), String>,
) -> Result<Vec<f64>, String> {
    let n = n.clamp(1, MAX_BATCH);
    for i in 0..n {
        let set = *next;
        *next = (*next + 1) % sets.len();
        events[2 * i].record(stream).map_err(|e| e.to_string())?;
        enqueue(&sets[set])?;
        events[2 * i + 1]
            .record(stream)
            .map_err(|e| e.to_string())?;
    }
    events[2 * n - 1]
        .synchronize()
        .map_err(|e| format!("GPU error: {e}"))?;
    (0..n)
        .map(|i| {
            events[2 * i]
                .elapsed_ms(&events[2 * i + 1])
                .map(|ms| f64::from(ms) / 1e3)
                .map_err(|e| e.to_string())
        })
        .collect()
}

impl Timed for CudaGemm {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        let (op, stream) = (&self.op, &self.stream);
        let times = time_iterations(
            stream,
            &self.sets,
            &self.events,
            &mut self.next,
            self.batch,
            &|set| op.enqueue(set, stream),
        )?;
        // Aim for about 50 ms between synchronizations.
        let per = times.iter().sum::<f64>() / times.len() as f64;
        self.batch = ((0.05 / per.max(1e-7)) as usize).clamp(1, MAX_BATCH);
        Ok(times)
    }
}

impl Gemm for CudaGemm {
    fn verify(&mut self) -> Result<Verification, String> {
        self.op.enqueue(&self.sets[0], &self.stream)?;
        let c: Vec<u8> = self
            .stream
            .clone_dtoh(&self.sets[0].c)
            .map_err(|e| format!("copying C back: {e}"))?;
        self.stream
            .synchronize()
            .map_err(|e| format!("GPU error: {e}"))?;
        let (s, p, h, out) = (self.problem.shape, self.padded, &self.host, self.output);
        Ok(verify_batch(self.problem.batch, |e| {
            let (ao, bo, co) = (e * p.m * p.k, e * p.n * p.k, e * p.m * p.n);
            verify(
                s,
                self.precision,
                self.seed,
                |i, q| h.a(ao + i * p.k + q),
                |q, j| h.bt(bo + j * p.k + q),
                |i, j| out.load(&c, co + i * p.n + j),
            )
        }))
    }

    /// Digested on the GPU (kernels/cuda/fingerprint.cu): only 8 bytes per set come back.
    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
        let func = self.fingerprint_kernel()?;
        let stream = &self.stream;
        let sums = stream
            .alloc_zeros::<u64>(self.sets.len())
            .map_err(|e| format!("allocating fingerprints: {e}"))?;
        let (sums_at, _sync) = sums.device_ptr(stream);
        for (i, set) in self.sets.iter().enumerate() {
            let (c, bytes, out) = (
                ptr(&set.c, stream),
                set.c.len() as u64,
                sums_at + 8 * i as u64,
            );
            let words = bytes.div_ceil(4);
            let cfg = LaunchConfig {
                grid_dim: (words.div_ceil(256).clamp(1, 4096) as u32, 1, 1),
                block_dim: (256, 1, 1),
                shared_mem_bytes: 0,
            };
            let mut launch = stream.launch_builder(&func);
            launch.arg(&c).arg(&bytes).arg(&out);
            // SAFETY: the kernel's signature is (const unsigned char*, unsigned long long,
            // unsigned long long*): C holds `bytes` bytes and `out` is one u64 of `sums`, which
            // lives until the copy below has synchronized.
            unsafe { launch.launch(cfg) }.map_err(|e| format!("fingerprint launch: {e}"))?;
        }
        let host: Vec<u64> = stream
            .clone_dtoh(&sums)
            .map_err(|e| format!("copying fingerprints back: {e}"))?;
        stream
            .synchronize()
            .map_err(|e| format!("GPU error: {e}"))?;
        Ok(host.into_iter().map(Fingerprint).collect())
    }

    fn result(&mut self, set: usize) -> Result<ResultC, String> {
        let c = &self
            .sets
            .get(set)
            .ok_or_else(|| format!("no operand set {set}"))?
            .c;
        let bytes: Vec<u8> = self
            .stream
            .clone_dtoh(c)
            .map_err(|e| format!("copying C back: {e}"))?;
        self.stream
            .synchronize()
            .map_err(|e| format!("GPU error: {e}"))?;
        Ok(ResultC {
            element: match self.output {
                Storage::F64 => Element::F64,
                Storage::F32 => Element::F32,
                Storage::Bf16 => Element::Bf16,
                Storage::F16 => Element::F16,
                Storage::E4m3 => return Err("no GEMM here stores C in fp8".into()),
            },
            rows: self.padded.m,
            row_len: self.padded.n,
            bytes,
        })
    }
}

impl CudaGemm {
    /// The fingerprint kernel, compiled through NVRTC and loaded on first use (a bench never
    /// needs it).
    fn fingerprint_kernel(&mut self) -> Result<CudaFunction, String> {
        if let Some(f) = &self.fingerprint {
            return Ok(f.clone());
        }
        let (f, _) = load_kernel(self.stream.context(), self.cc, &FINGERPRINT_KERNEL)
            .map_err(|e| format!("the fingerprint kernel: {e}"))?;
        self.fingerprint = Some(f.clone());
        Ok(f)
    }
}

/// Dtypes a CUDA device of compute capability `cc` can run.
pub fn device_supports(cc: ComputeCapability, dtype: Dtype) -> bool {
    match dtype {
        Dtype::F64 | Dtype::F32 | Dtype::F16 => true,
        Dtype::Tf32 | Dtype::Bf16 => cc >= ComputeCapability::new(8, 0),
        Dtype::Fp8 => cc >= ComputeCapability::new(8, 9),
        Dtype::Int8 => false,
    }
}

/// How a dtype runs: storage of inputs and output, compute type, and the precision verified.
struct Plan {
    input: Storage,
    output: Storage,
    blas_compute: blas::cublasComputeType_t,
    lt_compute: lt::cublasComputeType_t,
    compute_name: &'static str,
    precision: Precision,
}

fn plan(dtype: Dtype) -> Result<Plan, GemmError> {
    let f32u = Dtype::F32.unit_roundoff();
    let p = |input: f64, acc: f64, out: f64| Precision {
        input,
        accumulate: acc,
        output: out,
    };
    Ok(match dtype {
        Dtype::F64 => Plan {
            input: Storage::F64,
            output: Storage::F64,
            blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_64F,
            lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_64F,
            compute_name: "CUDA_R_64F in/out, CUBLAS_COMPUTE_64F",
            precision: Precision::of(Dtype::F64),
        },
        Dtype::F32 => {
            if std::env::var("NVIDIA_TF32_OVERRIDE").is_ok_and(|v| v.trim() != "0") {
                return Err(GemmError::Unsupported(
                    "NVIDIA_TF32_OVERRIDE is set: cuBLAS would run f32 as TF32; unset it to measure true f32".into(),
                ));
            }
            Plan {
                input: Storage::F32,
                output: Storage::F32,
                blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                compute_name: "CUDA_R_32F in/out, CUBLAS_COMPUTE_32F with CUBLAS_DEFAULT_MATH (true FP32, no TF32)",
                precision: Precision::of(Dtype::F32),
            }
        }
        Dtype::Tf32 => Plan {
            input: Storage::F32,
            output: Storage::F32,
            blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_TF32,
            lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_TF32,
            compute_name: "CUDA_R_32F in/out, CUBLAS_COMPUTE_32F_FAST_TF32",
            precision: Precision::of(Dtype::Tf32),
        },
        Dtype::Bf16 => Plan {
            input: Storage::Bf16,
            output: Storage::Bf16,
            blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            compute_name: "CUDA_R_16BF in/out, CUBLAS_COMPUTE_32F (f32 accumulate)",
            precision: p(0.0, f32u, Dtype::Bf16.unit_roundoff()),
        },
        Dtype::F16 => Plan {
            input: Storage::F16,
            output: Storage::F16,
            blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            compute_name: "CUDA_R_16F in/out, CUBLAS_COMPUTE_32F (f32 accumulate)",
            precision: p(0.0, f32u, Dtype::F16.unit_roundoff()),
        },
        Dtype::Fp8 => Plan {
            input: Storage::E4m3,
            output: Storage::Bf16,
            blas_compute: blas::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            lt_compute: lt::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            compute_name:
                "CUDA_R_8F_E4M3 in (A and B scale 1.0), CUDA_R_16BF out, CUBLAS_COMPUTE_32F",
            // FP8 tensor cores accumulate with fewer bits than f32: allow 2^-11 per step.
            precision: p(0.0, 2f64.powi(-11), Dtype::Bf16.unit_roundoff()),
        },
        Dtype::Int8 => {
            return Err(GemmError::Unsupported(
                "int8 GEMM is not measured yet".into(),
            ))
        }
    })
}

fn blas_type(s: Storage) -> blas::cudaDataType {
    match s {
        Storage::F64 => blas::cudaDataType::CUDA_R_64F,
        Storage::F32 => blas::cudaDataType::CUDA_R_32F,
        Storage::Bf16 => blas::cudaDataType::CUDA_R_16BF,
        Storage::F16 => blas::cudaDataType::CUDA_R_16F,
        Storage::E4m3 => blas::cudaDataType::CUDA_R_8F_E4M3,
    }
}

fn timing_events(ctx: &Arc<CudaContext>) -> Result<Vec<CudaEvent>, GemmError> {
    (0..2 * MAX_BATCH)
        .map(|_| ctx.new_event(Some(drv::CUevent_flags::CU_EVENT_DEFAULT)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| GemmError::Device(format!("creating CUDA events: {e}")))
}

/// Compiles and loads one of our kernels: CUBIN for the device's architecture first, PTX if
/// the driver refuses it. Returns the function and which image was loaded.
fn load_kernel(
    ctx: &Arc<CudaContext>,
    cc: ComputeCapability,
    k: &CudaKernel,
) -> Result<(CudaFunction, String), GemmError> {
    let load = |target: Target| {
        let image = compile(k, cc, target)?;
        crate::panic_guard::guard("CUDA", || {
            let module = ctx
                .load_module(image.into_module_image())
                .map_err(|e| format!("loading {} as {target}: {e}", k.file))?;
            module
                .load_function(k.function)
                .map_err(|e| format!("{}: {e}", k.function))
        })
    };
    let arch = cc.sm();
    match load(Target::Cubin) {
        Ok(f) => Ok((f, format!("CUBIN for {arch}"))),
        Err(cubin_error) => match load(Target::Ptx) {
            Ok(f) => Ok((f, format!("PTX for {arch} (CUBIN refused: {cubin_error})"))),
            Err(ptx_error) => Err(GemmError::Device(format!(
                "{cubin_error}; PTX fallback: {ptx_error}"
            ))),
        },
    }
}

/// Which op a kernel name means on CUDA.
enum Kind {
    Blas,
    Lt,
    Ours(&'static CudaKernel),
}

fn kind_of(kernel: &str, dtype: Dtype, cc: ComputeCapability) -> Result<Kind, GemmError> {
    match (kernel, cuda_kernel(kernel)) {
        ("cublas", _) if dtype == Dtype::Fp8 => Err(GemmError::Unsupported(
            "fp8 runs through cublaslt, not cublas".into(),
        )),
        ("cublas", _) => Ok(Kind::Blas),
        ("cublaslt", _) => Ok(Kind::Lt),
        (_, Some(k)) if k.dtype != dtype => Err(GemmError::Unsupported(format!(
            "kernel {kernel} computes {}, not {dtype}",
            k.dtype
        ))),
        (_, Some(k)) if cc < k.min_cc => Err(GemmError::Unsupported(format!(
            "kernel {kernel} needs {}+",
            k.min_cc.sm()
        ))),
        (_, Some(k)) => Ok(Kind::Ours(k)),
        (_, None) => Err(GemmError::Unsupported(format!(
            "no CUDA kernel named '{kernel}'"
        ))),
    }
}

/// Allocates operands and builds the op for one kernel and dtype (a `Shape` is a batch of one).
pub fn prepare(
    dev: &CudaDevice,
    kernel: &str,
    dtype: Dtype,
    problem: impl Into<Problem>,
    seed: u64,
) -> Result<Prepared, GemmError> {
    let problem = problem.into();
    let shape = problem.shape;
    if !device_supports(dev.cc, dtype) {
        return Err(GemmError::Unsupported(format!(
            "cc {} has no {dtype} tensor math",
            dev.cc
        )));
    }
    let kind = kind_of(kernel, dtype, dev.cc)?;
    let mut plan = plan(dtype)?;
    let pad = match kind {
        Kind::Ours(k) => {
            // Our kernels write f32.
            plan.output = Storage::F32;
            plan.precision.output = Dtype::F32.unit_roundoff();
            k.pad
        }
        _ => (1, 1, 1),
    };
    let layout = Layout {
        shape,
        padded: Padded::of(shape, pad),
        input: plan.input,
        output: plan.output,
        batch: problem.batch,
    };
    let (sets, host) = upload_sets(dev, layout, dtype, seed)?;
    let mut details = BTreeMap::new();
    let (op, compute_type) = match kind {
        Kind::Blas => blas_op(dev, &plan, layout, dtype)?,
        Kind::Lt => lt_op(dev, &plan, layout, &sets, &mut details)?,
        Kind::Ours(k) => kernel_op(dev, k, layout, &mut details)?,
    };
    let gemm = CudaGemm {
        stream: dev.stream.clone(),
        op,
        events: timing_events(&dev.ctx)?,
        sets,
        next: 0,
        batch: 1,
        problem,
        padded: layout.padded,
        output: plan.output,
        precision: plan.precision,
        seed,
        host,
        cc: dev.cc,
        fingerprint: None,
    };
    Ok(Prepared {
        operand_sets: gemm.sets.len(),
        gemm: Box::new(gemm),
        timer: crate::results::Timer::CudaEvents,
        compute_type,
        details,
    })
}

/// Checks the problem fits in memory, then uploads enough operand sets to cover twice the L2
/// (outside the timed region nothing needs flushing).
fn upload_sets(
    dev: &CudaDevice,
    layout: Layout,
    dtype: Dtype,
    seed: u64,
) -> Result<(Vec<Set>, HostCopy), GemmError> {
    let one_set = set_bytes(layout.padded, layout.input, layout.output) * layout.batch as u64;
    let free = dev.free_memory();
    if one_set > free / 10 * 8 {
        return Err(GemmError::TooLarge(format!(
            "shape {} in {dtype} needs {} on the GPU; {} is free",
            Problem {
                shape: layout.shape,
                batch: layout.batch
            },
            crate::units::bytes(one_set),
            crate::units::bytes(free)
        )));
    }
    let count = operand_sets(one_set, dev.l2_bytes, (free / 2).min(16 << 30));
    let mut cache = dev
        .host_cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    crate::panic_guard::guard("CUDA", || {
        allocate(&dev.stream, &mut cache, layout, count, seed)
    })
    .map_err(GemmError::Device)
}

/// The same workspace for cuBLAS as for cuBLASLt, so neither is favoured.
const WORKSPACE: usize = super::ops::LT_WORKSPACE;

fn blas_op(
    dev: &CudaDevice,
    plan: &Plan,
    layout: Layout,
    dtype: Dtype,
) -> Result<(Op, String), GemmError> {
    if !CudaLib::Cublas.present() {
        return Err(GemmError::Device(
            CudaLib::Cublas.probe().detail.unwrap_or_default(),
        ));
    }
    let (blas, workspace) = crate::panic_guard::guard("cuBLAS", || {
        let blas = CudaBlas::new(dev.stream.clone()).map_err(|e| format!("cuBLAS: {e}"))?;
        let workspace = dev
            .stream
            .alloc_zeros::<u8>(WORKSPACE)
            .map_err(|e| format!("cuBLAS workspace: {e}"))?;
        // SAFETY: a valid handle; DEFAULT_MATH never substitutes TF32 for COMPUTE_32F.
        unsafe { blas::cublasSetMathMode(*blas.handle(), blas::cublasMath_t::CUBLAS_DEFAULT_MATH) }
            .result()
            .map_err(|e| format!("cublasSetMathMode: {e}"))?;
        // SAFETY: the workspace is a live device allocation of WORKSPACE bytes, kept with the op.
        unsafe {
            blas::cublasSetWorkspace_v2(
                *blas.handle(),
                ptr(&workspace, &dev.stream) as *mut std::ffi::c_void,
                WORKSPACE,
            )
        }
        .result()
        .map_err(|e| format!("cublasSetWorkspace: {e}"))?;
        Ok((blas, workspace))
    })
    .map_err(GemmError::Device)?;
    let op = BlasOp {
        blas,
        _workspace: workspace,
        p: layout.padded,
        a_type: blas_type(plan.input),
        c_type: blas_type(plan.output),
        compute: plan.blas_compute,
        f64_scale: dtype == Dtype::F64,
        batch: layout.batch,
    };
    let call = if layout.batch > 1 {
        "cublasGemmStridedBatchedEx"
    } else {
        "cublasGemmEx"
    };
    Ok((Op::Blas(op), format!("{call} TN, {}", plan.compute_name)))
}

/// cuBLASLt with every heuristic candidate timed briefly; the fastest is kept.
fn lt_op(
    dev: &CudaDevice,
    plan: &Plan,
    layout: Layout,
    sets: &[Set],
    details: &mut BTreeMap<String, String>,
) -> Result<(Op, String), GemmError> {
    if !CudaLib::CublasLt.present() {
        return Err(GemmError::Device(
            CudaLib::CublasLt.probe().detail.unwrap_or_default(),
        ));
    }
    let mut op = crate::panic_guard::guard("cuBLASLt", || {
        LtOp::new(
            &dev.stream,
            (layout.padded, layout.batch),
            plan.input,
            plan.output,
            plan.lt_compute,
        )
    })
    .map_err(GemmError::Device)?;
    let medians = time_candidates(dev, &op, sets)?;
    let best = (0..medians.len())
        .min_by(|a, b| medians[*a].total_cmp(&medians[*b]))
        .filter(|i| medians[*i].is_finite())
        .ok_or_else(|| GemmError::Device("no cuBLASLt candidate ran".into()))?;
    op.chosen = best;
    details.insert("lt_candidates".into(), op.algos.len().to_string());
    details.insert("lt_chosen".into(), best.to_string());
    if let Some(id) = op.algo_id(best) {
        details.insert("lt_algo_id".into(), id.to_string());
    }
    details.insert(
        "lt_candidate_ms".into(),
        medians
            .iter()
            .map(|m| format!("{:.4}", m * 1e3))
            .collect::<Vec<_>>()
            .join(","),
    );
    let batched = if layout.batch > 1 {
        format!(" (batch count {}, strided)", layout.batch)
    } else {
        String::new()
    };
    Ok((
        Op::Lt(Box::new(op)),
        format!("cublasLtMatmul TN{batched}, {}", plan.compute_name),
    ))
}

/// Median time of each cuBLASLt candidate over 10 iterations after 3 warm-ups (infinite when
/// a candidate fails).
fn time_candidates(dev: &CudaDevice, op: &LtOp, sets: &[Set]) -> Result<Vec<f64>, GemmError> {
    let events = timing_events(&dev.ctx)?;
    let mut next = 0;
    Ok((0..op.algos.len())
        .map(|i| {
            let mut time = |n| {
                time_iterations(&dev.stream, sets, &events, &mut next, n, &|s| {
                    op.enqueue(s, &dev.stream, i)
                })
            };
            match time(3).and_then(|_| time(10)) {
                Ok(t) => crate::measure::stats::summarize(&t).median,
                Err(_) => f64::INFINITY,
            }
        })
        .collect())
}

fn kernel_op(
    dev: &CudaDevice,
    k: &'static CudaKernel,
    layout: Layout,
    details: &mut BTreeMap<String, String>,
) -> Result<(Op, String), GemmError> {
    if layout.batch > MAX_GRID_Z {
        return Err(GemmError::TooLarge(format!(
            "a batch of {} is more than the {MAX_GRID_Z} blocks a CUDA grid has along z",
            layout.batch
        )));
    }
    let (func, image) = load_kernel(&dev.ctx, dev.cc, k)?;
    let (shape, padded) = (layout.shape, layout.padded);
    details.insert("image".into(), image);
    details.insert("kernel".into(), k.description.into());
    details.insert("source".into(), k.file.into());
    if (padded.m, padded.n, padded.k) != (shape.m, shape.n, shape.k) {
        details.insert(
            "padded_to".into(),
            format!(
                "{}x{}x{} (the padding's FLOP are not counted)",
                padded.m, padded.n, padded.k
            ),
        );
    }
    let cfg = LaunchConfig {
        grid_dim: (
            (padded.n as u32).div_ceil(k.tile.0),
            (padded.m as u32).div_ceil(k.tile.1),
            layout.batch as u32,
        ),
        block_dim: (k.block.0, k.block.1, 1),
        shared_mem_bytes: 0,
    };
    let name = format!(
        "NVRTC kernel {} ({}), {}",
        k.function,
        dev.cc.sm(),
        k.description
    );
    Ok((
        Op::Kernel(KernelOp {
            func,
            cfg,
            p: padded,
        }),
        name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Shape;

    #[test]
    fn dtype_support_follows_compute_capability() {
        let cc = ComputeCapability::new;
        assert!(device_supports(cc(7, 0), Dtype::F16));
        assert!(!device_supports(cc(7, 5), Dtype::Bf16));
        assert!(device_supports(cc(8, 0), Dtype::Tf32));
        assert!(!device_supports(cc(8, 6), Dtype::Fp8));
        assert!(device_supports(cc(8, 9), Dtype::Fp8));
        assert!(device_supports(cc(9, 0), Dtype::Fp8));
        assert!(device_supports(cc(10, 0), Dtype::Fp8));
    }

    #[test]
    fn every_dtype_has_an_explicit_compute_type() {
        // f32 must never be TF32; tf32 must say so; fp8 has scale factors.
        let f32p = plan(Dtype::F32).unwrap();
        assert_eq!(
            f32p.blas_compute,
            blas::cublasComputeType_t::CUBLAS_COMPUTE_32F
        );
        assert!(f32p.compute_name.contains("no TF32"));
        let tf32 = plan(Dtype::Tf32).unwrap();
        assert_eq!(
            tf32.blas_compute,
            blas::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_TF32
        );
        assert_eq!(plan(Dtype::Fp8).unwrap().input, Storage::E4m3);
        assert!(plan(Dtype::Fp8).unwrap().compute_name.contains("scale"));
        assert_eq!(plan(Dtype::Bf16).unwrap().output, Storage::Bf16);
        assert!(plan(Dtype::Int8).is_err());
    }

    #[test]
    fn padding_rounds_up_to_the_kernel_tiles() {
        let p = Padded::of(
            Shape {
                m: 1000,
                n: 64,
                k: 33,
            },
            (64, 64, 32),
        );
        assert_eq!((p.m, p.n, p.k), (1024, 64, 64));
        let same = Padded::of(Shape { m: 7, n: 9, k: 11 }, (1, 1, 1));
        assert_eq!((same.m, same.n, same.k), (7, 9, 11));
    }

    #[test]
    fn storage_round_trips_values() {
        // Expected values and bits worked out by hand (IEEE 754 binary16, bfloat16 rounded to
        // nearest even, OCP FP8 E4M3 with bias 7), not by the encoder under test: 1.5 and 2.75
        // are exact in every storage; -0.3337 rounds to the nearest value each can hold.
        let cases: [(Storage, f64, &[u8]); 5] = [
            (Storage::F64, -0.3337, &(-0.3337f64).to_le_bytes()),
            (Storage::F32, -0.3337000012397766, &[0xba, 0xda, 0xaa, 0xbe]),
            (Storage::Bf16, -0.333984375, &[0xab, 0xbe]),
            (Storage::F16, -0.333740234375, &[0x57, 0xb5]),
            (Storage::E4m3, -0.34375, &[0xab]),
        ];
        for (s, rounded, bits) in cases {
            let mut bytes = Vec::new();
            let stored: Vec<f64> = [1.5, -0.3337, 2.75]
                .iter()
                .map(|x| s.store_for_test(*x, &mut bytes))
                .collect();
            assert_eq!(stored, [1.5, rounded, 2.75], "{s:?}");
            assert_eq!(&bytes[s.bytes()..2 * s.bytes()], bits, "{s:?}");
            for (i, v) in stored.iter().enumerate() {
                assert_eq!(s.load(&bytes, i), *v, "{s:?}");
            }
        }
    }
}
