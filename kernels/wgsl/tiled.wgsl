// tiled: a 128 x 128 tile of C per workgroup of 16 x 16 invocations, each computing an 8 x 8
// micro-tile held in registers. A and B tiles of depth 8 are staged in workgroup memory with
// vec4 loads; the 8 x 8 outer product is unrolled by hand into vec4 FMAs.
// Rows of A and B are padded by the host to a multiple of 4 elements (lda, ldb) with zeros, so
// a vec4 load is either wholly inside a row or wholly padding; edges of M, N and K are masked.
// A batch of products runs as one dispatch: workgroups of z compute product z, whose A, B and C
// start stride_a, stride_b and stride_c elements (multiples of 4) after product z - 1's.
// The element type line below is rewritten for f16 by the loader; accumulation is always f32.
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

@group(0) @binding(0) var<storage, read> a: array<vec4<Elem>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<Elem>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

const BM: u32 = 128u;
const BN: u32 = 128u;
const BK: u32 = 8u;

// as_[p * 32 + i / 4] holds A[row0 + i .. +4][k0 + p]: the A tile transposed, 4 rows per vec4.
var<workgroup> as_: array<vec4<f32>, 256>;
// bs[p * 32 + j / 4] holds B[k0 + p][col0 + j .. +4].
var<workgroup> bs: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16, 1)
fn main(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let tid = lid.y * 16u + lid.x;
    let row0 = wid.y * BM;
    let col0 = wid.x * BN;

    // This invocation's share of the tile loads: one vec4 of A and one of B per step.
    let a_row = tid / 2u;          // 0..127
    let a_kvec = (tid % 2u) * 4u;  // 0 or 4
    let b_krow = tid / 32u;        // 0..7
    let b_cvec = tid % 32u;        // 0..31

    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = vec4<f32>(0.0);
    }

    let lda4 = dims.lda / 4u;
    let ldb4 = dims.ldb / 4u;
    let a_off = wid.z * (dims.stride_a / 4u);
    let b_off = wid.z * (dims.stride_b / 4u);
    let c_off = wid.z * dims.stride_c;
    for (var k0 = 0u; k0 < dims.k; k0 = k0 + BK) {
        // Stage A (transposed) and B tiles; zeros outside the matrices.
        var av = vec4<f32>(0.0);
        let gr = row0 + a_row;
        let gk = k0 + a_kvec;
        if (gr < dims.m && gk < dims.lda) {
            av = vec4<f32>(a[a_off + gr * lda4 + gk / 4u]);
        }
        let slot = a_row / 4u;
        let lane = a_row % 4u;
        as_[(a_kvec + 0u) * 32u + slot][lane] = av.x;
        as_[(a_kvec + 1u) * 32u + slot][lane] = av.y;
        as_[(a_kvec + 2u) * 32u + slot][lane] = av.z;
        as_[(a_kvec + 3u) * 32u + slot][lane] = av.w;

        var bv = vec4<f32>(0.0);
        let bk = k0 + b_krow;
        let bc = col0 + b_cvec * 4u;
        if (bk < dims.k && bc < dims.ldb) {
            bv = vec4<f32>(b[b_off + bk * ldb4 + bc / 4u]);
        }
        bs[b_krow * 32u + b_cvec] = bv;
        workgroupBarrier();

        for (var p = 0u; p < BK; p = p + 1u) {
            let a0 = as_[p * 32u + lid.y * 2u];
            let a1 = as_[p * 32u + lid.y * 2u + 1u];
            let b0 = bs[p * 32u + lid.x * 2u];
            let b1 = bs[p * 32u + lid.x * 2u + 1u];
            acc[0] = fma(vec4<f32>(a0.x), b0, acc[0]);
            acc[1] = fma(vec4<f32>(a0.x), b1, acc[1]);
            acc[2] = fma(vec4<f32>(a0.y), b0, acc[2]);
            acc[3] = fma(vec4<f32>(a0.y), b1, acc[3]);
            acc[4] = fma(vec4<f32>(a0.z), b0, acc[4]);
            acc[5] = fma(vec4<f32>(a0.z), b1, acc[5]);
            acc[6] = fma(vec4<f32>(a0.w), b0, acc[6]);
            acc[7] = fma(vec4<f32>(a0.w), b1, acc[7]);
            acc[8] = fma(vec4<f32>(a1.x), b0, acc[8]);
            acc[9] = fma(vec4<f32>(a1.x), b1, acc[9]);
            acc[10] = fma(vec4<f32>(a1.y), b0, acc[10]);
            acc[11] = fma(vec4<f32>(a1.y), b1, acc[11]);
            acc[12] = fma(vec4<f32>(a1.z), b0, acc[12]);
            acc[13] = fma(vec4<f32>(a1.z), b1, acc[13]);
            acc[14] = fma(vec4<f32>(a1.w), b0, acc[14]);
            acc[15] = fma(vec4<f32>(a1.w), b1, acc[15]);
        }
        workgroupBarrier();
    }

    // Write the 8 x 8 micro-tile, masked at the edges.
    let r_base = row0 + lid.y * 8u;
    let c_base = col0 + lid.x * 8u;
    for (var i = 0u; i < 8u; i = i + 1u) {
        let r = r_base + i;
        if (r >= dims.m) {
            break;
        }
        for (var h = 0u; h < 2u; h = h + 1u) {
            let v = acc[i * 2u + h];
            for (var j = 0u; j < 4u; j = j + 1u) {
                let col = c_base + h * 4u + j;
                if (col < dims.n) {
                    c[c_off + r * dims.ldc + col] = v[j];
                }
            }
        }
    }
}
