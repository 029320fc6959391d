/*===- fake_cuda.c - A stand-in CUDA driver for the bundle tests -*- C -*-===*
 *
 * The few driver functions the bundle runtime resolves, printing each call
 * that matters, so that the cuda path (context, uploads, image choice,
 * chunked launches, scratch memory) is checked on machines without a GPU.
 * Loaded through LQ_CUDA_DRIVER. Device memory is fake: allocations get
 * fixed addresses and copies are only counted. FAKE_CUDA_CC is the compute
 * capability ("90": 9.0, the default), FAKE_CUDA_DEVICES the device count
 * (default 1). Built with -DFAKE_CUDA_NO_ASYNC, it lacks cuMemAllocAsync and
 * cuMemFreeAsync (drivers before CUDA 11.2).
 *
 *===----------------------------------------------------------------------===*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static _Thread_local void *current;
static char primary;
static int references; /* the primary context's */
static unsigned long long next_address = 0x10000000;

/* %p prints differently across C libraries. */
static unsigned long long address(const void *p) { return (unsigned long long)(uintptr_t)p; }

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

CUresult cuInit(unsigned flags) { return flags ? 1 : 0; }
CUresult cuGetErrorName(CUresult r, const char **name) {
  *name = r == 2 ? "CUDA_ERROR_OUT_OF_MEMORY" : r == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_X";
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **text) {
  *text = r == 2 ? "out of memory" : r == 500 ? "named symbol not found" : "fake error";
  return 0;
}
CUresult cuDeviceGetCount(int *count) {
  *count = env_int("FAKE_CUDA_DEVICES", 1);
  return 0;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  int cc = env_int("FAKE_CUDA_CC", 90);
  *value = attribute == 75 ? cc / 10 : attribute == 76 ? cc % 10 : 0;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  printf("fake-cuda: cuDevicePrimaryCtxRetain(%d): %d references\n", device, ++references);
  *context = &primary;
  return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  printf("fake-cuda: cuDevicePrimaryCtxRelease(%d): %d references\n", device, --references);
  return 0;
}
CUresult cuDevicePrimaryCtxGetState(int device, unsigned *flags, int *active) {
  (void)device;
  *flags = 0;
  *active = references > 0;
  return 0;
}
CUresult cuCtxGetCurrent(void **context) {
  *context = current;
  return 0;
}
CUresult cuCtxSetCurrent(void *context) {
  current = context;
  return 0;
}
CUresult cuCtxGetDevice(int *device) {
  *device = 0;
  return current ? 0 : 201;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  if (bytes > ((size_t)1 << 40))
    return 2;
  *p = next_address;
  next_address += 0x1000000;
  printf("fake-cuda: cuMemAlloc(%zu) = 0x%llx\n", bytes, *p);
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  printf("fake-cuda: cuMemFree(0x%llx)\n", p);
  return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr p, const void *host, size_t bytes) {
  /* The bytes must be readable (the sanitizers check that). */
  float first = 0;
  if (bytes >= sizeof first)
    memcpy(&first, host, sizeof first);
  printf("fake-cuda: cuMemcpyHtoD(0x%llx, %zu bytes, first %g)\n", p, bytes, first);
  return 0;
}
#ifndef FAKE_CUDA_NO_ASYNC
CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, void *stream) {
  *p = 0x30000000;
  printf("fake-cuda: cuMemAllocAsync(%zu, stream 0x%llx) = 0x%llx\n", bytes, address(stream), *p);
  return 0;
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *stream) {
  printf("fake-cuda: cuMemFreeAsync(0x%llx, stream 0x%llx)\n", p, address(stream));
  return 0;
}
#endif
CUresult cuStreamSynchronize(void *stream) {
  printf("fake-cuda: cuStreamSynchronize(0x%llx)\n", address(stream));
  return 0;
}
CUresult cuModuleLoadData(void **module, const void *image) {
  const unsigned char *bytes = image;
  if (bytes[0] == 0x7f)
    printf("fake-cuda: cuModuleLoadData(cubin)\n");
  else
    printf("fake-cuda: cuModuleLoadData(\"%s\")\n", (const char *)image);
  *module = &primary;
  return 0;
}
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  if (strstr(name, "missing"))
    return 500;
  *function = (void *)(uintptr_t)name; /* the tables' string, alive for the process */
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
  (void)extra;
  const char *name = f;
  int n = strstr(name, "quant") ? 2 : 3;
  printf("fake-cuda: launch %s grid (%u,%u,%u) block (%u,%u,%u) shared %u stream 0x%llx (", name,
         gx, gy, gz, bx, by, bz, shared, address(stream));
  for (int i = 0; i < n; ++i) {
    CUdeviceptr p;
    memcpy(&p, params[i], sizeof p);
    printf("%s0x%llx", i ? ", " : "", p);
  }
  printf(")\n");
  return 0;
}
