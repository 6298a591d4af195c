// tiled_f32: a 128 x 128 tile of C per block of 16 x 16 threads, each thread an 8 x 8 register
// micro-tile; A and Bt tiles of depth 16 staged in shared memory (stored k-major so the inner
// loop reads float4s). True f32 FMA on the CUDA cores, no tensor cores.
// Layouts as in naive_f32.cu: A row-major M x K, Bt row-major N x K, C row-major M x N.
#define BM 128
#define BN 128
#define BK 16
#define TM 8
#define TN 8

extern "C" __global__ void __launch_bounds__(256)
tiled_f32(const float* __restrict__ A, const float* __restrict__ Bt, float* __restrict__ C,
          int M, int N, int K) {
    // Product blockIdx.z of a batch: its matrices follow the previous product's.
    A += (size_t)blockIdx.z * M * K;
    Bt += (size_t)blockIdx.z * N * K;
    C += (size_t)blockIdx.z * M * N;
    __shared__ __align__(16) float As[BK][BM];
    __shared__ __align__(16) float Bs[BK][BN];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int tid = ty * 16 + tx;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // 128 rows x 16 k of A and of Bt: 2048 values each, 8 per thread.
#pragma unroll
        for (int l = 0; l < 8; ++l) {
            int idx = tid + l * 256;
            int r = idx / BK, kk = idx % BK;
            int gk = k0 + kk;
            int ga = row0 + r, gb = col0 + r;
            As[kk][r] = (ga < M && gk < K) ? A[(size_t)ga * K + gk] : 0.0f;
            Bs[kk][r] = (gb < N && gk < K) ? Bt[(size_t)gb * K + gk] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[TM], b[TN];
            float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * TM]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[kk][ty * TM + 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * TN]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][tx * TN + 4]);
            a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
            a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
            b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
            b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        int r = row0 + ty * TM + i;
        if (r >= M) break;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            int c = col0 + tx * TN + j;
            if (c < N) C[(size_t)r * N + c] = acc[i][j];
        }
    }
}
