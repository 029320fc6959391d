// A hand-written model module (docs/ModelIR.md) small enough to check by
// hand: vocab 4, dim 2; x = embed[token], k = x W_k^T (layers.0.attn.k),
// logits = k W^T (lm_head). With E, W_k and W below:
//   token 0 -> x (1, 2)   -> k (1, 3)    -> logits (1, 3, 4, -2)
//   token 1 -> x (3, -1)  -> k (3, 2)    -> logits (3, 2, 5, 1)
//   token 2 -> x (0, 0.5) -> k (0, 0.5)  -> logits (0, 0.5, 0.5, -0.5)
//   token 3 -> x (-2, 1)  -> k (-2, -1)  -> logits (-2, -1, -3, -1)
#mT = affine_map<(m, n, k) -> (m, k)>
#nT = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
module attributes {lq.model = {arch = "llama", dim = 2 : i64, hidden_dim = 2 : i64,
    layers = 1 : i64, heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64,
    vocab = 4 : i64, context = 8 : i64, norm_eps = 1.0e-05 : f32,
    rope_theta = 1.0e+04 : f32, rope_style = "half", tied = false}} {
  func.func @forward(%tokens: tensor<1x?xi64>) -> tensor<1x?x4xf32>
      attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0.0 : f32
    %T = tensor.dim %tokens, %c1 : tensor<1x?xi64>
    %ids = tensor.collapse_shape %tokens [[0, 1]] : tensor<1x?xi64> into tensor<?xi64>
    %embed = arith.constant dense<[[1.0, 2.0], [3.0, -1.0], [0.0, 0.5], [-2.0, 1.0]]> : tensor<4x2xf32>
    %e0 = tensor.empty(%T) : tensor<?x2xf32>
    %x = linalg.generic {indexing_maps = [affine_map<(t, d) -> (t)>, affine_map<(t, d) -> (t, d)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%ids : tensor<?xi64>) outs(%e0 : tensor<?x2xf32>) {
    ^bb0(%id: i64, %o: f32):
      %i = arith.index_cast %id : i64 to index
      %d = linalg.index 1 : index
      %v = tensor.extract %embed[%i, %d] : tensor<4x2xf32>
      linalg.yield %v : f32
    } -> tensor<?x2xf32>
    %wk = arith.constant dense<[[1.0, 0.0], [1.0, 1.0]]> : tensor<2x2xf32>
    %ek = tensor.empty(%T) : tensor<?x2xf32>
    %fk = linalg.fill ins(%zero : f32) outs(%ek : tensor<?x2xf32>) -> tensor<?x2xf32>
    %k = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "layers.0.attn.k"}
        ins(%x, %wk : tensor<?x2xf32>, tensor<2x2xf32>) outs(%fk : tensor<?x2xf32>) -> tensor<?x2xf32>
    %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]]> : tensor<4x2xf32>
    %el = tensor.empty(%T) : tensor<?x4xf32>
    %fl = linalg.fill ins(%zero : f32) outs(%el : tensor<?x4xf32>) -> tensor<?x4xf32>
    %y = linalg.matmul indexing_maps = [#mT, #nT, #mn] {lq.role = "lm_head"}
        ins(%k, %w : tensor<?x2xf32>, tensor<4x2xf32>) outs(%fl : tensor<?x4xf32>) -> tensor<?x4xf32>
    %out = tensor.expand_shape %y [[0, 1], [2]] output_shape [1, %T, 4]
        : tensor<?x4xf32> into tensor<1x?x4xf32>
    return %out : tensor<1x?x4xf32>
  }
}
