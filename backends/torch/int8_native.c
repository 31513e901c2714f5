/* Fused int8 steps that PyTorch has no single CPU operator for, one pass over memory each
 * where eager PyTorch makes four, and (with AVX-512 VNNI) an int8 product whose epilogue
 * rescales it. `native.py` compiles this file once with the system C compiler and calls
 * it through ctypes; each function computes exactly what the eager fallback in
 * `kernels.py` computes, rounding for rounding (so it is compiled with
 * -ffp-contract=off: a fused multiply-add would round once where eager rounds twice).
 *
 * Tensors are contiguous float32/int8/int32 buffers of `rows` x `cols`; a scale array has
 * one value per row (or per column), or one in all when its stride is 0.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>

#define QMAX 127.0f
#define LANES 16 /* float32 or int32 in a 512-bit vector */
#define FLOAT_MAGNITUDE 0x7fffffffu
#define FLOAT_INFINITY 0x7f800000u

/* A row's scale: its largest magnitude over 127, and 1 for a row of zeros or with a NaN.
 * Magnitudes compare as the integers of their bits, which vectorises and spots NaN. */
static float row_scale(const float *row, int64_t cols) {
    uint32_t largest = 0;
    for (int64_t k = 0; k < cols; k++) {
        uint32_t bits;
        memcpy(&bits, row + k, sizeof bits);
        bits &= FLOAT_MAGNITUDE;
        largest = bits > largest ? bits : largest;
    }
    float scale = 1.0f;
    if (largest <= FLOAT_INFINITY) {
        float magnitude;
        memcpy(&magnitude, &largest, sizeof magnitude);
        scale = magnitude / QMAX;
        if (!(scale > 0.0f)) scale = 1.0f;
    }
    return scale;
}

/* The scale of each row. */
void int8_row_scales(const float *x, int64_t rows, int64_t cols, float *scales, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++) scales[r] = row_scale(x + r * cols, cols);
}

/* q = clamp(round_half_even(x / scale), -127, 127) for row[from, to), as eager computes it. */
static void quantize_exactly(const float *row, int64_t from, int64_t to, float scale, int8_t *out) {
    for (int64_t k = from; k < to; k++) {
        float v = rintf(row[k] / scale);
        v = v < -QMAX ? -QMAX : v;
        v = v > QMAX ? QMAX : v;
        out[k] = (int8_t)(int32_t)v;
    }
}

#if defined(__AVX512F__)
#include <immintrin.h>

/* The same, sixteen at a time, with a multiplication by 1 / scale where a division would
 * cost four times as much. Both quotients lie within 2^-13 of the true one where the
 * result is not clamped (|x / scale| < 2^12, and a reciprocal subnormal at worst), so they
 * round to the same integer unless one is within 2^-10 of a half; the sixteen are divided
 * where any is. An infinite quotient or reciprocal gives a NaN offset: divided too. */
static void quantize_row(const float *row, int64_t cols, float scale, int8_t *out) {
    const __m512 by = _mm512_set1_ps(1.0f / scale), divisor = _mm512_set1_ps(scale);
    const __m512 safe = _mm512_set1_ps(0.5f - 1.0f / 1024), low = _mm512_set1_ps(-QMAX),
                 high = _mm512_set1_ps(QMAX);
    const int nearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    int64_t k = 0;
    for (; k + LANES <= cols; k += LANES) {
        const __m512 x = _mm512_loadu_ps(row + k);
        const __m512 quotient = _mm512_mul_ps(x, by);
        __m512 v = _mm512_roundscale_ps(quotient, nearest);
        const __m512 off = _mm512_abs_ps(_mm512_sub_ps(quotient, v));
        if (_mm512_cmp_ps_mask(off, safe, _CMP_LT_OQ) != 0xffff)
            v = _mm512_roundscale_ps(_mm512_div_ps(x, divisor), nearest);
        v = _mm512_min_ps(_mm512_max_ps(v, low), high);
        _mm_storeu_si128((__m128i *)(out + k), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)));
    }
    quantize_exactly(row, k, cols, scale, out);
}
#else
static void quantize_row(const float *row, int64_t cols, float scale, int8_t *out) {
    quantize_exactly(row, 0, cols, scale, out);
}
#endif

/* q = clamp(round_half_even(x / scale), -127, 127), with the row's scale (stride 1) or
 * one scale for all (stride 0). */
void int8_quantize(const float *x, int64_t rows, int64_t cols, const float *scales,
                   int64_t scale_stride, int8_t *q, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++)
        quantize_row(x + r * cols, cols, scales[r * scale_stride], q + r * cols);
}

/* Both at once: each row's scale, then the row quantized with it while it is still in
 * the cache (one pass over memory where the two functions above make two). */
void int8_quantize_rows(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scales,
                        int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        scales[r] = row_scale(x + r * cols, cols);
        quantize_row(x + r * cols, cols, scales[r], q + r * cols);
    }
}

/* y = float(acc) * row_scale * column_scale (+ bias), rounded after each step. */
void int8_rescale(const int32_t *acc, int64_t rows, int64_t cols, const float *row_scales,
                  int64_t row_stride, const float *column_scales, int64_t column_stride,
                  const float *bias, float *y, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const int32_t *in = acc + r * cols;
        const float scale = row_scales[r * row_stride];
        float *out = y + r * cols;
        if (column_stride == 0) {
            const float column = column_scales[0];
            for (int64_t c = 0; c < cols; c++) out[c] = ((float)in[c] * scale) * column;
        } else {
            for (int64_t c = 0; c < cols; c++) out[c] = ((float)in[c] * scale) * column_scales[c];
        }
        if (bias != NULL) {
            for (int64_t c = 0; c < cols; c++) out[c] = out[c] + bias[c];
        }
    }
}

/* ---- The int8 product with the rescale as its epilogue (AVX-512 VNNI only) ----------------
 *
 * y = float(a @ b) * row_scale * column_scale (+ bias), for int8 `a` [m, k] and `b` [k, n],
 * rounded as int8_rescale rounds: the int32 product never goes through memory. Where the
 * CPU lacks VNNI these functions are not compiled, and `native.py` uses torch._int_mm and
 * int8_rescale instead.
 *
 * VPDPBUSD multiplies unsigned by signed bytes, so `a` is read as a + 128 (unsigned) and
 * 128 * (column sum of b) is subtracted from each sum: exact, as every step is an integer
 * one. `b` is packed once per weight into panels of NR columns: for each group of four
 * k, 4 x NR bytes, so that one 64-byte load gives 16 columns x 4 k, followed by the
 * panel's NR int32 column corrections. A tile of MR rows x NR columns keeps its 24
 * accumulators in registers; k is padded to a multiple of 4 with zeros in `b`.
 */
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <stdlib.h>

#define NR 64 /* columns per panel: four vectors of 16 int32 */
#define MR 6  /* rows per tile: 6 x 4 accumulators, registers to spare for b and a */
#define UNSIGNED_SHIFT 128

static int64_t k_groups(int64_t k) { return (k + 3) / 4; }
static int64_t panel_count(int64_t n) { return (n + NR - 1) / NR; }
static int64_t panel_bytes(int64_t k) {
    return k_groups(k) * 4 * NR + NR * (int64_t)sizeof(int32_t);
}

/* The size of `b` packed. */
int64_t int8_packed_bytes(int64_t k, int64_t n) { return panel_count(n) * panel_bytes(k); }

/* Packs b, read as b[row * k_stride + col * n_stride], for int8_gemm. */
void int8_pack(const int8_t *b, int64_t k, int64_t n, int64_t k_stride, int64_t n_stride,
               int8_t *packed, int threads) {
    const int64_t groups = k_groups(k);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t p = 0; p < panel_count(n); p++) {
        int8_t *panel = packed + p * panel_bytes(k);
        int32_t corrections[NR];
        for (int64_t c = 0; c < NR; c++) {
            const int64_t col = p * NR + c;
            int32_t sum = 0;
            for (int64_t row = 0; row < groups * 4; row++) {
                const int8_t v = col < n && row < k ? b[row * k_stride + col * n_stride] : 0;
                panel[(row / 4) * 4 * NR + c * 4 + row % 4] = v;
                sum += v;
            }
            corrections[c] = UNSIGNED_SHIFT * sum;
        }
        memcpy(panel + groups * 4 * NR, corrections, sizeof corrections);
    }
}

/* One row's four accumulators, their update by one group of four k, their spill. */
#define TILE_ROW(i) __m512i c##i##0 = _mm512_setzero_si512(), c##i##1 = c##i##0, \
    c##i##2 = c##i##0, c##i##3 = c##i##0;
#define TILE_STEP(i) { \
    int32_t word; \
    memcpy(&word, a + (i) * a_stride + g * 4, sizeof word); \
    const __m512i av = _mm512_set1_epi32(word); \
    c##i##0 = _mm512_dpbusd_epi32(c##i##0, av, b0); \
    c##i##1 = _mm512_dpbusd_epi32(c##i##1, av, b1); \
    c##i##2 = _mm512_dpbusd_epi32(c##i##2, av, b2); \
    c##i##3 = _mm512_dpbusd_epi32(c##i##3, av, b3); }
#define TILE_SAVE(i) acc[i][0] = c##i##0; acc[i][1] = c##i##1; acc[i][2] = c##i##2; \
    acc[i][3] = c##i##3;

/* The scales and bias of one tile's columns, read under `mask`. */
typedef struct {
    const float *row_scales, *column_scales, *bias;
    int64_t row_stride, column_stride;
} Epilogue;

/* Rows [0, rows) x columns [0, cols) of y from MR rows of unsigned `a` and one panel: the
 * accumulators stay in named registers (GCC spills an array of them to the stack). */
static void tile(const uint8_t *a, int64_t a_stride, int64_t groups, const int8_t *panel,
                 int64_t rows, int64_t cols, Epilogue e, float *y, int64_t y_stride) {
    TILE_ROW(0) TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4) TILE_ROW(5)
    for (int64_t g = 0; g < groups; g++) {
        const int8_t *bp = panel + g * 4 * NR;
        const __m512i b0 = _mm512_loadu_si512(bp), b1 = _mm512_loadu_si512(bp + 64),
                      b2 = _mm512_loadu_si512(bp + 128), b3 = _mm512_loadu_si512(bp + 192);
        TILE_STEP(0) TILE_STEP(1) TILE_STEP(2) TILE_STEP(3) TILE_STEP(4) TILE_STEP(5)
    }
    __m512i acc[MR][4];
    TILE_SAVE(0) TILE_SAVE(1) TILE_SAVE(2) TILE_SAVE(3) TILE_SAVE(4) TILE_SAVE(5)
    const int32_t *corrections = (const int32_t *)(panel + groups * 4 * NR);
    for (int64_t j = 0; j < 4 && j * LANES < cols; j++) {
        const int64_t left = cols - j * LANES;
        const __mmask16 mask = left >= LANES ? 0xffff : (__mmask16)((1u << left) - 1);
        const __m512i correction = _mm512_loadu_si512(corrections + j * LANES);
        const __m512 column = e.column_stride == 0
            ? _mm512_set1_ps(e.column_scales[0])
            : _mm512_maskz_loadu_ps(mask, e.column_scales + j * LANES);
        const __m512 bias = e.bias != NULL ? _mm512_maskz_loadu_ps(mask, e.bias + j * LANES)
                                           : _mm512_setzero_ps();
        for (int64_t i = 0; i < rows; i++) {
            __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][j], correction));
            v = _mm512_mul_ps(v, _mm512_set1_ps(e.row_scales[i * e.row_stride]));
            v = _mm512_mul_ps(v, column);
            if (e.bias != NULL) v = _mm512_add_ps(v, bias);
            _mm512_mask_storeu_ps(y + i * y_stride + j * LANES, mask, v);
        }
    }
}

/* y [m, n] from contiguous int8 `a` [m, k] and `b` packed by int8_pack; scales and bias as
 * int8_rescale takes them. Returns 0, or -1 when scratch memory is not to be had. */
int int8_gemm(const int8_t *a, int64_t m, int64_t k, const int8_t *packed, int64_t n,
              const float *row_scales, int64_t row_stride, const float *column_scales,
              int64_t column_stride, const float *bias, float *y, int threads) {
    const int64_t groups = k_groups(k), width = groups * 4;
    const int64_t padded_rows = (m + MR - 1) / MR * MR;
    /* `a` as unsigned; rows padded to whole tiles, and k to whole groups, with 128 (a zero). */
    uint8_t *shifted = malloc((size_t)(padded_rows * width));
    if (shifted == NULL) return -1;
    memset(shifted, UNSIGNED_SHIFT, (size_t)(padded_rows * width));
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < m; r++)
            for (int64_t c = 0; c < k; c++)
                shifted[r * width + c] = (uint8_t)(a[r * k + c] + UNSIGNED_SHIFT);
#pragma omp for schedule(static)
        for (int64_t p = 0; p < panel_count(n); p++) {
            const int64_t c0 = p * NR, cols = n - c0 < NR ? n - c0 : NR;
            Epilogue e = {row_scales, column_scales + c0 * column_stride,
                          bias == NULL ? NULL : bias + c0, row_stride, column_stride};
            for (int64_t r = 0; r < m; r += MR) {
                e.row_scales = row_scales + r * row_stride;
                tile(shifted + r * width, width, groups, packed + p * panel_bytes(k),
                     m - r < MR ? m - r : MR, cols, e, y + r * n + c0, n);
            }
        }
    }
    free(shifted);
    return 0;
}
#endif
