//! WGSL GEMM kernels on a wgpu adapter, timed with timestamp queries (scaled by the queue's
//! timestamp period) or, where the adapter has none, with the host clock around many dispatches.
//! A batch of products is one dispatch, its z dimension the product.

use std::collections::BTreeMap;
use std::time::Instant;

use wgpu::util::DeviceExt;

use crate::dtype::Dtype;
use crate::measure::cache::operand_sets;
use crate::measure::inputs::{normal_f64, operand_seed};
use crate::measure::Timed;
use crate::results::Verification;
use crate::shape::{saturating_product, Problem};

use super::fingerprint::{Element, Fingerprint, ResultC};
use super::kernels::{wgsl_kernel, wgsl_source, WgslKernel};
use super::verify::{verify, verify_batch, Precision};
use super::{Gemm, GemmError, Prepared};

/// Cache to defeat on a GPU when the API does not say: the largest last-level cache of current
/// accelerators (MI300X Infinity Cache).
const GPU_LLC_BYTES: u64 = 256 << 20;
/// Memory all operand sets together may take on the adapter.
const ROTATION_BUDGET: u64 = 1 << 30;
/// Most iterations encoded in one submission.
const MAX_BATCH: usize = 32;

/// An opened adapter: device, queue, and what it can do.
pub struct WgpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub limits: wgpu::Limits,
    pub timestamps: bool,
    pub shader_f16: bool,
    pub is_cpu: bool,
    pub llc_bytes: u64,
}

impl WgpuContext {
    /// Opens the adapter with its real limits and the features flopmeter uses.
    pub fn open(adapter: &wgpu::Adapter, host_llc: u64) -> Result<WgpuContext, GemmError> {
        let wanted = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_F16;
        let features = adapter.features() & wanted;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("flopmeter"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GemmError::Device(format!("cannot open the adapter: {e}")))?;
        let is_cpu = adapter.get_info().device_type == wgpu::DeviceType::Cpu;
        Ok(WgpuContext {
            device,
            queue,
            limits,
            timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            is_cpu,
            // A software adapter runs on the host CPU and fights its caches.
            llc_bytes: if is_cpu { host_llc } else { GPU_LLC_BYTES },
        })
    }

    /// Runs `f` inside a validation error scope, turning wgpu errors into values.
    fn checked<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, GemmError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        match pollster::block_on(scope.pop()) {
            None => Ok(out),
            Some(e) => Err(GemmError::Device(format!("{what}: {e}"))),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    /// Elements from one product's A (B, C) to the next's.
    stride_a: u32,
    stride_b: u32,
    stride_c: u32,
}

/// Host copy of set 0 for verification (values as stored on the device), every product of the
/// batch one after the other.
struct HostOperands {
    a: Vec<f64>,
    b: Vec<f64>,
    lda: usize,
    ldb: usize,
}

struct WgpuGemm {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    bind_groups: Vec<wgpu::BindGroup>,
    c_buffers: Vec<wgpu::Buffer>,
    /// Along columns, rows, and the products of the batch.
    workgroups: (u32, u32, u32),
    queries: Option<Queries>,
    batch: usize,
    next: usize,
    problem: Problem,
    dtype: Dtype,
    seed: u64,
    host: HostOperands,
}

struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    period_ns: f64,
}

fn round_up4(x: usize) -> usize {
    x.div_ceil(4) * 4
}

/// The operand of each product of a batch (`seeds`, one per product), one after the other:
/// values rounded to the dtype, padded to `ld` columns with zeros, as bytes and as f64.
fn operand(
    rows: usize,
    cols: usize,
    ld: usize,
    dtype: Dtype,
    seeds: impl Iterator<Item = u64>,
) -> (Vec<u8>, Vec<f64>) {
    let mut stored = Vec::new();
    for seed in seeds {
        let v = normal_f64(rows * cols, seed);
        let at = stored.len();
        stored.resize(at + rows * ld, 0.0f64);
        for r in 0..rows {
            for c in 0..cols {
                let x = v[r * cols + c];
                stored[at + r * ld + c] = match dtype {
                    Dtype::F16 => half::f16::from_f64(x).to_f64(),
                    _ => x as f32 as f64,
                };
            }
        }
    }
    let bytes = match dtype {
        Dtype::F16 => bytemuck::cast_slice(
            &stored
                .iter()
                .map(|x| half::f16::from_f64(*x))
                .collect::<Vec<_>>(),
        )
        .to_vec(),
        _ => bytemuck::cast_slice(&stored.iter().map(|x| *x as f32).collect::<Vec<f32>>()).to_vec(),
    };
    (bytes, stored)
}

/// Allocates operands on the adapter and builds the pipeline for one kernel and dtype. A `Shape`
/// is a batch of one.
pub fn prepare(
    ctx: &WgpuContext,
    kernel_name: &str,
    dtype: Dtype,
    problem: impl Into<Problem>,
    seed: u64,
) -> Result<Prepared, GemmError> {
    let kernel = wgsl_kernel(kernel_name)
        .ok_or_else(|| GemmError::Unsupported(format!("no WGSL kernel named '{kernel_name}'")))?;
    prepare_kernel(ctx, kernel, dtype, problem, seed)
}

/// As `prepare`, for any kernel description (tests use it to prove a wrong kernel is caught).
pub fn prepare_kernel(
    ctx: &WgpuContext,
    kernel: &WgslKernel,
    dtype: Dtype,
    problem: impl Into<Problem>,
    seed: u64,
) -> Result<Prepared, GemmError> {
    let problem = problem.into();
    let shape = problem.shape;
    if dtype == Dtype::F16 && !ctx.shader_f16 {
        return Err(GemmError::Unsupported(
            "this adapter lacks shader-f16, so f16 cannot run".into(),
        ));
    }
    let source = wgsl_source(kernel, dtype).ok_or_else(|| {
        GemmError::Unsupported(format!("WGSL kernels compute f32 and f16, not {dtype}"))
    })?;
    check_limits(
        ctx.limits.max_storage_buffer_binding_size,
        ctx.limits.max_buffer_size,
        ctx.limits.max_compute_workgroups_per_dimension,
        problem,
        dtype,
        kernel,
    )?;
    let set_bytes: u64 = buffer_sizes(problem, dtype).iter().map(|s| s.1).sum();
    let sets = operand_sets(set_bytes, ctx.llc_bytes, ROTATION_BUDGET);
    let pipeline = compile(ctx, kernel, source)?;
    let uploaded = upload_sets(ctx, &pipeline, problem, dtype, seed, sets)?;
    let mut details = BTreeMap::new();
    details.insert("kernel".into(), kernel.description.into());
    details.insert(
        "workgroup_tile".into(),
        format!("{}x{}", kernel.tile.1, kernel.tile.0),
    );
    let gemm = WgpuGemm {
        device: ctx.device.clone(),
        queue: ctx.queue.clone(),
        pipeline,
        bind_groups: uploaded.bind_groups,
        c_buffers: uploaded.c_buffers,
        workgroups: (
            (shape.n as u32).div_ceil(kernel.tile.0),
            (shape.m as u32).div_ceil(kernel.tile.1),
            problem.batch as u32,
        ),
        queries: ctx.timestamps.then(|| timestamp_queries(ctx)),
        batch: 1,
        next: 0,
        problem,
        dtype,
        seed,
        host: uploaded.host,
    };
    Ok(Prepared {
        gemm: Box::new(gemm),
        operand_sets: sets,
        timer: if ctx.timestamps {
            crate::results::Timer::WgpuTimestamps
        } else {
            crate::results::Timer::HostBatchMean
        },
        compute_type: format!("WGSL {} in, f32 accumulate (fma), f32 out", dtype),
        details,
    })
}

/// The kernel's compute pipeline.
fn compile(
    ctx: &WgpuContext,
    kernel: &WgslKernel,
    source: String,
) -> Result<wgpu::ComputePipeline, GemmError> {
    let module = ctx.checked("compiling the WGSL kernel", || {
        ctx.device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            })
    })?;
    ctx.checked("creating the compute pipeline", || {
        ctx.device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            })
    })
}

/// Operand sets on the adapter, bound for the pipeline, and set 0's values for verification.
struct Uploaded {
    bind_groups: Vec<wgpu::BindGroup>,
    c_buffers: Vec<wgpu::Buffer>,
    host: HostOperands,
}

fn upload_sets(
    ctx: &WgpuContext,
    pipeline: &wgpu::ComputePipeline,
    problem: Problem,
    dtype: Dtype,
    seed: u64,
    sets: usize,
) -> Result<Uploaded, GemmError> {
    let Problem { shape, batch } = problem;
    let (lda, ldb) = (round_up4(shape.k), round_up4(shape.n));
    let dims = Dims {
        m: shape.m as u32,
        n: shape.n as u32,
        k: shape.k as u32,
        lda: lda as u32,
        ldb: ldb as u32,
        ldc: shape.n as u32,
        stride_a: (shape.m * lda) as u32,
        stride_b: (shape.k * ldb) as u32,
        stride_c: (shape.m * shape.n) as u32,
    };
    let dims_buf = ctx
        .device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("dims"),
            contents: bytemuck::bytes_of(&dims),
            usage: wgpu::BufferUsages::UNIFORM,
        });
    let layout = pipeline.get_bind_group_layout(0);
    let c_bytes = buffer_sizes(problem, dtype)[2].1;
    let mut bind_groups = Vec::with_capacity(sets);
    let mut c_buffers = Vec::with_capacity(sets);
    let mut host = None;
    ctx.checked("allocating operands", || {
        for s in 0..sets {
            // Product e of set s is the (s * batch + e)-th: a batch of 1 keeps a plain GEMM's
            // seeds.
            let seeds =
                |which| (s * batch..(s + 1) * batch).map(move |i| operand_seed(seed, i, which));
            let (a_bytes, a_vals) = operand(shape.m, shape.k, lda, dtype, seeds(0));
            let (b_bytes, b_vals) = operand(shape.k, shape.n, ldb, dtype, seeds(1));
            let a = storage_buffer(ctx, "A", &a_bytes);
            let b = storage_buffer(ctx, "B", &b_bytes);
            let c = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("C"),
                size: c_bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let entries = [&a, &b, &c, &dims_buf];
            bind_groups.push(bind(ctx, &layout, &entries));
            c_buffers.push(c);
            if s == 0 {
                host = Some(HostOperands {
                    a: a_vals,
                    b: b_vals,
                    lda,
                    ldb,
                });
            }
        }
    })?;
    Ok(Uploaded {
        bind_groups,
        c_buffers,
        host: host.expect("at least one operand set"),
    })
}

fn storage_buffer(ctx: &WgpuContext, label: &str, contents: &[u8]) -> wgpu::Buffer {
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents,
            usage: wgpu::BufferUsages::STORAGE,
        })
}

/// A bind group of `buffers` at bindings 0, 1, 2, ...
fn bind(
    ctx: &WgpuContext,
    layout: &wgpu::BindGroupLayout,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout,
        entries: &entries,
    })
}

/// A timestamp query set for a batch of passes, with its resolve and readback buffers.
fn timestamp_queries(ctx: &WgpuContext) -> Queries {
    let count = (2 * MAX_BATCH) as u32;
    let bytes = 8 * u64::from(count);
    Queries {
        set: ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count,
        }),
        resolve: ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resolve"),
            size: bytes,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        }),
        readback: ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }),
        period_ns: f64::from(ctx.queue.get_timestamp_period()),
    }
}

/// Bytes of A, B and C on the adapter (rows of A and B padded to 4 elements), for every
/// product of the batch.
pub fn buffer_sizes(problem: Problem, dtype: Dtype) -> [(&'static str, u64); 3] {
    let Problem { shape, batch } = problem;
    let elem = if dtype == Dtype::F16 { 2 } else { 4 };
    let all = |dims: [usize; 3]| saturating_product(&[dims[0], dims[1], dims[2], batch]);
    [
        ("A", all([shape.m, round_up4(shape.k), elem])),
        ("B", all([shape.k, round_up4(shape.n), elem])),
        ("C", all([shape.m, shape.n, 4])),
    ]
}

/// A problem larger than the adapter's buffer, binding or dispatch limits is an error before
/// anything is allocated.
pub fn check_limits(
    max_binding: u64,
    max_buffer: u64,
    max_groups: u32,
    problem: impl Into<Problem>,
    dtype: Dtype,
    kernel: &WgslKernel,
) -> Result<(), GemmError> {
    let problem = problem.into();
    let shape = problem.shape;
    let limit = max_binding.min(max_buffer);
    for (name, bytes) in buffer_sizes(problem, dtype) {
        if bytes > limit {
            return Err(GemmError::TooLarge(format!(
                "shape {problem} in {dtype}: {name} needs {} but this adapter binds at most {} \
                 per buffer (max_storage_buffer_binding_size); use a smaller size",
                crate::units::bytes(bytes),
                crate::units::bytes(limit)
            )));
        }
    }
    let groups = (
        (shape.n as u32).div_ceil(kernel.tile.0),
        (shape.m as u32).div_ceil(kernel.tile.1),
    );
    if groups.0 > max_groups || groups.1 > max_groups || problem.batch as u64 > max_groups as u64 {
        return Err(GemmError::TooLarge(format!(
            "shape {problem} needs {}x{}x{} workgroups; this adapter allows {max_groups} per \
             dimension",
            groups.0, groups.1, problem.batch
        )));
    }
    Ok(())
}

impl WgpuGemm {
    fn encode_pass(&self, encoder: &mut wgpu::CommandEncoder, set: usize, slot: Option<u32>) {
        let timestamp_writes = match (&self.queries, slot) {
            (Some(q), Some(i)) => Some(wgpu::ComputePassTimestampWrites {
                query_set: &q.set,
                beginning_of_pass_write_index: Some(2 * i),
                end_of_pass_write_index: Some(2 * i + 1),
            }),
            _ => None,
        };
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("gemm"),
            timestamp_writes,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_groups[set], &[]);
        pass.dispatch_workgroups(self.workgroups.0, self.workgroups.1, self.workgroups.2);
    }

    fn wait(&self) -> Result<(), String> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| format!("waiting for the adapter: {e}"))
    }

    fn read_buffer(&self, buffer: &wgpu::Buffer) -> Result<Vec<u8>, String> {
        let slice = buffer.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("mapping a buffer: {e}"))?;
        let bytes = slice
            .get_mapped_range()
            .map_err(|e| format!("reading a mapped buffer: {e}"))?
            .to_vec();
        buffer.unmap();
        Ok(bytes)
    }

    fn run_batch(&mut self) -> Result<Vec<f64>, String> {
        let mut encoder = self.device.create_command_encoder(&Default::default());
        for i in 0..self.batch {
            let set = self.next;
            self.next = (self.next + 1) % self.bind_groups.len();
            self.encode_pass(&mut encoder, set, Some(i as u32));
        }
        if let Some(q) = &self.queries {
            let n = 2 * self.batch as u32;
            encoder.resolve_query_set(&q.set, 0..n, &q.resolve, 0);
            encoder.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, 8 * u64::from(n));
        }
        let start = Instant::now();
        self.queue.submit([encoder.finish()]);
        self.wait()?;
        let host_s = start.elapsed().as_secs_f64();
        let times = match &self.queries {
            Some(q) => {
                let bytes = self.read_buffer(&q.readback)?;
                let ticks: &[u64] = bytemuck::cast_slice(&bytes);
                (0..self.batch)
                    .map(|i| {
                        let (t0, t1) = (ticks[2 * i], ticks[2 * i + 1]);
                        t1.wrapping_sub(t0) as f64 * q.period_ns * 1e-9
                    })
                    .collect()
            }
            None => vec![host_s / self.batch as f64; self.batch],
        };
        // Aim for about 50 ms per submission so that Ctrl-C and the budget stay responsive.
        let per_iter = host_s / self.batch as f64;
        self.batch = ((0.05 / per_iter.max(1e-9)) as usize).clamp(1, MAX_BATCH);
        if times.iter().any(|t: &f64| !t.is_finite() || *t <= 0.0) {
            return Err("the adapter returned invalid timestamps".into());
        }
        Ok(times)
    }
}

impl Timed for WgpuGemm {
    fn run(&mut self) -> Result<Vec<f64>, String> {
        self.run_batch()
    }
}

impl Gemm for WgpuGemm {
    fn verify(&mut self) -> Result<Verification, String> {
        // Recompute set 0 alone, then read its C back.
        let mut encoder = self.device.create_command_encoder(&Default::default());
        self.encode_pass(&mut encoder, 0, None);
        let size = self.c_buffers[0].size();
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("C readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        encoder.copy_buffer_to_buffer(&self.c_buffers[0], 0, &readback, 0, size);
        self.queue.submit([encoder.finish()]);
        let bytes = self.read_buffer(&readback)?;
        let c: &[f32] = bytemuck::cast_slice(&bytes);
        let (s, h) = (self.problem.shape, &self.host);
        Ok(verify_batch(self.problem.batch, |e| {
            let (ao, bo, co) = (e * s.m * h.lda, e * s.k * h.ldb, e * s.m * s.n);
            verify(
                s,
                Precision::of(self.dtype),
                self.seed,
                |i, p| h.a[ao + i * h.lda + p],
                |p, j| h.b[bo + p * h.ldb + j],
                |i, j| f64::from(c[co + i * s.n + j]),
            )
        }))
    }

    fn fingerprints(&mut self) -> Result<Vec<Fingerprint>, String> {
        (0..self.c_buffers.len())
            .map(|s| self.result(s).map(|c| c.fingerprint()))
            .collect()
    }

    fn result(&mut self, set: usize) -> Result<ResultC, String> {
        let c = self
            .c_buffers
            .get(set)
            .ok_or_else(|| format!("no operand set {set}"))?;
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("C readback"),
            size: c.size(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(c, 0, &readback, 0, c.size());
        self.queue.submit([encoder.finish()]);
        Ok(ResultC {
            element: Element::F32,
            rows: self.problem.shape.m,
            row_len: self.problem.shape.n,
            bytes: self.read_buffer(&readback)?,
        })
    }
}
