// naive: one invocation per output element, straight from the definition of C = A B.
// The baseline anyone can read. Row-major A (M x K, row stride lda), B (K x N, row stride ldb),
// C (M x N, row stride ldc). A batch of products runs as one dispatch: invocation z computes
// product z, whose A, B and C start stride_a, stride_b and stride_c elements after product
// z - 1's. The element type line below is rewritten for f16 by the loader; products are
// accumulated in f32 whatever the input type.
alias Elem = f32;

struct Dims {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    stride_a: u32,
    stride_b: u32,
    stride_c: u32,
}

@group(0) @binding(0) var<storage, read> a: array<Elem>;
@group(0) @binding(1) var<storage, read> b: array<Elem>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= dims.m || col >= dims.n) {
        return;
    }
    let a0 = gid.z * dims.stride_a + row * dims.lda;
    let b0 = gid.z * dims.stride_b + col;
    var acc = 0.0;
    for (var p = 0u; p < dims.k; p = p + 1u) {
        acc = fma(f32(a[a0 + p]), f32(b[b0 + p * dims.ldb]), acc);
    }
    c[gid.z * dims.stride_c + row * dims.ldc + col] = acc;
}
