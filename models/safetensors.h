/* safetensors: the Hugging Face safetensors container — an 8-byte little-endian header length, a
 * JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the byte buffer.
 * Files from the internet are untrusted: every length, offset, shape and dtype is validated and
 * errors name the tensor. Model-agnostic; GPT-2 mapping lives with the model. */
#ifndef BIASAMP_SAFETENSORS_H
#define BIASAMP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8
#define ST_NAME_MAX 256
#define ST_HEADER_MAX (100u << 20) /* the format's own limit on the JSON header */

typedef enum { ST_F32 = 0, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I8, ST_U8, ST_BOOL } StDtype;

typedef struct StTensor {
    char name[ST_NAME_MAX];
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    uint64_t numel;
    uint64_t begin, end; /* byte offsets into the data buffer */
} StTensor;

typedef struct SafeTensors {
    StTensor *tensors; /* sorted by begin offset */
    int n;
    const uint8_t *data; /* the byte buffer (inside the mapping) */
    uint64_t data_len;
    char **meta_keys, **meta_values; /* "__metadata__" (string -> string) */
    int nmeta;
    void *map;
    size_t map_len;
} SafeTensors;

/* Size in bytes of one element of a dtype. */
size_t safetensors_dtype_size(StDtype d);
const char *safetensors_dtype_name(StDtype d);

/* Maps and validates PATH: header length within the file and ST_HEADER_MAX, header a JSON object,
 * each entry with a known dtype, a shape of non-negative dimensions, data_offsets [begin, end] with
 * end - begin = numel * dtype size, inside the buffer, no overlaps and no holes (the buffer is fully
 * indexed, as the format requires). ERR_INVAL "PATH: tensor 'NAME': ..." on any violation; ERR_IO
 * if the file cannot be read. Free with safetensors_close. */
int safetensors_open(SafeTensors **out, const char *path);
void safetensors_close(SafeTensors *st);

/* The tensor called `name`, or NULL. */
const StTensor *safetensors_find(const SafeTensors *st, const char *name);
/* The value of a "__metadata__" key, or NULL. */
const char *safetensors_meta(const SafeTensors *st, const char *key);

/* Converts a F32/F16/BF16/F64 tensor to float into dst (numel floats). ERR_INVAL for other dtypes.
 * Reports non-finite values as ERR_INVAL naming the tensor unless allow_nonfinite. */
int safetensors_read_f32(const SafeTensors *st, const StTensor *t, float *dst, int allow_nonfinite);

/* One tensor to write (F32). */
typedef struct StWriteItem {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
} StWriteItem;

/* Writes a F32 safetensors file atomically (PATH.part, fsync, rename), tensors in the given order,
 * optional metadata pairs (meta[2k] = key, meta[2k+1] = value; nmeta pairs). Names must be unique. */
int safetensors_write(const char *path, const StWriteItem *items, int n, const char *const *meta,
                      int nmeta);

/* IEEE half and bfloat16 to float (exact). */
float safetensors_f16_to_f32(uint16_t h);
float safetensors_bf16_to_f32(uint16_t b);

#endif
