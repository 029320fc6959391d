/* Stand-ins for model libraries, for quant-run-aot's bad-input tests: one
   -D picks what the library gets wrong (or, with CUDA, a well-formed cuda
   library whose code calls the mgpu* runtime the runner must provide). */
#include <stdint.h>

#define MODEL_2M                                                                                  \
  "\"dim\":128,\"hidden_dim\":384,\"layers\":2,\"heads\":4,\"kv_heads\":2,\"head_dim\":32,"       \
  "\"vocab\":8192,\"context\":512"

#if defined(MALFORMED)
const char lq_model_info_json[] = "{\"format\":\"lq-model-info\",\"version\":1,\"target\":";
#elif defined(ROW_BYTES)
const char lq_model_info_json[] = "{\"format\":\"lq-model-info\",\"version\":1,\"target\":\"cpu\","
    MODEL_2M ",\"kv_bits\":4,\"kv_row_bytes\":16,\"functions\":[\"decode\"]}";
#elif defined(TARGET)
const char lq_model_info_json[] = "{\"format\":\"lq-model-info\",\"version\":1,\"target\":\"tpu\","
    MODEL_2M ",\"kv_bits\":0,\"kv_row_bytes\":0,\"functions\":[\"decode\"]}";
#elif defined(NO_DECODE)
/* Lists @decode, exports no _mlir_ciface_decode. */
const char lq_model_info_json[] = "{\"format\":\"lq-model-info\",\"version\":1,\"target\":\"cpu\","
    MODEL_2M ",\"kv_bits\":0,\"kv_row_bytes\":0,\"functions\":[\"decode\"]}";
#elif defined(CUDA)
const char lq_model_info_json[] = "{\"format\":\"lq-model-info\",\"version\":1,\"target\":\"cuda\","
    MODEL_2M ",\"kv_bits\":0,\"kv_row_bytes\":0,\"functions\":[\"decode\"]}";
void *mgpuStreamCreate(void);
void _mlir_ciface_decode(void *results) { (void)results; (void)mgpuStreamCreate(); }
#else
/* No description at all. */
int unrelated = 1;
#endif
