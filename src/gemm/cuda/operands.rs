//! Operand sets on the GPU: A (row-major M x K), Bt (row-major N x K, i.e. B transposed: the
//! "TN" layout cuBLAS runs fastest and FP8 requires) and C (row-major M x N), random normal
//! values rounded to the dtype, with a host copy of set 0 for verification. A batch of products
//! lies in one allocation per operand, each product's matrix after the previous one's (the
//! stride is one padded matrix).

use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

use crate::measure::inputs::{normal_f64, operand_seed};
use crate::results::Shape;

use super::fp8;

/// How elements are stored on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    F64,
    F32,
    Bf16,
    F16,
    E4m3,
}

impl Storage {
    pub fn bytes(self) -> usize {
        match self {
            Storage::F64 => 8,
            Storage::F32 => 4,
            Storage::Bf16 | Storage::F16 => 2,
            Storage::E4m3 => 1,
        }
    }

    /// Rounds `x` to this storage and writes its bytes into `out` (`self.bytes()` long).
    fn store_into(self, x: f64, out: &mut [u8]) {
        match self {
            Storage::F64 => out.copy_from_slice(&x.to_le_bytes()),
            Storage::F32 => out.copy_from_slice(&(x as f32).to_le_bytes()),
            Storage::Bf16 => out.copy_from_slice(&half::bf16::from_f64(x).to_bits().to_le_bytes()),
            Storage::F16 => out.copy_from_slice(&half::f16::from_f64(x).to_bits().to_le_bytes()),
            Storage::E4m3 => out[0] = fp8::encode(x),
        }
    }

    #[cfg(test)]
    pub fn store_for_test(self, x: f64, out: &mut Vec<u8>) -> f64 {
        let start = out.len();
        out.resize(start + self.bytes(), 0);
        self.store_into(x, &mut out[start..]);
        self.load(&out[start..], 0)
    }

    /// Reads element `i` of a buffer in this storage.
    pub fn load(self, bytes: &[u8], i: usize) -> f64 {
        let b = self.bytes();
        let s = &bytes[i * b..(i + 1) * b];
        match self {
            Storage::F64 => f64::from_le_bytes(s.try_into().expect("8 bytes")),
            Storage::F32 => f64::from(f32::from_le_bytes(s.try_into().expect("4 bytes"))),
            Storage::Bf16 => half::bf16::from_bits(u16::from_le_bytes([s[0], s[1]])).to_f64(),
            Storage::F16 => half::f16::from_bits(u16::from_le_bytes([s[0], s[1]])).to_f64(),
            Storage::E4m3 => fp8::decode(s[0]),
        }
    }
}

/// One set of operands on the device (every product of the batch).
pub struct Set {
    pub a: CudaSlice<u8>,
    pub bt: CudaSlice<u8>,
    pub c: CudaSlice<u8>,
}

/// Rows and columns as allocated: the shape padded up to the kernel's multiples.
#[derive(Debug, Clone, Copy)]
pub struct Padded {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

impl Padded {
    pub fn of(shape: Shape, pad: (usize, usize, usize)) -> Padded {
        Padded {
            m: shape.m.div_ceil(pad.0) * pad.0,
            n: shape.n.div_ceil(pad.1) * pad.1,
            k: shape.k.div_ceil(pad.2) * pad.2,
        }
    }
}

/// The bytes of one set's A and Bt on the host, as uploaded (every product of the batch).
pub struct HostSet {
    pub a: Vec<u8>,
    pub bt: Vec<u8>,
}

/// Host copy of set 0, read back as values for verification.
pub struct HostCopy {
    pub set: Arc<HostSet>,
    pub storage: Storage,
}

impl HostCopy {
    pub fn a(&self, index: usize) -> f64 {
        self.storage.load(&self.set.a, index)
    }

    pub fn bt(&self, index: usize) -> f64 {
        self.storage.load(&self.set.bt, index)
    }
}

/// Random operand bytes of a rows x cols matrix padded to prows x pcols with zeros, rounded to
/// `storage`; rows are encoded in parallel.
fn matrix(
    storage: Storage,
    rows: usize,
    cols: usize,
    padded: (usize, usize),
    seed: u64,
) -> Vec<u8> {
    use rayon::prelude::*;
    let (prows, pcols) = padded;
    let v = normal_f64(rows * cols, seed);
    let b = storage.bytes();
    let mut bytes = vec![0u8; prows * pcols * b];
    bytes
        .par_chunks_mut(pcols * b)
        .take(rows)
        .enumerate()
        .for_each(|(r, row)| {
            for (c, out) in row.chunks_exact_mut(b).take(cols).enumerate() {
                storage.store_into(v[r * cols + c], out);
            }
        });
    bytes
}

/// Bytes one set of one product needs (a batch needs `batch` times as many; saturating:
/// never a wrapped size).
pub fn set_bytes(p: Padded, input: Storage, output: Storage) -> u64 {
    let shape = crate::shape::Shape {
        m: p.m,
        n: p.n,
        k: p.k,
    };
    shape.operand_bytes(input.bytes(), output.bytes())
}

/// The matrices of one operand for every product of a batch, one after the other; product e of
/// set s is the (s * batch + e)-th, so a batch of 1 keeps a plain GEMM's seeds.
fn batch_of(
    storage: Storage,
    (rows, cols): (usize, usize),
    padded: (usize, usize),
    (seed, set, batch, which): (u64, usize, usize, u64),
) -> Vec<u8> {
    let mut all = Vec::new();
    for i in set * batch..(set + 1) * batch {
        all.extend(matrix(
            storage,
            rows,
            cols,
            padded,
            operand_seed(seed, i, which),
        ));
    }
    all
}

/// What identifies a set's host bytes: the same key gives the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HostKey {
    storage: Storage,
    m: usize,
    n: usize,
    k: usize,
    pm: usize,
    pn: usize,
    pk: usize,
    batch: usize,
    seed: u64,
}

/// The host operands of the last shape and dtype, kept for the next job that needs the same
/// (cuBLAS, cuBLASLt and our kernels at one shape run back to back): generating and encoding
/// two 8192^2 matrices takes longer than measuring them.
#[derive(Default)]
pub struct HostCache {
    key: Option<HostKey>,
    sets: Vec<Arc<HostSet>>,
}

impl HostCache {
    /// Set `s` of this key, generated when not cached; a new key drops the old sets.
    fn set(&mut self, layout: &Layout, seed: u64, s: usize) -> Arc<HostSet> {
        let Layout {
            shape,
            padded,
            input,
            batch,
            ..
        } = *layout;
        let key = HostKey {
            storage: input,
            m: shape.m,
            n: shape.n,
            k: shape.k,
            pm: padded.m,
            pn: padded.n,
            pk: padded.k,
            batch,
            seed,
        };
        if self.key != Some(key) {
            self.key = Some(key);
            self.sets.clear();
        }
        while self.sets.len() <= s {
            let i = self.sets.len();
            // Bt[j][p] = B[p][j]: B's columns are Bt's rows.
            self.sets.push(Arc::new(HostSet {
                a: batch_of(
                    input,
                    (shape.m, shape.k),
                    (padded.m, padded.k),
                    (seed, i, batch, 0),
                ),
                bt: batch_of(
                    input,
                    (shape.n, shape.k),
                    (padded.n, padded.k),
                    (seed, i, batch, 1),
                ),
            }));
        }
        self.sets[s].clone()
    }
}

/// The layout of one job's operands.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub shape: Shape,
    pub padded: Padded,
    pub input: Storage,
    pub output: Storage,
    /// Products per call.
    pub batch: usize,
}

/// Allocates `count` sets on the device and fills them from the host cache.
pub fn allocate(
    stream: &Arc<CudaStream>,
    cache: &mut HostCache,
    layout: Layout,
    count: usize,
    seed: u64,
) -> Result<(Vec<Set>, HostCopy), String> {
    let Layout {
        padded,
        input,
        output,
        batch,
        ..
    } = layout;
    let mut sets = Vec::with_capacity(count);
    for s in 0..count {
        let host = cache.set(&layout, seed, s);
        let a = stream
            .clone_htod(&host.a)
            .map_err(|e| format!("copying A: {e}"))?;
        let bt = stream
            .clone_htod(&host.bt)
            .map_err(|e| format!("copying B: {e}"))?;
        let c = stream
            .alloc_zeros::<u8>(batch * padded.m * padded.n * output.bytes())
            .map_err(|e| format!("allocating C: {e}"))?;
        sets.push(Set { a, bt, c });
    }
    stream.synchronize().map_err(|e| e.to_string())?;
    Ok((
        sets,
        HostCopy {
            set: cache.set(&layout, seed, 0),
            storage: input,
        },
    ))
}

/// Raw device address of a slice (event tracking is off in flopmeter's contexts).
pub fn ptr(slice: &CudaSlice<u8>, stream: &CudaStream) -> u64 {
    let (p, _sync) = slice.device_ptr(stream);
    p
}

/// Raw device address of an f32 slice.
pub fn ptr_f32(slice: &CudaSlice<f32>, stream: &CudaStream) -> u64 {
    let (p, _sync) = slice.device_ptr(stream);
    p
}
