// fingerprint_bytes: the digest of a result C, computed where C lives (src/gemm/fingerprint.rs
// has the same function on the host): the wrapping sum over C's 32-bit little-endian words w_i
// (the tail padded with zeros) of mix(i, w_i), splitmix64's finalizer of i * golden + w. The sum
// is order-free, so each thread adds its words, each warp adds its threads' sums, and one
// integer atomicAdd per warp adds that into *out: the same number in any order.
__device__ __forceinline__ unsigned long long mix(unsigned long long i, unsigned int w) {
    unsigned long long z = i * 0x9E3779B97F4A7C15ull + (unsigned long long)w;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

extern "C" __global__ void fingerprint_bytes(const unsigned char* __restrict__ c,
                                             unsigned long long n_bytes,
                                             unsigned long long* __restrict__ out) {
    const unsigned long long words = (n_bytes + 3) / 4;
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    unsigned long long sum = 0;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         i < words; i += stride) {
        unsigned int w = 0;
        if (4 * i + 4 <= n_bytes) {
            // cuMemAlloc's allocations are 256-byte aligned: whole words are aligned loads.
            w = reinterpret_cast<const unsigned int*>(c)[i];
        } else {
            for (unsigned long long b = 0; 4 * i + b < n_bytes; ++b) {
                w |= (unsigned int)c[4 * i + b] << (8 * b);
            }
        }
        sum += mix(i, w);
    }
    // Every thread of the block reaches this point (blockDim.x is a multiple of 32).
    for (int offset = 16; offset > 0; offset >>= 1) {
        sum += __shfl_down_sync(0xffffffffu, sum, offset);
    }
    if ((threadIdx.x & 31) == 0) {
        atomicAdd(out, sum);
    }
}
