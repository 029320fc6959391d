/*===- lq_bundle_runtime.c - Loading and launching an emitted bundle -*- C -*-===*
 *
 * The runtime compiled into every bundle library beside the generated
 * lq_kernels_table.c (lq_bundle_internal.h): the public API of lq_bundle.h,
 * a safetensors reader that checks the weights file against the tables, and
 * for cuda the driver calls that load the kernel image and launch it.
 *
 * It is compiled by the system C compiler when the bundle is emitted and is
 * loaded into other processes (C programs, Python through ctypes), hence
 * plain C11 with only libc, libdl and pthreads; no global constructors, no
 * exit or printing: every failure is an error code and a per-thread message.
 * libcuda is opened at run time (dlopen) and its few types are declared
 * here, so the library builds without the CUDA toolkit and a machine without
 * a driver gets LQ_ERR_DEVICE rather than a loader error. LQ_CUDA_DRIVER
 * names another driver library than libcuda.so.1, as for lib/Runtime.
 *
 * The weights file is untrusted input: every length and offset in it is
 * checked before use and nothing outside the file is read.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L

#include "lq_bundle_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/*===----------------------------------------------------------------------===*
 * Errors
 *===----------------------------------------------------------------------===*/

static _Thread_local char lq_error[1024];

int lq__fail(int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(lq_error, sizeof lq_error, format, args);
  va_end(args);
  return code;
}

const char *lq_last_error(void) { return lq_error; }

/* strerror is not thread-safe; the POSIX strerror_r is (_POSIX_C_SOURCE
 * above selects it over the GNU one). */
static const char *errno_text(int error, char *buffer, size_t size) {
  if (strerror_r(error, buffer, size) != 0)
    snprintf(buffer, size, "error %d", error);
  return buffer;
}

/* "[384, 48]" */
static const char *shape_text(const int64_t *shape, int rank, char *buffer, size_t size) {
  size_t used = 0;
  buffer[0] = '\0';
  used += (size_t)snprintf(buffer, size, "[");
  for (int i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buffer + used, size - used, "%s%lld", i ? ", " : "",
                             (long long)shape[i]);
  if (used < size)
    snprintf(buffer + used, size - used, "]");
  return buffer;
}

/*===----------------------------------------------------------------------===*
 * JSON (the safetensors header)
 *===----------------------------------------------------------------------===*/

/* Nesting deeper than this is rejected rather than recursed into: the
 * header is at most a few levels deep and recursion depth is stack. */
#define LQ_JSON_MAX_DEPTH 64
/* Tensors of higher rank than this are rejected (safetensors has no limit;
 * no model weight comes close). */
#define LQ_ST_MAX_RANK 16
/* The header size the reference safetensors implementation accepts. */
#define LQ_ST_MAX_HEADER (100u * 1024u * 1024u)

typedef struct {
  const char *begin, *p, *end;
  const char *path;
  int failed; /* the error code once one is set */
} json_reader;

static int json_error(json_reader *j, const char *what) {
  if (!j->failed)
    j->failed = lq__fail(LQ_ERR_FORMAT, "%s: invalid safetensors header: %s at header byte %lld",
                         j->path, what, (long long)(j->p - j->begin));
  return 0;
}

static void json_space(json_reader *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    ++j->p;
}

/* Consumes `c` after whitespace. */
static int json_expect(json_reader *j, char c, const char *what) {
  json_space(j);
  if (j->p >= j->end || *j->p != c)
    return json_error(j, what);
  ++j->p;
  return 1;
}

static int json_peek(json_reader *j, char c) {
  json_space(j);
  return j->p < j->end && *j->p == c;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits of a \u escape at j->p. */
static int json_hex4(json_reader *j, unsigned *out) {
  if (j->end - j->p < 4)
    return json_error(j, "a truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    int d = hex_digit(j->p[i]);
    if (d < 0)
      return json_error(j, "a bad \\u escape");
    v = v * 16 + (unsigned)d;
  }
  j->p += 4;
  *out = v;
  return 1;
}

/* A string, decoded to UTF-8 into a malloc'd buffer (*out, or dropped when
 * out is NULL). The decoded text is never longer than the escaped text, so
 * the buffer is sized by the raw length. NUL characters are rejected: the
 * names are compared as C strings. */
static int json_string(json_reader *j, char **out) {
  if (!json_expect(j, '"', "expected a string"))
    return 0;
  const char *raw = j->p;
  while (raw < j->end && *raw != '"')
    raw += (*raw == '\\' && raw + 1 < j->end) ? 2 : 1;
  if (raw >= j->end)
    return json_error(j, "an unterminated string");
  char *text = malloc((size_t)(raw - j->p) + 1);
  if (!text) {
    j->failed = lq__fail(LQ_ERR_MEMORY, "out of memory reading %s", j->path);
    return 0;
  }
  size_t n = 0;
  while (*j->p != '"') {
    unsigned char c = (unsigned char)*j->p++;
    if (c < 0x20) {
      --j->p;
      free(text);
      return json_error(j, "a control character in a string");
    }
    if (c != '\\') {
      text[n++] = (char)c;
      continue;
    }
    char e = *j->p++; /* the scan above saw a character after each '\\' */
    unsigned cp;
    switch (e) {
    case '"': text[n++] = '"'; continue;
    case '\\': text[n++] = '\\'; continue;
    case '/': text[n++] = '/'; continue;
    case 'b': text[n++] = '\b'; continue;
    case 'f': text[n++] = '\f'; continue;
    case 'n': text[n++] = '\n'; continue;
    case 'r': text[n++] = '\r'; continue;
    case 't': text[n++] = '\t'; continue;
    case 'u': break;
    default:
      --j->p;
      free(text);
      return json_error(j, "a bad escape in a string");
    }
    if (!json_hex4(j, &cp)) {
      free(text);
      return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low;
      if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
        free(text);
        return json_error(j, "a lone surrogate in a string");
      }
      j->p += 2;
      if (!json_hex4(j, &low)) {
        free(text);
        return 0;
      }
      if (low < 0xDC00 || low > 0xDFFF) {
        free(text);
        return json_error(j, "a lone surrogate in a string");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      free(text);
      return json_error(j, "a lone surrogate in a string");
    } else if (cp == 0) {
      free(text);
      return json_error(j, "a NUL character in a string");
    }
    /* 6 (or 12) escaped characters become at most 3 (or 4) bytes. */
    if (cp < 0x80) {
      text[n++] = (char)cp;
    } else if (cp < 0x800) {
      text[n++] = (char)(0xC0 | (cp >> 6));
      text[n++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      text[n++] = (char)(0xE0 | (cp >> 12));
      text[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      text[n++] = (char)(0x80 | (cp & 0x3F));
    } else {
      text[n++] = (char)(0xF0 | (cp >> 18));
      text[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      text[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      text[n++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  ++j->p; /* the closing quote */
  text[n] = '\0';
  if (out)
    *out = text;
  else
    free(text);
  return 1;
}

/* A number, by JSON's grammar. With `value`, it must be an integer in
 * 0..INT64_MAX (a shape or an offset), stored there. */
static int json_number(json_reader *j, int64_t *value) {
  json_space(j);
  const char *start = j->p;
  int integer = 1, negative = 0;
  uint64_t v = 0;
  int overflow = 0;
  if (j->p < j->end && *j->p == '-') {
    negative = 1;
    ++j->p;
  }
  if (j->p >= j->end || *j->p < '0' || *j->p > '9')
    return json_error(j, "a bad number");
  if (*j->p == '0') {
    ++j->p;
  } else {
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
      unsigned d = (unsigned)(*j->p++ - '0');
      if (v > ((uint64_t)INT64_MAX - d) / 10)
        overflow = 1;
      else
        v = v * 10 + d;
    }
  }
  if (j->p < j->end && *j->p == '.') {
    integer = 0;
    ++j->p;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
      return json_error(j, "a bad number");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
      ++j->p;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    integer = 0;
    ++j->p;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
      ++j->p;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
      return json_error(j, "a bad number");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
      ++j->p;
  }
  if (!value)
    return 1;
  if (!integer || negative || overflow) {
    j->p = start;
    return json_error(j, "expected an integer in 0..2^63-1");
  }
  *value = (int64_t)v;
  return 1;
}

static int json_literal(json_reader *j, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
    return json_error(j, "an unexpected character");
  j->p += n;
  return 1;
}

/* Any value, checked and dropped. */
static int json_skip(json_reader *j, int depth) {
  if (depth > LQ_JSON_MAX_DEPTH)
    return json_error(j, "nesting too deep");
  json_space(j);
  if (j->p >= j->end)
    return json_error(j, "expected a value");
  switch (*j->p) {
  case '"':
    return json_string(j, NULL);
  case 't':
    return json_literal(j, "true");
  case 'f':
    return json_literal(j, "false");
  case 'n':
    return json_literal(j, "null");
  case '[':
    ++j->p;
    if (json_peek(j, ']')) {
      ++j->p;
      return 1;
    }
    do {
      if (!json_skip(j, depth + 1))
        return 0;
    } while (json_peek(j, ',') && ++j->p);
    return json_expect(j, ']', "expected ',' or ']'");
  case '{':
    ++j->p;
    if (json_peek(j, '}')) {
      ++j->p;
      return 1;
    }
    do {
      if (!json_string(j, NULL) || !json_expect(j, ':', "expected ':'") ||
          !json_skip(j, depth + 1))
        return 0;
    } while (json_peek(j, ',') && ++j->p);
    return json_expect(j, '}', "expected ',' or '}'");
  default:
    return json_number(j, NULL);
  }
}

/*===----------------------------------------------------------------------===*
 * safetensors
 *===----------------------------------------------------------------------===*/

typedef struct {
  char *name;
  char *dtype;
  int rank;
  int64_t shape[LQ_ST_MAX_RANK];
  int64_t begin, end; /* data_offsets, relative to the data section */
} st_entry;

typedef struct {
  const char *path;
  unsigned char *map;
  size_t size;
  const unsigned char *data; /* the data section, after the header */
  int64_t data_size;
  st_entry *entries; /* sorted by name */
  size_t count, capacity;
} st_file;

static int64_t dtype_size(const char *dtype) {
  static const struct {
    const char *name;
    int size;
  } sizes[] = {{"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
               {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
               {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i)
    if (strcmp(dtype, sizes[i].name) == 0)
      return sizes[i].size;
  return 0;
}

/* product(shape) * element size, or -1 on overflow. */
static int64_t tensor_bytes(const int64_t *shape, int rank, int64_t element) {
  int64_t bytes = element;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] != 0 && bytes > INT64_MAX / shape[i])
      return -1;
    bytes *= shape[i];
  }
  return bytes;
}

static void st_close(st_file *f) {
  for (size_t i = 0; i < f->count; ++i) {
    free(f->entries[i].name);
    free(f->entries[i].dtype);
  }
  free(f->entries);
  if (f->map)
    munmap(f->map, f->size);
  memset(f, 0, sizeof *f);
}

/* {"dtype": str, "shape": [ints], "data_offsets": [begin, end]} for `e`. */
static int st_entry_info(json_reader *j, st_entry *e) {
  int have_dtype = 0, have_shape = 0, have_offsets = 0;
  if (!json_expect(j, '{', "expected a tensor's object"))
    return 0;
  if (json_peek(j, '}'))
    return json_error(j, "a tensor without dtype, shape and data_offsets");
  do {
    char *key = NULL;
    if (!json_string(j, &key))
      return 0;
    int ok = json_expect(j, ':', "expected ':'");
    if (ok && strcmp(key, "dtype") == 0) {
      ok = !have_dtype ? json_string(j, &e->dtype) : json_error(j, "a second dtype");
      have_dtype = 1;
    } else if (ok && strcmp(key, "shape") == 0) {
      if (have_shape)
        ok = json_error(j, "a second shape");
      have_shape = 1;
      ok = ok && json_expect(j, '[', "expected the shape's '['");
      if (ok && json_peek(j, ']')) {
        ++j->p;
      } else if (ok) {
        do {
          if (e->rank == LQ_ST_MAX_RANK) {
            ok = json_error(j, "a shape of too high a rank");
            break;
          }
          ok = json_number(j, &e->shape[e->rank++]);
        } while (ok && json_peek(j, ',') && ++j->p);
        ok = ok && json_expect(j, ']', "expected ',' or ']' in a shape");
      }
    } else if (ok && strcmp(key, "data_offsets") == 0) {
      if (have_offsets)
        ok = json_error(j, "second data_offsets");
      have_offsets = 1;
      ok = ok && json_expect(j, '[', "expected the data_offsets' '['") &&
           json_number(j, &e->begin) && json_expect(j, ',', "expected two data_offsets") &&
           json_number(j, &e->end) && json_expect(j, ']', "expected two data_offsets");
    } else if (ok) {
      ok = json_skip(j, 2); /* a key of a later format version */
    }
    free(key);
    if (!ok)
      return 0;
  } while (json_peek(j, ',') && ++j->p);
  if (!json_expect(j, '}', "expected ',' or '}'"))
    return 0;
  if (!have_dtype || !have_shape || !have_offsets)
    return json_error(j, "a tensor without dtype, shape and data_offsets");
  return 1;
}

static int st_compare(const void *a, const void *b) {
  return strcmp(((const st_entry *)a)->name, ((const st_entry *)b)->name);
}

static int st_compare_name(const void *name, const void *entry) {
  return strcmp((const char *)name, ((const st_entry *)entry)->name);
}

static const st_entry *st_find(const st_file *f, const char *name) {
  return f->count ? bsearch(name, f->entries, f->count, sizeof *f->entries, st_compare_name)
                  : NULL;
}

/* Checks an entry against the data section. */
static int st_check(const st_file *f, const st_entry *e) {
  int64_t element = dtype_size(e->dtype);
  if (!element)
    return lq__fail(LQ_ERR_FORMAT, "%s: tensor %s has an unknown dtype '%s'", f->path, e->name,
                    e->dtype);
  char shape[256];
  shape_text(e->shape, e->rank, shape, sizeof shape);
  int64_t bytes = tensor_bytes(e->shape, e->rank, element);
  if (bytes < 0)
    return lq__fail(LQ_ERR_FORMAT, "%s: tensor %s has a shape %s too large to address",
                    f->path, e->name, shape);
  if (e->begin > e->end)
    return lq__fail(LQ_ERR_FORMAT, "%s: tensor %s has data_offsets [%lld, %lld] that end before "
                    "they begin", f->path, e->name, (long long)e->begin, (long long)e->end);
  if (e->end > f->data_size)
    return lq__fail(LQ_ERR_FORMAT,
                    "%s: tensor %s has data_offsets [%lld, %lld] outside the %lld bytes of data",
                    f->path, e->name, (long long)e->begin, (long long)e->end,
                    (long long)f->data_size);
  if (e->end - e->begin != bytes)
    return lq__fail(LQ_ERR_FORMAT,
                    "%s: tensor %s has %lld bytes of data, but %s %s takes %lld", f->path,
                    e->name, (long long)(e->end - e->begin), e->dtype, shape, (long long)bytes);
  return LQ_OK;
}

/* Maps `path` and parses and checks its header. */
static int st_open(const char *path, st_file *f) {
  char text[128];
  memset(f, 0, sizeof *f);
  f->path = path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return lq__fail(LQ_ERR_IO, "cannot open %s: %s", path, errno_text(errno, text, sizeof text));
  struct stat st;
  int failed = fstat(fd, &st) != 0;
  if (failed || !S_ISREG(st.st_mode)) {
    int error = failed ? errno : 0;
    close(fd);
    return lq__fail(LQ_ERR_IO, "cannot read %s: %s", path,
                    error ? errno_text(error, text, sizeof text) : "not a regular file");
  }
  if (st.st_size < 8) {
    close(fd);
    return lq__fail(LQ_ERR_FORMAT, "%s: the file is %lld bytes, too short for a safetensors header",
                    path, (long long)st.st_size);
  }
  if ((uint64_t)st.st_size > SIZE_MAX) {
    close(fd);
    return lq__fail(LQ_ERR_IO, "%s is too large to map", path);
  }
  f->size = (size_t)st.st_size;
  void *map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
  int error = errno;
  close(fd);
  if (map == MAP_FAILED) {
    f->size = 0;
    return lq__fail(LQ_ERR_IO, "cannot map %s: %s", path, errno_text(error, text, sizeof text));
  }
  f->map = map;

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = n << 8 | f->map[i];
  if (n > f->size - 8 || n > LQ_ST_MAX_HEADER) {
    if (n > f->size - 8)
      lq__fail(LQ_ERR_FORMAT, "%s: the header length %llu exceeds the %llu bytes after it", path,
               (unsigned long long)n, (unsigned long long)(f->size - 8));
    else
      lq__fail(LQ_ERR_FORMAT, "%s: the header length %llu exceeds the limit of %u bytes", path,
               (unsigned long long)n, LQ_ST_MAX_HEADER);
    st_close(f);
    return LQ_ERR_FORMAT;
  }
  f->data = f->map + 8 + n;
  f->data_size = (int64_t)(f->size - 8 - n);

  json_reader j = {(const char *)f->map + 8, (const char *)f->map + 8, (const char *)f->data,
                   path, 0};
  int ok = json_expect(&j, '{', "expected '{'");
  if (ok && json_peek(&j, '}')) {
    ++j.p;
  } else if (ok) {
    do {
      char *name = NULL;
      ok = json_string(&j, &name) && json_expect(&j, ':', "expected ':'");
      if (ok && strcmp(name, "__metadata__") == 0) {
        /* {str: str}, checked and skipped. */
        ok = json_expect(&j, '{', "expected the __metadata__ object");
        if (ok && json_peek(&j, '}')) {
          ++j.p;
        } else if (ok) {
          do {
            ok = json_string(&j, NULL) && json_expect(&j, ':', "expected ':'") &&
                 json_string(&j, NULL);
          } while (ok && json_peek(&j, ',') && ++j.p);
          ok = ok && json_expect(&j, '}', "expected ',' or '}'");
        }
        free(name);
      } else if (ok) {
        if (f->count == f->capacity) {
          size_t capacity = f->capacity ? 2 * f->capacity : 16;
          st_entry *grown = realloc(f->entries, capacity * sizeof *grown);
          if (!grown) {
            free(name);
            st_close(f);
            return lq__fail(LQ_ERR_MEMORY, "out of memory reading %s", path);
          }
          f->entries = grown;
          f->capacity = capacity;
        }
        st_entry *e = &f->entries[f->count++];
        memset(e, 0, sizeof *e);
        e->name = name;
        ok = st_entry_info(&j, e);
      } else {
        free(name);
      }
    } while (ok && json_peek(&j, ',') && ++j.p);
    ok = ok && json_expect(&j, '}', "expected ',' or '}'");
  }
  /* The header may be padded with spaces, and nothing else. */
  if (ok) {
    json_space(&j);
    if (j.p != j.end)
      ok = json_error(&j, "text after the header object");
  }
  if (!ok) {
    st_close(f);
    return j.failed ? j.failed : LQ_ERR_FORMAT;
  }
  if (f->count)
    qsort(f->entries, f->count, sizeof *f->entries, st_compare);
  for (size_t i = 0; i < f->count; ++i) {
    if (i && strcmp(f->entries[i - 1].name, f->entries[i].name) == 0) {
      lq__fail(LQ_ERR_FORMAT, "%s: tensor %s appears twice", path, f->entries[i].name);
      st_close(f);
      return LQ_ERR_FORMAT;
    }
    int code = st_check(f, &f->entries[i]);
    if (code != LQ_OK) {
      st_close(f);
      return code;
    }
  }
  return LQ_OK;
}

/* The file's tensor `spec` (present, same dtype, shape and size), or
 * LQ_ERR_MISMATCH. */
static int st_match(const st_file *f, const lq_tensor_spec *spec, const st_entry **out) {
  char expected[256], found[256];
  shape_text(spec->shape, spec->rank, expected, sizeof expected);
  const st_entry *e = st_find(f, spec->name);
  if (!e)
    return lq__fail(LQ_ERR_MISMATCH, "%s has no tensor %s (the library expects %s %s)", f->path,
                    spec->name, spec->dtype, expected);
  int same = strcmp(e->dtype, spec->dtype) == 0 && e->rank == spec->rank &&
             e->end - e->begin == spec->bytes;
  for (int i = 0; same && i < e->rank; ++i)
    same = e->shape[i] == spec->shape[i];
  if (!same)
    return lq__fail(LQ_ERR_MISMATCH,
                    "%s: tensor %s is %s %s (%lld bytes), but the library expects %s %s "
                    "(%lld bytes)",
                    f->path, spec->name, e->dtype, shape_text(e->shape, e->rank, found, sizeof found),
                    (long long)(e->end - e->begin), spec->dtype, expected, (long long)spec->bytes);
  *out = e;
  return LQ_OK;
}

/* lq_tensors: a safetensors file on its own. */
struct lq_tensors {
  st_file file;
  char *path; /* st_file.path points here */
};

int lq_tensors_open(const char *path, lq_tensors **out) {
  if (!out)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_tensors_open: out is NULL");
  *out = NULL;
  if (!path)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_tensors_open: path is NULL");
  lq_tensors *t = calloc(1, sizeof *t);
  char *copy = t ? strdup(path) : NULL;
  if (!copy) {
    free(t);
    return lq__fail(LQ_ERR_MEMORY, "out of memory opening %s", path);
  }
  t->path = copy;
  int code = st_open(t->path, &t->file);
  if (code != LQ_OK) {
    free(t->path);
    free(t);
    return code;
  }
  t->file.path = t->path;
  *out = t;
  return LQ_OK;
}

void lq_tensors_close(lq_tensors *tensors) {
  if (!tensors)
    return;
  st_close(&tensors->file);
  free(tensors->path);
  free(tensors);
}

int lq_tensors_get(const lq_tensors *tensors, const char *name, const char *dtype,
                   const void **data, int64_t *bytes) {
  if (!tensors || !name || !data)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_tensors_get: %s is NULL",
                    !tensors ? "tensors" : !name ? "name" : "data");
  const st_entry *e = st_find(&tensors->file, name);
  if (!e)
    return lq__fail(LQ_ERR_MISMATCH, "%s has no tensor %s", tensors->path, name);
  if (dtype && strcmp(e->dtype, dtype) != 0)
    return lq__fail(LQ_ERR_MISMATCH, "%s: tensor %s is %s, not %s", tensors->path, name,
                    e->dtype, dtype);
  *data = tensors->file.data + e->begin;
  if (bytes)
    *bytes = e->end - e->begin;
  return LQ_OK;
}

/*===----------------------------------------------------------------------===*
 * CPU features
 *===----------------------------------------------------------------------===*/

#if defined(__x86_64__)
/* 1 if the CPU has `feature`, 0 if not, -1 for a name not known here.
 * __builtin_cpu_supports takes string literals only, and not every name in
 * both GCC and Clang: F16C is read from CPUID instead. */
static int cpu_has(const char *feature) {
#define LQ_FEATURE(name)                                                                       \
  if (strcmp(feature, #name) == 0)                                                             \
    return __builtin_cpu_supports(#name) != 0;
  LQ_FEATURE(avx)
  LQ_FEATURE(avx2)
  LQ_FEATURE(fma)
  LQ_FEATURE(bmi2)
  LQ_FEATURE(avx512f)
  LQ_FEATURE(avx512bw)
  LQ_FEATURE(avx512dq)
  LQ_FEATURE(avx512vl)
  LQ_FEATURE(avx512cd)
  LQ_FEATURE(avx512vbmi)
  LQ_FEATURE(avx512vnni)
  LQ_FEATURE(avx512bf16)
#undef LQ_FEATURE
  if (strcmp(feature, "f16c") == 0) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
  }
  return -1;
}
#endif

/* Every known feature of lq__cpu_features, or LQ_ERR_DEVICE naming the
 * first one missing. Unknown names are the compiler's to know about. */
static int check_cpu_features(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const char *p = lq__cpu_features;
  while (*p) {
    while (*p == ',' || *p == ' ' || *p == '+')
      ++p;
    char feature[64];
    size_t n = 0;
    while (p[n] && p[n] != ',' && p[n] != ' ')
      ++n;
    if (n && n < sizeof feature) {
      memcpy(feature, p, n);
      feature[n] = '\0';
      if (cpu_has(feature) == 0)
        return lq__fail(LQ_ERR_DEVICE,
                        "this CPU lacks %s, which the bundle's kernels were compiled for (%s)",
                        feature, lq__cpu_features);
    }
    p += n;
  }
#endif
  return LQ_OK;
}

/*===----------------------------------------------------------------------===*
 * The CUDA driver
 *===----------------------------------------------------------------------===*/

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

#define CUDA_SUCCESS 0
#define CUDA_ERROR_OUT_OF_MEMORY 2
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

/* The functions (all return CUresult), the symbols cuda.h maps them to
 * (the _v2 ABI) and their parameters. */
#define LQ_CUDA_FUNCTIONS(X)                                                                   \
  X(cuInit, "cuInit", (unsigned))                                                              \
  X(cuGetErrorName, "cuGetErrorName", (CUresult, const char **))                               \
  X(cuGetErrorString, "cuGetErrorString", (CUresult, const char **))                           \
  X(cuDeviceGet, "cuDeviceGet", (CUdevice *, int))                                             \
  X(cuDeviceGetCount, "cuDeviceGetCount", (int *))                                             \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute", (int *, int, CUdevice))                      \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", (CUcontext *, CUdevice))             \
  X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", (CUdevice))                     \
  X(cuDevicePrimaryCtxGetState, "cuDevicePrimaryCtxGetState", (CUdevice, unsigned *, int *))    \
  X(cuCtxGetCurrent, "cuCtxGetCurrent", (CUcontext *))                                         \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", (CUcontext))                                           \
  X(cuCtxGetDevice, "cuCtxGetDevice", (CUdevice *))                                            \
  X(cuMemAlloc, "cuMemAlloc_v2", (CUdeviceptr *, size_t))                                      \
  X(cuMemFree, "cuMemFree_v2", (CUdeviceptr))                                                  \
  X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", (CUdeviceptr, const void *, size_t))                      \
  X(cuModuleLoadData, "cuModuleLoadData", (CUmodule *, const void *))                          \
  X(cuModuleGetFunction, "cuModuleGetFunction", (CUfunction *, CUmodule, const char *))        \
  X(cuLaunchKernel, "cuLaunchKernel",                                                          \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,         \
     CUstream, void **, void **))                                                              \
  X(cuStreamSynchronize, "cuStreamSynchronize", (CUstream))
/* Stream-ordered allocation (CUDA 11.2): without it scratch memory is
 * allocated synchronously. */
#define LQ_CUDA_OPTIONAL_FUNCTIONS(X)                                                          \
  X(cuMemAllocAsync, "cuMemAllocAsync", (CUdeviceptr *, size_t, CUstream))                     \
  X(cuMemFreeAsync, "cuMemFreeAsync", (CUdeviceptr, CUstream))

typedef struct {
#define LQ_FIELD(fn, sym, params) CUresult(*fn) params;
  LQ_CUDA_FUNCTIONS(LQ_FIELD)
  LQ_CUDA_OPTIONAL_FUNCTIONS(LQ_FIELD)
#undef LQ_FIELD
} cuda_driver;

static cuda_driver cuda;
static pthread_once_t cuda_once = PTHREAD_ONCE_INIT;
/* Set once by cuda_load: LQ_OK, or the error and its message, which every
 * later caller gets again (the message buffer is per thread). */
static int cuda_status;
static char cuda_message[512];

static void cuda_load(void) {
  const char *path = getenv("LQ_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    cuda_status = LQ_ERR_DEVICE;
    snprintf(cuda_message, sizeof cuda_message,
             "cannot load the CUDA driver library %s (%s); is the NVIDIA driver installed?", path,
             why ? why : "unknown error");
    return;
  }
  /* ISO C has no conversion between object and function pointers; POSIX
   * guarantees dlsym's result converts, which memcpy expresses. */
#define LQ_RESOLVE(fn, sym, params)                                                              \
  {                                                                                            \
    void *address = dlsym(lib, sym);                                                           \
    memcpy(&cuda.fn, &address, sizeof address);                                                \
  }
  LQ_CUDA_FUNCTIONS(LQ_RESOLVE)
  LQ_CUDA_OPTIONAL_FUNCTIONS(LQ_RESOLVE)
#undef LQ_RESOLVE
#define LQ_REQUIRE(fn, sym, params)                                                              \
  if (!cuda.fn) {                                                                              \
    cuda_status = LQ_ERR_DEVICE;                                                               \
    snprintf(cuda_message, sizeof cuda_message,                                                \
             "the CUDA driver library %s has no %s: the driver is too old", path, sym);        \
    return;                                                                                    \
  }
  LQ_CUDA_FUNCTIONS(LQ_REQUIRE)
#undef LQ_REQUIRE
  if (!cuda.cuMemAllocAsync || !cuda.cuMemFreeAsync)
    cuda.cuMemAllocAsync = NULL, cuda.cuMemFreeAsync = NULL;
  CUresult result = cuda.cuInit(0);
  if (result != CUDA_SUCCESS) {
    const char *name = "?", *text = "?";
    cuda.cuGetErrorName(result, &name);
    cuda.cuGetErrorString(result, &text);
    cuda_status = LQ_ERR_DEVICE;
    snprintf(cuda_message, sizeof cuda_message, "cuInit failed: %s (%s)", name ? name : "?",
             text ? text : "?");
  }
}

/* LQ_OK once the driver is loaded and initialized. */
static int cuda_driver_ready(void) {
  pthread_once(&cuda_once, cuda_load);
  if (cuda_status != LQ_OK)
    return lq__fail(cuda_status, "%s", cuda_message);
  return LQ_OK;
}

/* LQ_OK, or the driver's error as LQ_ERR_DEVICE (LQ_ERR_MEMORY when out of
 * memory) with its name and text. */
static int cuda_check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return LQ_OK;
  const char *name = NULL, *text = NULL;
  cuda.cuGetErrorName(result, &name);
  cuda.cuGetErrorString(result, &text);
  return lq__fail(result == CUDA_ERROR_OUT_OF_MEMORY ? LQ_ERR_MEMORY : LQ_ERR_DEVICE,
                  "%s failed: %s (%s)", what, name ? name : "CUDA error", text ? text : "?");
}

/*===----------------------------------------------------------------------===*
 * Bundles
 *===----------------------------------------------------------------------===*/

struct lq_bundle {
  int is_cuda;
  st_file file;        /* cpu: kept mapped; the tensors point into it */
  const void **tensor; /* by lq__tensors index: host or device pointers */
  /* cuda */
  CUdeviceptr *device;
  CUcontext context;
  CUdevice primary; /* the device whose primary context the bundle retained */
  int retained;
};

/* The context bundles are opened in when the caller has none: launches on
 * a thread without a current context use it. */
static CUcontext cuda_default_context;
static pthread_mutex_t cuda_default_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_cuda_target(void) { return strcmp(lq__target, "cuda") == 0; }

void lq_bundle_close(lq_bundle *bundle) {
  if (!bundle)
    return;
  if (bundle->device) {
    /* cuMemFree needs the allocation's context current. */
    CUcontext previous = NULL;
    cuda.cuCtxGetCurrent(&previous);
    if (previous != bundle->context)
      cuda.cuCtxSetCurrent(bundle->context);
    for (int i = 0; i < lq__num_tensors; ++i)
      if (bundle->device[i])
        cuda.cuMemFree(bundle->device[i]);
    if (previous != bundle->context)
      cuda.cuCtxSetCurrent(previous);
    free(bundle->device);
  }
  if (bundle->retained)
    cuda.cuDevicePrimaryCtxRelease(bundle->primary);
  st_close(&bundle->file);
  free(bundle->tensor);
  free(bundle);
}

/* If `context` (current) is its device's primary context, takes a
 * reference to it (*retained = 1, *device its device): the primary
 * context is reset when its last reference goes, with every allocation and
 * module in it, so each bundle (and the loaded image) holds its own rather
 * than rely on whoever made it current. Other contexts are the caller's. */
static int cuda_retain_if_primary(CUcontext context, CUdevice *device, int *retained) {
  unsigned flags = 0;
  int active = 0, code;
  CUcontext primary = NULL;
  *retained = 0;
  if ((code = cuda_check(cuda.cuCtxGetDevice(device), "cuCtxGetDevice")) != LQ_OK ||
      (code = cuda_check(cuda.cuDevicePrimaryCtxGetState(*device, &flags, &active),
                         "cuDevicePrimaryCtxGetState")) != LQ_OK)
    return code;
  if (!active)
    return LQ_OK;
  if ((code = cuda_check(cuda.cuDevicePrimaryCtxRetain(&primary, *device),
                         "cuDevicePrimaryCtxRetain")) != LQ_OK)
    return code;
  if (primary == context)
    *retained = 1;
  else
    cuda.cuDevicePrimaryCtxRelease(*device);
  return LQ_OK;
}

/* Copies the matched tensors to the current context (the primary context
 * of device 0 without one). */
static int cuda_upload(lq_bundle *b, const st_entry **matched) {
  int code = cuda_driver_ready();
  if (code != LQ_OK)
    return code;
  if ((code = cuda_check(cuda.cuCtxGetCurrent(&b->context), "cuCtxGetCurrent")) != LQ_OK)
    return code;
  if (!b->context) {
    int count = 0;
    if ((code = cuda_check(cuda.cuDeviceGetCount(&count), "cuDeviceGetCount")) != LQ_OK)
      return code;
    if (count < 1)
      return lq__fail(LQ_ERR_DEVICE, "the CUDA driver sees no device");
    if ((code = cuda_check(cuda.cuDeviceGet(&b->primary, 0), "cuDeviceGet")) != LQ_OK ||
        (code = cuda_check(cuda.cuDevicePrimaryCtxRetain(&b->context, b->primary),
                           "cuDevicePrimaryCtxRetain")) != LQ_OK)
      return code;
    b->retained = 1;
    if ((code = cuda_check(cuda.cuCtxSetCurrent(b->context), "cuCtxSetCurrent")) != LQ_OK)
      return code;
  } else if ((code = cuda_retain_if_primary(b->context, &b->primary, &b->retained)) != LQ_OK) {
    return code;
  }
  pthread_mutex_lock(&cuda_default_lock);
  if (!cuda_default_context)
    cuda_default_context = b->context;
  pthread_mutex_unlock(&cuda_default_lock);
  b->device = calloc((size_t)lq__num_tensors + 1, sizeof *b->device);
  if (!b->device)
    return lq__fail(LQ_ERR_MEMORY, "out of memory opening the bundle");
  for (int i = 0; i < lq__num_tensors; ++i) {
    size_t bytes = (size_t)lq__tensors[i].bytes;
    /* cuMemAlloc rejects 0 bytes; an empty tensor gets 1. */
    if ((code = cuda_check(cuda.cuMemAlloc(&b->device[i], bytes ? bytes : 1), "cuMemAlloc")) !=
            LQ_OK ||
        (bytes && (code = cuda_check(cuda.cuMemcpyHtoD(b->device[i],
                                                        b->file.data + matched[i]->begin, bytes),
                                     "cuMemcpyHtoD")) != LQ_OK))
      return code;
    b->tensor[i] = (const void *)(uintptr_t)b->device[i];
  }
  return LQ_OK;
}

/* The generated tables against themselves: indices in range, each
 * tensor's size its shape's. A failure is a bug of the generator, caught
 * here rather than as a read outside the tables. */
static int check_tables(void) {
  for (int i = 0; i < lq__num_tensors; ++i) {
    const lq_tensor_spec *t = &lq__tensors[i];
    int64_t element = dtype_size(t->dtype);
    if (t->rank < 0 || t->rank > LQ_MAX_RANK || !element ||
        tensor_bytes(t->shape, t->rank, element) != t->bytes)
      return lq__fail(LQ_ERR_FORMAT, "the library's tables are inconsistent: tensor %s", t->name);
  }
  for (int i = 0; i < lq__num_linears; ++i) {
    const lq_linear_spec *l = &lq__linears[i];
    int ok = l->kernel >= 0 && l->kernel < lq__num_kernels;
    for (int j = 0; ok && j < lq__kernels[l->kernel].num_weights; ++j)
      ok = l->tensors[j] >= 0 && l->tensors[j] < lq__num_tensors;
    if (!ok)
      return lq__fail(LQ_ERR_FORMAT, "the library's tables are inconsistent: linear %s", l->name);
  }
  return LQ_OK;
}

int lq_bundle_open(const char *dir, lq_bundle **out) {
  if (!out)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_open: out is NULL");
  *out = NULL;
  if (!dir)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_open: dir is NULL");
  int code;
  if ((code = check_tables()) != LQ_OK ||
      (!is_cuda_target() && (code = check_cpu_features()) != LQ_OK))
    return code;

  static const char file_name[] = "weights.safetensors";
  size_t length = strlen(dir) + strlen(lq__target) + sizeof file_name + 2;
  char *path = malloc(length);
  lq_bundle *b = calloc(1, sizeof *b);
  const st_entry **matched = calloc((size_t)lq__num_tensors + 1, sizeof *matched);
  if (b)
    b->tensor = calloc((size_t)lq__num_tensors + 1, sizeof *b->tensor);
  if (!path || !b || !matched || !b->tensor) {
    free(path);
    free(matched);
    if (b)
      free(b->tensor);
    free(b);
    return lq__fail(LQ_ERR_MEMORY, "out of memory opening the bundle");
  }
  snprintf(path, length, "%s/%s/%s", dir, lq__target, file_name);
  b->is_cuda = is_cuda_target();

  code = st_open(path, &b->file);
  for (int i = 0; code == LQ_OK && i < lq__num_tensors; ++i)
    code = st_match(&b->file, &lq__tensors[i], &matched[i]);
  if (code == LQ_OK) {
    if (b->is_cuda) {
      code = cuda_upload(b, matched);
      /* The device has the weights; the mapping is no longer needed. */
      st_close(&b->file);
    } else {
      for (int i = 0; i < lq__num_tensors; ++i)
        b->tensor[i] = b->file.data + matched[i]->begin;
    }
  }
  b->file.path = NULL; /* only for messages, formatted by now */
  free(path);
  free(matched);
  if (code != LQ_OK) {
    lq_bundle_close(b);
    return code;
  }
  *out = b;
  return LQ_OK;
}

const char *lq_bundle_target(void) { return lq__target; }

int lq_bundle_linear_count(void) { return lq__num_linears; }

int lq_bundle_linear_info(int index, lq_linear_info *out) {
  if (!out)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_linear_info: out is NULL");
  if (index < 0 || index >= lq__num_linears)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_linear_info: linear %d of %d", index,
                    lq__num_linears);
  const lq_linear_spec *linear = &lq__linears[index];
  const lq_kernel_spec *kernel = &lq__kernels[linear->kernel];
  out->name = linear->name;
  out->kernel = kernel->name;
  out->fn = kernel->fn;
  out->rows = kernel->rows;
  out->cols = kernel->cols;
  out->max_batch = kernel->max_batch;
  out->num_weights = kernel->num_weights;
  out->act_bits = kernel->act_bits;
  return LQ_OK;
}

int lq_bundle_linear_weights(const lq_bundle *bundle, int index, const void **weights) {
  if (!bundle || !weights)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_linear_weights: %s is NULL",
                    bundle ? "weights" : "bundle");
  if (index < 0 || index >= lq__num_linears)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_linear_weights: linear %d of %d", index,
                    lq__num_linears);
  const lq_linear_spec *linear = &lq__linears[index];
  for (int i = 0; i < lq__kernels[linear->kernel].num_weights; ++i)
    weights[i] = bundle->tensor[linear->tensors[i]];
  return LQ_OK;
}

int lq_bundle_tensor(const lq_bundle *bundle, const char *name, const void **data,
                     int64_t *bytes) {
  if (!bundle || !name || !data)
    return lq__fail(LQ_ERR_ARGUMENT, "lq_bundle_tensor: %s is NULL",
                    !bundle ? "bundle" : !name ? "name" : "data");
  for (int i = 0; i < lq__num_tensors; ++i) {
    if (strcmp(lq__tensors[i].name, name) == 0) {
      *data = bundle->tensor[i];
      if (bytes)
        *bytes = lq__tensors[i].bytes;
      return LQ_OK;
    }
  }
  return lq__fail(LQ_ERR_ARGUMENT, "the bundle has no tensor %s", name);
}

/*===----------------------------------------------------------------------===*
 * Kernel calls
 *===----------------------------------------------------------------------===*/

int lq__check_call(int kernel, const void *x, const void *y, const void *const *weights,
                   int64_t batch) {
  if (kernel < 0 || kernel >= lq__num_kernels)
    return lq__fail(LQ_ERR_ARGUMENT, "kernel %d of %d", kernel, lq__num_kernels);
  const lq_kernel_spec *k = &lq__kernels[kernel];
  if (!x || !y || !weights)
    return lq__fail(LQ_ERR_ARGUMENT, "%s: %s is NULL", k->name,
                    !x ? "x" : !y ? "y" : "weights");
  for (int i = 0; i < k->num_weights; ++i)
    if (!weights[i])
      return lq__fail(LQ_ERR_ARGUMENT, "%s: weights[%d] is NULL", k->name, i);
  if (batch < 1 || batch > k->max_batch)
    return lq__fail(LQ_ERR_BATCH, "%s: batch %lld is outside the compiled range 1..%lld",
                    k->name, (long long)batch, (long long)k->max_batch);
  return LQ_OK;
}

/* The loaded kernel image: functions parallel to the instances of
 * lq__kernels (kernel k's at first_instance[k]). Loaded once, into the
 * context current at the first launch, and kept for the process (with a
 * reference to that context if it is a primary one): a kernel may run
 * after every bundle is closed, on the caller's weights. */
static struct {
  atomic_int loaded;
  pthread_mutex_t lock;
  CUcontext context;
  CUmodule module;
  int *first_instance;
  CUfunction *kernel, *prologue;
} cuda_image = {0, PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, NULL, NULL};

/* The image for the device: a cubin of its exact architecture, else the
 * PTX that loads there. */
static const lq_cuda_image *pick_image(int major, int minor) {
  char exact[16], exact_a[16];
  snprintf(exact, sizeof exact, "sm_%d%d", major, minor);
  snprintf(exact_a, sizeof exact_a, "sm_%d%da", major, minor);
  for (int i = 0; i < lq__num_cuda_images; ++i)
    if (lq__cuda_images[i].is_cubin && (strcmp(lq__cuda_images[i].arch, exact) == 0 ||
                                        strcmp(lq__cuda_images[i].arch, exact_a) == 0))
      return &lq__cuda_images[i];
  for (int i = 0; i < lq__num_cuda_images; ++i)
    if (!lq__cuda_images[i].is_cubin && major == 9 && minor == 0 &&
        strcmp(lq__cuda_images[i].arch, "sm_90a") == 0)
      return &lq__cuda_images[i];
  for (int i = 0; i < lq__num_cuda_images; ++i)
    if (!lq__cuda_images[i].is_cubin && major >= 8 &&
        strcmp(lq__cuda_images[i].arch, "sm_80") == 0)
      return &lq__cuda_images[i];
  return NULL;
}

/* Loads the image into `context` (current) under cuda_image.lock. */
static int cuda_load_image(CUcontext context) {
  CUdevice device;
  int major = 0, minor = 0, code;
  if ((code = cuda_check(cuda.cuCtxGetDevice(&device), "cuCtxGetDevice")) != LQ_OK ||
      (code = cuda_check(cuda.cuDeviceGetAttribute(
                             &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                         "cuDeviceGetAttribute")) != LQ_OK ||
      (code = cuda_check(cuda.cuDeviceGetAttribute(
                             &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                         "cuDeviceGetAttribute")) != LQ_OK)
    return code;
  const lq_cuda_image *image = pick_image(major, minor);
  if (!image) {
    char archs[256] = "";
    size_t used = 0;
    for (int i = 0; i < lq__num_cuda_images && used < sizeof archs; ++i)
      used += (size_t)snprintf(archs + used, sizeof archs - used, "%s%s%s", i ? ", " : "",
                               lq__cuda_images[i].arch,
                               lq__cuda_images[i].is_cubin ? " (cubin)" : "");
    return lq__fail(LQ_ERR_DEVICE,
                    "the bundle has no kernel image for compute capability %d.%d (it has: %s)",
                    major, minor, archs);
  }
  if (!image->is_cubin && (!image->size || !memchr(image->image, '\0', image->size)))
    return lq__fail(LQ_ERR_DEVICE, "the bundle's %s PTX is not NUL-terminated", image->arch);
  int total = 0;
  for (int k = 0; k < lq__num_kernels; ++k)
    total += lq__kernels[k].num_instances;
  int *first = calloc((size_t)lq__num_kernels + 1, sizeof *first);
  CUfunction *kernels = calloc((size_t)total + 1, sizeof *kernels);
  CUfunction *prologues = calloc((size_t)total + 1, sizeof *prologues);
  if (!first || !kernels || !prologues) {
    free(first);
    free(kernels);
    free(prologues);
    return lq__fail(LQ_ERR_MEMORY, "out of memory loading the kernels");
  }
  CUmodule module;
  if ((code = cuda_check(cuda.cuModuleLoadData(&module, image->image), "cuModuleLoadData")) !=
      LQ_OK) {
    free(first);
    free(kernels);
    free(prologues);
    return code;
  }
  char what[320];
  for (int k = 0, n = 0; k < lq__num_kernels; ++k) {
    first[k] = n;
    for (int i = 0; i < lq__kernels[k].num_instances; ++i, ++n) {
      const lq_cuda_instance *instance = &lq__kernels[k].instances[i];
      snprintf(what, sizeof what, "cuModuleGetFunction(%s)", instance->kernel);
      code = cuda_check(cuda.cuModuleGetFunction(&kernels[n], module, instance->kernel), what);
      if (code == LQ_OK && instance->prologue) {
        snprintf(what, sizeof what, "cuModuleGetFunction(%s)", instance->prologue);
        code = cuda_check(cuda.cuModuleGetFunction(&prologues[n], module, instance->prologue),
                          what);
      }
      if (code != LQ_OK) {
        /* The module stays loaded (unloading needs more of the driver API
         * than a failure here is worth); the next call tries again. */
        free(first);
        free(kernels);
        free(prologues);
        return code;
      }
    }
  }
  /* The image lives as long as the process: it keeps its context. */
  CUdevice primary;
  int retained;
  if ((code = cuda_retain_if_primary(context, &primary, &retained)) != LQ_OK) {
    free(first);
    free(kernels);
    free(prologues);
    return code;
  }
  cuda_image.context = context;
  cuda_image.module = module;
  cuda_image.first_instance = first;
  cuda_image.kernel = kernels;
  cuda_image.prologue = prologues;
  return LQ_OK;
}

/* Makes a context current and the image loaded into it. */
static int cuda_prepare(void) {
  int code = cuda_driver_ready();
  if (code != LQ_OK)
    return code;
  CUcontext context = NULL;
  if ((code = cuda_check(cuda.cuCtxGetCurrent(&context), "cuCtxGetCurrent")) != LQ_OK)
    return code;
  if (!context) {
    pthread_mutex_lock(&cuda_default_lock);
    context = cuda_default_context;
    pthread_mutex_unlock(&cuda_default_lock);
    if (!context)
      return lq__fail(LQ_ERR_DEVICE,
                      "no CUDA context is current and no cuda bundle has been opened");
    if ((code = cuda_check(cuda.cuCtxSetCurrent(context), "cuCtxSetCurrent")) != LQ_OK)
      return code;
  }
  if (!atomic_load_explicit(&cuda_image.loaded, memory_order_acquire)) {
    pthread_mutex_lock(&cuda_image.lock);
    code = LQ_OK;
    if (!atomic_load_explicit(&cuda_image.loaded, memory_order_relaxed)) {
      code = cuda_load_image(context);
      if (code == LQ_OK)
        atomic_store_explicit(&cuda_image.loaded, 1, memory_order_release);
    }
    pthread_mutex_unlock(&cuda_image.lock);
    if (code != LQ_OK)
      return code;
  }
  if (context != cuda_image.context)
    return lq__fail(LQ_ERR_DEVICE, "the bundle's kernels were loaded into another CUDA context "
                                   "than the current one");
  return LQ_OK;
}

int lq__cuda_launch(int kernel, void *stream, const void *x, void *y,
                    const void *const *weights, int64_t batch) {
  int code = lq__check_call(kernel, x, y, weights, batch);
  if (code != LQ_OK)
    return code;
  const lq_kernel_spec *k = &lq__kernels[kernel];
  /* The largest instance S <= batch (instances are by decreasing batch),
   * as the compiler's own host code picks it (HostLaunch.h). */
  int pick = -1;
  for (int i = 0; i < k->num_instances && pick < 0; ++i)
    if (k->instances[i].batch >= 1 && k->instances[i].batch <= batch)
      pick = i;
  if (pick < 0)
    return lq__fail(LQ_ERR_BATCH, "%s: batch %lld is below every compiled chunk size", k->name,
                    (long long)batch);
  if ((code = cuda_prepare()) != LQ_OK)
    return code;
  const lq_cuda_instance *instance = &k->instances[pick];
  CUfunction function = cuda_image.kernel[cuda_image.first_instance[kernel] + pick];
  CUfunction prologue = cuda_image.prologue[cuda_image.first_instance[kernel] + pick];
  CUstream s = (CUstream)stream;

  CUdeviceptr scratch = 0;
  if (instance->prologue) {
    size_t bytes = instance->scratch_bytes > 0 ? (size_t)instance->scratch_bytes : 1;
    code = cuda.cuMemAllocAsync
               ? cuda_check(cuda.cuMemAllocAsync(&scratch, bytes, s), "cuMemAllocAsync")
               : cuda_check(cuda.cuMemAlloc(&scratch, bytes), "cuMemAlloc");
    if (code != LQ_OK)
      return code;
  }
  /* ceil(M / S) chunks of S rows; the last one starts at row M - S,
   * overlapping the one before rather than passing row M. */
  int64_t S = instance->batch, chunks = (batch + S - 1) / S;
  CUdeviceptr w = (CUdeviceptr)(uintptr_t)weights[0];
  for (int64_t i = 0; i < chunks && code == LQ_OK; ++i) {
    int64_t row = i * S < batch - S ? i * S : batch - S;
    CUdeviceptr xc = (CUdeviceptr)(uintptr_t)x + (CUdeviceptr)(row * k->cols * k->x_element_bytes);
    CUdeviceptr yc = (CUdeviceptr)(uintptr_t)y + (CUdeviceptr)(row * k->rows * 4);
    if (instance->prologue) {
      void *params[] = {&xc, &scratch};
      code = cuda_check(cuda.cuLaunchKernel(prologue, instance->prologue_grid, 1, 1,
                                            instance->prologue_threads, 1, 1, 0, s, params, NULL),
                        "cuLaunchKernel (prologue)");
      xc = scratch;
    }
    if (code == LQ_OK) {
      void *params[] = {&xc, &w, &yc};
      code = cuda_check(cuda.cuLaunchKernel(function, instance->grid, 1, 1, instance->threads, 1,
                                            1, 0, s, params, NULL),
                        "cuLaunchKernel");
    }
  }
  if (scratch) {
    /* Freed after the launches on the stream have read it. */
    int freed;
    if (cuda.cuMemFreeAsync) {
      freed = cuda_check(cuda.cuMemFreeAsync(scratch, s), "cuMemFreeAsync");
    } else {
      freed = cuda_check(cuda.cuStreamSynchronize(s), "cuStreamSynchronize");
      int released = cuda_check(cuda.cuMemFree(scratch), "cuMemFree");
      if (freed == LQ_OK)
        freed = released;
    }
    if (code == LQ_OK)
      code = freed;
  }
  return code;
}
