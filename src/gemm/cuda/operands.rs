//! Operand sets on the GPU: A (row-major M x K), Bt (row-major N x K, i.e. B transposed: the
//! "TN" layout cuBLAS runs fastest and FP8 requires) and C (row-major M x N), random normal
//! values rounded to the dtype, with a host copy of set 0 for verification.

use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

use crate::dtype::Dtype;
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

    /// Input storage of a dtype (tf32 is stored as f32).
    pub fn input_of(d: Dtype) -> Option<Storage> {
        Some(match d {
            Dtype::F64 => Storage::F64,
            Dtype::F32 | Dtype::Tf32 => Storage::F32,
            Dtype::Bf16 => Storage::Bf16,
            Dtype::F16 => Storage::F16,
            Dtype::Fp8 => Storage::E4m3,
            Dtype::Int8 => return None,
        })
    }

    /// Rounds to this storage, returning the stored bytes and the value they hold.
    fn store(self, x: f64, out: &mut Vec<u8>) -> f64 {
        match self {
            Storage::F64 => {
                out.extend_from_slice(&x.to_le_bytes());
                x
            }
            Storage::F32 => {
                let v = x as f32;
                out.extend_from_slice(&v.to_le_bytes());
                f64::from(v)
            }
            Storage::Bf16 => {
                let v = half::bf16::from_f64(x);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
                v.to_f64()
            }
            Storage::F16 => {
                let v = half::f16::from_f64(x);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
                v.to_f64()
            }
            Storage::E4m3 => {
                let c = fp8::encode(x);
                out.push(c);
                fp8::decode(c)
            }
        }
    }

    #[cfg(test)]
    pub fn store_for_test(self, x: f64, out: &mut Vec<u8>) -> f64 {
        self.store(x, out)
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

/// One set of operands on the device.
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

/// Host copy of set 0 (values as stored), for verification.
pub struct HostCopy {
    pub a: Vec<f64>,
    pub bt: Vec<f64>,
}

/// Random operand bytes of a rows x cols matrix padded to prows x pcols with zeros.
fn matrix(
    storage: Storage,
    rows: usize,
    cols: usize,
    prows: usize,
    pcols: usize,
    seed: u64,
) -> (Vec<u8>, Vec<f64>) {
    let v = normal_f64(rows * cols, seed);
    let mut bytes = Vec::with_capacity(prows * pcols * storage.bytes());
    let mut values = vec![0.0; prows * pcols];
    for r in 0..prows {
        for c in 0..pcols {
            let x = if r < rows && c < cols {
                v[r * cols + c]
            } else {
                0.0
            };
            values[r * pcols + c] = storage.store(x, &mut bytes);
        }
    }
    (bytes, values)
}

/// Bytes one set needs.
pub fn set_bytes(p: Padded, input: Storage, output: Storage) -> u64 {
    ((p.m * p.k + p.n * p.k) * input.bytes() + p.m * p.n * output.bytes()) as u64
}

/// Allocates `count` sets and fills them.
pub fn allocate(
    stream: &Arc<CudaStream>,
    shape: Shape,
    padded: Padded,
    input: Storage,
    output: Storage,
    count: usize,
    seed: u64,
) -> Result<(Vec<Set>, HostCopy), String> {
    let mut sets = Vec::with_capacity(count);
    let mut host = None;
    for s in 0..count {
        let (a_bytes, a_vals) = matrix(
            input,
            shape.m,
            shape.k,
            padded.m,
            padded.k,
            operand_seed(seed, s, 0),
        );
        // Bt[j][p] = B[p][j]: B's columns are Bt's rows.
        let (b_bytes, b_vals) = matrix(
            input,
            shape.n,
            shape.k,
            padded.n,
            padded.k,
            operand_seed(seed, s, 1),
        );
        let a = stream
            .clone_htod(&a_bytes)
            .map_err(|e| format!("copying A: {e}"))?;
        let bt = stream
            .clone_htod(&b_bytes)
            .map_err(|e| format!("copying B: {e}"))?;
        let c = stream
            .alloc_zeros::<u8>(padded.m * padded.n * output.bytes())
            .map_err(|e| format!("allocating C: {e}"))?;
        sets.push(Set { a, bt, c });
        if s == 0 {
            host = Some(HostCopy {
                a: a_vals,
                bt: b_vals,
            });
        }
    }
    stream.synchronize().map_err(|e| e.to_string())?;
    Ok((sets, host.expect("count >= 1")))
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
