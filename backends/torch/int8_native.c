/* Fused int8 steps that PyTorch has no single CPU operator for, one pass over memory each
 * where eager PyTorch makes four. `native.py` compiles this file once with the system C
 * compiler and calls it through ctypes; each function computes exactly what the eager
 * fallback in `kernels.py` computes, rounding for rounding (so it is compiled with
 * -ffp-contract=off: a fused multiply-add would round once where eager rounds twice).
 *
 * Tensors are contiguous float32/int8/int32 buffers of `rows` x `cols`; a scale array has
 * one value per row (or per column), or one in all when its stride is 0.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>

#define QMAX 127.0f
#define FLOAT_MAGNITUDE 0x7fffffffu
#define FLOAT_INFINITY 0x7f800000u

/* Per row: the largest magnitude over 127, and 1 for a row of zeros or with a NaN.
 * Magnitudes compare as the integers of their bits, which vectorises and spots NaN. */
void int8_row_scales(const float *x, int64_t rows, int64_t cols, float *scales, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
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
        scales[r] = scale;
    }
}

/* q = clamp(round_half_even(x / scale), -127, 127), with the row's scale (stride 1) or
 * one scale for all (stride 0). */
void int8_quantize(const float *x, int64_t rows, int64_t cols, const float *scales,
                   int64_t scale_stride, int8_t *q, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        const float scale = scales[r * scale_stride];
        int8_t *out = q + r * cols;
        for (int64_t k = 0; k < cols; k++) {
            float v = rintf(row[k] / scale);
            v = v < -QMAX ? -QMAX : v;
            v = v > QMAX ? QMAX : v;
            out[k] = (int8_t)(int32_t)v;
        }
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
