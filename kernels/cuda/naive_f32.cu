// naive_f32: one thread per output element, straight from the definition, f32 FMA.
// A is row-major M x K; B is given transposed (Bt, row-major N x K), the layout cuBLAS runs as
// "TN"; C is row-major M x N.
extern "C" __global__ void naive_f32(const float* __restrict__ A,
                                     const float* __restrict__ Bt,
                                     float* __restrict__ C,
                                     int M, int N, int K) {
    // Product blockIdx.z of a batch: its matrices follow the previous product's.
    A += (size_t)blockIdx.z * M * K;
    Bt += (size_t)blockIdx.z * N * K;
    C += (size_t)blockIdx.z * M * N;
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;
    const float* a = A + (size_t)row * K;
    const float* b = Bt + (size_t)col * K;
    float acc = 0.0f;
    for (int p = 0; p < K; ++p) acc = fmaf(a[p], b[p], acc);
    C[(size_t)row * N + col] = acc;
}
