// mma_bf16: tensor cores through inline PTX mma.sync.m16n8k16 (bf16 in, f32 accumulate), so it
// compiles with NVRTC alone (no CUDA headers). A block of 4 warps computes a 64 x 64 tile of C;
// each warp a 32 x 32 quarter as 2 x 4 mma tiles. A and Bt tiles of depth 32 are staged in
// shared memory with 16-byte loads. Needs sm_80+.
// Layouts: A row-major M x K, Bt row-major N x K (bf16 bits as unsigned short), C row-major
// M x N f32. M and N must be multiples of 64 and K of 32: the host pads with zeros.
#define BM 64
#define BN 64
#define BK 32
#define PAD 8  // bf16 elements of padding per shared row, against bank conflicts

typedef unsigned short bf16_t;

extern "C" __global__ void __launch_bounds__(128)
mma_bf16(const bf16_t* __restrict__ A, const bf16_t* __restrict__ Bt, float* __restrict__ C,
         int M, int N, int K) {
    // Product blockIdx.z of a batch: its matrices follow the previous product's.
    A += (size_t)blockIdx.z * M * K;
    Bt += (size_t)blockIdx.z * N * K;
    C += (size_t)blockIdx.z * M * N;
    __shared__ __align__(16) bf16_t As[BM][BK + PAD];
    __shared__ __align__(16) bf16_t Bs[BN][BK + PAD];
    const int tid = threadIdx.x;
    const int warp = tid / 32, lane = tid % 32;
    const int group = lane >> 2, tig = lane & 3;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;  // warp's quarter of the tile

    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // 64 rows x 32 bf16 = 256 chunks of 16 bytes per operand: 2 per thread.
#pragma unroll
        for (int l = 0; l < 2; ++l) {
            int chunk = tid + l * 128;
            int r = chunk / 4, c = (chunk % 4) * 8;
            *reinterpret_cast<uint4*>(&As[r][c]) =
                *reinterpret_cast<const uint4*>(&A[(size_t)(row0 + r) * K + k0 + c]);
            *reinterpret_cast<uint4*>(&Bs[r][c]) =
                *reinterpret_cast<const uint4*>(&Bt[(size_t)(col0 + r) * K + k0 + c]);
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[2][4], b[4][2];
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                int r = wm + i * 16 + group;
                a[i][0] = *reinterpret_cast<const unsigned*>(&As[r][kk + tig * 2]);
                a[i][1] = *reinterpret_cast<const unsigned*>(&As[r + 8][kk + tig * 2]);
                a[i][2] = *reinterpret_cast<const unsigned*>(&As[r][kk + tig * 2 + 8]);
                a[i][3] = *reinterpret_cast<const unsigned*>(&As[r + 8][kk + tig * 2 + 8]);
            }
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                int n = wn + j * 8 + group;
                b[j][0] = *reinterpret_cast<const unsigned*>(&Bs[n][kk + tig * 2]);
                b[j][1] = *reinterpret_cast<const unsigned*>(&Bs[n][kk + tig * 2 + 8]);
            }
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j)
                    asm volatile(
                        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                        : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
                        : "r"(a[i][0]), "r"(a[i][1]), "r"(a[i][2]), "r"(a[i][3]),
                          "r"(b[j][0]), "r"(b[j][1]));
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            int r = row0 + wm + i * 16 + group;
            int c = col0 + wn + j * 8 + tig * 2;
            C[(size_t)r * N + c] = acc[i][j][0];
            C[(size_t)r * N + c + 1] = acc[i][j][1];
            C[(size_t)(r + 8) * N + c] = acc[i][j][2];
            C[(size_t)(r + 8) * N + c + 1] = acc[i][j][3];
        }
}
