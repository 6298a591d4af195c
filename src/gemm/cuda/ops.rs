//! The three ways a CUDA GEMM is issued: cuBLAS (cublasGemmEx), cuBLASLt (with the best of
//! several heuristic algorithms), and our NVRTC kernels. Each enqueues one C = A B on a stream,
//! or a batch of them: cublasGemmStridedBatchedEx, cuBLASLt layouts with a batch count and
//! stride, and our kernels with the batch along the grid's z.

use std::ffi::c_void;
use std::sync::Arc;

use cudarc::cublas::{sys as blas, CudaBlas};
use cudarc::cublaslt::sys as lt;
use cudarc::driver::{CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg};

use super::operands::{ptr, Padded, Set, Storage};

static ONE_F64: f64 = 1.0;
static ZERO_F64: f64 = 0.0;
static ONE_F32: f32 = 1.0;
static ZERO_F32: f32 = 0.0;

/// Host pointers to alpha = 1 and beta = 0 in the scale type (f64 for f64 compute, else f32).
fn alpha_beta(f64_scale: bool) -> (*const c_void, *const c_void) {
    if f64_scale {
        (&ONE_F64 as *const f64 as _, &ZERO_F64 as *const f64 as _)
    } else {
        (&ONE_F32 as *const f32 as _, &ZERO_F32 as *const f32 as _)
    }
}

pub enum Op {
    Blas(BlasOp),
    Lt(Box<LtOp>),
    Kernel(KernelOp),
}

impl Op {
    pub fn enqueue(&self, set: &Set, stream: &Arc<CudaStream>) -> Result<(), String> {
        match self {
            Op::Blas(o) => o.enqueue(set, stream),
            Op::Lt(o) => o.enqueue(set, stream, o.chosen),
            Op::Kernel(o) => o.enqueue(set, stream),
        }
    }
}

/// Row-major C (M x N) = A (M x K) B with Bt stored N x K is, in cuBLAS's column-major terms,
/// C^T (N x M) = op_T(Bt as K x N) op_N(A as K x M): transa = T, transb = N, m = N, n = M.
pub struct BlasOp {
    pub blas: CudaBlas,
    /// cuBLAS's workspace (cublasSetWorkspace), kept alive with the handle.
    pub _workspace: CudaSlice<u8>,
    pub p: Padded,
    pub a_type: blas::cudaDataType,
    pub c_type: blas::cudaDataType,
    pub compute: blas::cublasComputeType_t,
    /// alpha and beta in the scale type (f64 for f64 compute, f32 otherwise).
    pub f64_scale: bool,
    /// Products per call: 1 is cublasGemmEx, more cublasGemmStridedBatchedEx.
    pub batch: usize,
}

impl BlasOp {
    fn enqueue(&self, set: &Set, stream: &Arc<CudaStream>) -> Result<(), String> {
        if self.batch > 1 {
            return self.enqueue_batched(set, stream);
        }
        let (alpha, beta) = alpha_beta(self.f64_scale);
        let p = self.p;
        // SAFETY: the pointers are live device allocations of the sizes the shape implies.
        unsafe {
            cudarc::cublas::result::gemm_ex(
                *self.blas.handle(),
                blas::cublasOperation_t::CUBLAS_OP_T,
                blas::cublasOperation_t::CUBLAS_OP_N,
                p.n as i32,
                p.m as i32,
                p.k as i32,
                alpha,
                ptr(&set.bt, stream) as *const c_void,
                self.a_type,
                p.k as i32,
                ptr(&set.a, stream) as *const c_void,
                self.a_type,
                p.k as i32,
                beta,
                ptr(&set.c, stream) as *mut c_void,
                self.c_type,
                p.n as i32,
                self.compute,
                blas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| format!("cublasGemmEx: {e}"))
    }

    /// The same call for every product of the batch, each matrix one padded matrix after the
    /// previous one.
    fn enqueue_batched(&self, set: &Set, stream: &Arc<CudaStream>) -> Result<(), String> {
        let (alpha, beta) = alpha_beta(self.f64_scale);
        let p = self.p;
        // SAFETY: the pointers are live device allocations of `batch` padded matrices each;
        // the strides (in elements) step from one product's matrix to the next's.
        unsafe {
            cudarc::cublas::result::gemm_strided_batched_ex(
                *self.blas.handle(),
                blas::cublasOperation_t::CUBLAS_OP_T,
                blas::cublasOperation_t::CUBLAS_OP_N,
                p.n as i32,
                p.m as i32,
                p.k as i32,
                alpha,
                ptr(&set.bt, stream) as *const c_void,
                self.a_type,
                p.k as i32,
                (p.n * p.k) as i64,
                ptr(&set.a, stream) as *const c_void,
                self.a_type,
                p.k as i32,
                (p.m * p.k) as i64,
                beta,
                ptr(&set.c, stream) as *mut c_void,
                self.c_type,
                p.n as i32,
                (p.m * p.n) as i64,
                self.batch as i32,
                self.compute,
                blas::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| format!("cublasGemmStridedBatchedEx: {e}"))
    }
}

/// The cuBLASLt objects of one problem, destroyed together (also when building them fails
/// halfway: a null one is skipped).
pub struct LtHandles {
    pub handle: lt::cublasLtHandle_t,
    pub desc: lt::cublasLtMatmulDesc_t,
    pub a_layout: lt::cublasLtMatrixLayout_t,
    pub b_layout: lt::cublasLtMatrixLayout_t,
    pub c_layout: lt::cublasLtMatrixLayout_t,
}

impl Drop for LtHandles {
    fn drop(&mut self) {
        use cudarc::cublaslt::result as r;
        // SAFETY: each non-null handle was created by LtOp::new and is destroyed only here.
        unsafe {
            for layout in [self.a_layout, self.b_layout, self.c_layout] {
                if !layout.is_null() {
                    let _ = r::destroy_matrix_layout(layout);
                }
            }
            if !self.desc.is_null() {
                let _ = r::destroy_matmul_desc(self.desc);
            }
            if !self.handle.is_null() {
                let _ = r::destroy_handle(self.handle);
            }
        }
    }
}

/// cuBLASLt: one descriptor, several heuristic algorithms; the fastest is kept.
pub struct LtOp {
    pub h: LtHandles,
    pub algos: Vec<lt::cublasLtMatmulHeuristicResult_t>,
    pub chosen: usize,
    pub workspace: CudaSlice<u8>,
    pub f64_scale: bool,
    /// Device scale factors (1.0) for FP8, kept alive with the descriptor.
    pub _scales: Option<CudaSlice<f32>>,
}

pub const LT_WORKSPACE: usize = 32 << 20;
pub const LT_CANDIDATES: usize = 8;

fn lt_check(what: &str, s: lt::cublasStatus_t) -> Result<(), String> {
    if s == lt::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(format!("{what}: {s:?}"))
    }
}

fn lt_type(s: Storage) -> lt::cudaDataType {
    match s {
        Storage::F64 => lt::cudaDataType::CUDA_R_64F,
        Storage::F32 => lt::cudaDataType::CUDA_R_32F,
        Storage::Bf16 => lt::cudaDataType::CUDA_R_16BF,
        Storage::F16 => lt::cudaDataType::CUDA_R_16F,
        Storage::E4m3 => lt::cudaDataType::CUDA_R_8F_E4M3,
    }
}

/// Sets one attribute of a matmul descriptor.
///
/// # Safety
/// `desc` is a live descriptor and `T` is the type the attribute is documented to hold.
unsafe fn set_desc_attr<T>(
    desc: lt::cublasLtMatmulDesc_t,
    attr: lt::cublasLtMatmulDescAttributes_t,
    value: &T,
) -> Result<(), String> {
    lt_check(
        &format!("{attr:?}"),
        lt::cublasLtMatmulDescSetAttribute(
            desc,
            attr,
            value as *const T as *const c_void,
            std::mem::size_of::<T>(),
        ),
    )
}

/// A device-side 1.0 for FP8's A and B scale pointers (cuBLASLt requires them for FP8).
fn fp8_scales(
    stream: &Arc<CudaStream>,
    desc: lt::cublasLtMatmulDesc_t,
) -> Result<CudaSlice<f32>, String> {
    let s = stream.clone_htod(&[1.0f32]).map_err(|e| e.to_string())?;
    let dp: u64 = super::operands::ptr_f32(&s, stream);
    for attr in [
        lt::cublasLtMatmulDescAttributes_t::CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
        lt::cublasLtMatmulDescAttributes_t::CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
    ] {
        // SAFETY: the scale pointer attributes hold a device pointer (void*, 8 bytes) to one f32.
        unsafe { set_desc_attr(desc, attr, &dp)? };
    }
    Ok(s)
}

/// Makes a layout a batch of `batch` matrices, `stride` elements apart.
fn batched_layout(
    layout: lt::cublasLtMatrixLayout_t,
    batch: usize,
    stride: usize,
) -> Result<(), String> {
    let count = batch as i32;
    let offset = stride as i64;
    for (attr, value, size) in [
        (
            lt::cublasLtMatrixLayoutAttribute_t::CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
            &count as *const i32 as *const c_void,
            std::mem::size_of::<i32>(),
        ),
        (
            lt::cublasLtMatrixLayoutAttribute_t::CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
            &offset as *const i64 as *const c_void,
            std::mem::size_of::<i64>(),
        ),
    ] {
        // SAFETY: `layout` is live; BATCH_COUNT holds an int32 and STRIDED_BATCH_OFFSET an
        // int64, each passed with its size.
        lt_check(&format!("{attr:?}"), unsafe {
            lt::cublasLtMatrixLayoutSetAttribute(layout, attr, value, size)
        })?;
    }
    Ok(())
}

/// Up to LT_CANDIDATES algorithms the heuristic proposes within the workspace.
fn heuristic(h: &LtHandles) -> Result<Vec<lt::cublasLtMatmulHeuristicResult_t>, String> {
    let pref = cudarc::cublaslt::result::create_matmul_pref().map_err(|e| e.to_string())?;
    let ws = LT_WORKSPACE as u64;
    // SAFETY: the heuristic result is a plain C struct for which all-zero bytes are valid.
    let zeroed: lt::cublasLtMatmulHeuristicResult_t = unsafe { std::mem::zeroed() };
    let mut results = vec![zeroed; LT_CANDIDATES];
    let mut found = 0i32;
    // SAFETY: every handle is live; the workspace attribute is a u64; `results` has room for
    // LT_CANDIDATES entries.
    let status = unsafe {
        lt_check(
            "MAX_WORKSPACE_BYTES",
            lt::cublasLtMatmulPreferenceSetAttribute(
                pref,
                lt::cublasLtMatmulPreferenceAttributes_t::CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                &ws as *const u64 as *const c_void,
                std::mem::size_of::<u64>(),
            ),
        )
        .and_then(|_| {
            lt_check(
                "cublasLtMatmulAlgoGetHeuristic",
                lt::cublasLtMatmulAlgoGetHeuristic(
                    h.handle,
                    h.desc,
                    h.a_layout,
                    h.b_layout,
                    h.c_layout,
                    h.c_layout,
                    pref,
                    LT_CANDIDATES as i32,
                    results.as_mut_ptr(),
                    &mut found,
                ),
            )
        })
    };
    // SAFETY: created above, destroyed once.
    let _ = unsafe { cudarc::cublaslt::result::destroy_matmul_pref(pref) };
    status?;
    results.truncate(found.max(0) as usize);
    results.retain(|r| r.state == lt::cublasStatus_t::CUBLAS_STATUS_SUCCESS);
    if results.is_empty() {
        return Err("cuBLASLt has no algorithm for this problem on this GPU".into());
    }
    Ok(results)
}

impl LtOp {
    /// Builds the descriptor and asks the heuristic for up to `LT_CANDIDATES` algorithms.
    pub fn new(
        stream: &Arc<CudaStream>,
        (p, batch): (Padded, usize),
        input: Storage,
        output: Storage,
        compute: lt::cublasComputeType_t,
    ) -> Result<LtOp, String> {
        use cudarc::cublaslt::result as r;
        let f64_scale = input == Storage::F64;
        let scale_type = lt_type(if f64_scale {
            Storage::F64
        } else {
            Storage::F32
        });
        let mut h = LtHandles {
            handle: std::ptr::null_mut(),
            desc: std::ptr::null_mut(),
            a_layout: std::ptr::null_mut(),
            b_layout: std::ptr::null_mut(),
            c_layout: std::ptr::null_mut(),
        };
        h.handle = r::create_handle().map_err(|e| format!("cublasLtCreate: {e}"))?;
        h.desc = r::create_matmul_desc(compute, scale_type)
            .map_err(|e| format!("cublasLtMatmulDescCreate: {e}"))?;
        // cublasOperation_t::CUBLAS_OP_T; the attribute holds a 32-bit int.
        // SAFETY: `desc` is live and TRANSA holds an int32.
        unsafe {
            set_desc_attr(
                h.desc,
                lt::cublasLtMatmulDescAttributes_t::CUBLASLT_MATMUL_DESC_TRANSA,
                &1i32,
            )?
        };
        let scales = match input {
            Storage::E4m3 => Some(fp8_scales(stream, h.desc)?),
            _ => None,
        };
        // Column-major: A' = Bt as K x N (transposed to N x K), B' = A as K x M, C' = N x M.
        let layout = |s: Storage, rows: usize, cols: usize| {
            r::create_matrix_layout(lt_type(s), rows as u64, cols as u64, rows as i64)
                .map_err(|e| format!("cublasLtMatrixLayoutCreate: {e}"))
        };
        h.a_layout = layout(input, p.k, p.n)?;
        h.b_layout = layout(input, p.k, p.m)?;
        h.c_layout = layout(output, p.n, p.m)?;
        if batch > 1 {
            batched_layout(h.a_layout, batch, p.k * p.n)?;
            batched_layout(h.b_layout, batch, p.k * p.m)?;
            batched_layout(h.c_layout, batch, p.n * p.m)?;
        }
        let algos = heuristic(&h)?;
        let workspace = stream
            .alloc_zeros::<u8>(LT_WORKSPACE)
            .map_err(|e| e.to_string())?;
        Ok(LtOp {
            h,
            algos,
            chosen: 0,
            workspace,
            f64_scale,
            _scales: scales,
        })
    }

    pub fn enqueue(&self, set: &Set, stream: &Arc<CudaStream>, algo: usize) -> Result<(), String> {
        let (alpha, beta) = alpha_beta(self.f64_scale);
        let c = ptr(&set.c, stream);
        // SAFETY: descriptors and buffers are live and sized for this problem.
        unsafe {
            lt_check(
                "cublasLtMatmul",
                lt::cublasLtMatmul(
                    self.h.handle,
                    self.h.desc,
                    alpha,
                    ptr(&set.bt, stream) as *const c_void,
                    self.h.a_layout,
                    ptr(&set.a, stream) as *const c_void,
                    self.h.b_layout,
                    beta,
                    c as *const c_void,
                    self.h.c_layout,
                    c as *mut c_void,
                    self.h.c_layout,
                    &self.algos[algo].algo,
                    ptr(&self.workspace, stream) as *mut c_void,
                    LT_WORKSPACE,
                    stream.cu_stream() as lt::cudaStream_t,
                ),
            )
        }
    }

    /// The algorithm's configuration id, for the results.
    pub fn algo_id(&self, i: usize) -> Option<i32> {
        let mut id = 0i32;
        let mut written = 0usize;
        // SAFETY: reads one int attribute of a valid algo.
        let s = unsafe {
            lt::cublasLtMatmulAlgoConfigGetAttribute(
                &self.algos[i].algo,
                lt::cublasLtMatmulAlgoConfigAttributes_t::CUBLASLT_ALGO_CONFIG_ID,
                &mut id as *mut i32 as *mut c_void,
                std::mem::size_of::<i32>(),
                &mut written,
            )
        };
        (s == lt::cublasStatus_t::CUBLAS_STATUS_SUCCESS).then_some(id)
    }
}

/// One of our NVRTC kernels.
pub struct KernelOp {
    pub func: CudaFunction,
    pub cfg: LaunchConfig,
    pub p: Padded,
}

impl KernelOp {
    fn enqueue(&self, set: &Set, stream: &Arc<CudaStream>) -> Result<(), String> {
        let (a, b, c) = (
            ptr(&set.a, stream),
            ptr(&set.bt, stream),
            ptr(&set.c, stream),
        );
        let (m, n, k) = (self.p.m as i32, self.p.n as i32, self.p.k as i32);
        let mut launch = stream.launch_builder(&self.func);
        launch.arg(&a).arg(&b).arg(&c).arg(&m).arg(&n).arg(&k);
        // SAFETY: the kernel's signature is (const T*, const T*, float*, int, int, int) and the
        // buffers hold padded M x K, N x K and M x N elements for each product of the batch
        // (the grid's z, which the kernel steps over).
        unsafe { launch.launch(self.cfg) }
            .map(|_| ())
            .map_err(|e| format!("kernel launch: {e}"))
    }
}
