// dlp's native kernels: oneDNN (Debian's libdnnl-dev, 2.x) behind plain N-API.
//
// Every kernel works in place on tfjs-wasm's heap: JavaScript passes the wasm memory's
// ArrayBuffer, the byte offsets of the inputs and of an output the wasm backend has already
// allocated, and the shape parameters; nothing is copied. Layouts are tfjs's: activations NHWC,
// conv filters HWIO ([kh, kw, in, out]), matrices row-major. Primitives are cached by their
// parameters, so a training step after the first only binds pointers and runs.
// A failure throws a JavaScript Error; runtime/native.ts then runs the wasm kernel instead.
#include <node_api.h>
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#if DNNL_VERSION_MAJOR != 2
#error "dlp's native addon is written against the oneDNN 2.x API (Debian 12's libdnnl-dev 2.6); this oneDNN has another major version"
#endif

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

namespace {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(eng());
  return s;
}

// A 32-bit integer view of float data (bit masks in vectorised loops), exempt from strict aliasing.
typedef int32_t __attribute__((__may_alias__)) i32a;

struct JsError {
  std::string message;
};

// ---- N-API argument helpers -------------------------------------------------------------

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  uint8_t* heap = nullptr;
  size_t heapBytes = 0;
};

Args getArgs(napi_env env, napi_callback_info info, size_t want) {
  Args a{env, std::vector<napi_value>(want)};
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, a.v.data(), nullptr, nullptr);
  if (argc < want) throw JsError{"dlp_native: expected " + std::to_string(want) + " arguments"};
  return a;
}

void heapOf(Args& a, size_t i) {
  bool isAb = false;
  napi_is_arraybuffer(a.env, a.v[i], &isAb);
  if (!isAb) throw JsError{"dlp_native: the first argument must be the wasm heap's ArrayBuffer"};
  void* data = nullptr;
  napi_get_arraybuffer_info(a.env, a.v[i], &data, &a.heapBytes);
  a.heap = static_cast<uint8_t*>(data);
}

int64_t num(Args& a, size_t i) {
  int64_t out = 0;
  if (napi_get_value_int64(a.env, a.v[i], &out) != napi_ok) throw JsError{"dlp_native: argument " + std::to_string(i) + " must be a number"};
  return out;
}

double dbl(Args& a, size_t i) {
  double out = 0;
  if (napi_get_value_double(a.env, a.v[i], &out) != napi_ok) throw JsError{"dlp_native: argument " + std::to_string(i) + " must be a number"};
  return out;
}

std::vector<int64_t> ints(Args& a, size_t i) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool isTa = false;
  napi_is_typedarray(a.env, a.v[i], &isTa);
  if (!isTa) throw JsError{"dlp_native: argument " + std::to_string(i) + " must be an Int32Array"};
  napi_get_typedarray_info(a.env, a.v[i], &type, &length, &data, nullptr, nullptr);
  if (type != napi_int32_array) throw JsError{"dlp_native: argument " + std::to_string(i) + " must be an Int32Array"};
  const int32_t* p = static_cast<const int32_t*>(data);
  return std::vector<int64_t>(p, p + length);
}

// Argument i as a Float32Array of exactly `count` values (an optimizer's scalars), copied.
std::vector<float> floats(Args& a, size_t i, size_t count) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool isTa = false;
  napi_is_typedarray(a.env, a.v[i], &isTa);
  if (isTa) napi_get_typedarray_info(a.env, a.v[i], &type, &length, &data, nullptr, nullptr);
  if (!isTa || type != napi_float32_array || length != count) {
    throw JsError{"dlp_native: argument " + std::to_string(i) + " must be a Float32Array of " + std::to_string(count)};
  }
  const float* f = static_cast<const float*>(data);
  return std::vector<float>(f, f + count);
}

// y[j] = the sum over threads of partial[t * inner + j] (per-thread partial sums, added in thread order).
void addPartials(const std::vector<float>& partial, int threads, int64_t inner, float* y) {
  for (int64_t j = 0; j < inner; j++) {
    float total = 0.f;
    for (int t = 0; t < threads; t++) total += partial[t * inner + j];
    y[j] = total;
  }
}

// A float pointer `count` elements long at byte offset argument i (a negative offset: none).
float* ptr(Args& a, size_t i, int64_t count) {
  int64_t off = num(a, i);
  if (off < 0) return nullptr;
  if (off % 4 != 0 || static_cast<size_t>(off) + static_cast<size_t>(count) * 4 > a.heapBytes) {
    throw JsError{"dlp_native: a tensor lies outside the wasm heap"};
  }
  return reinterpret_cast<float*>(a.heap + off);
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const JsError& e) {
    napi_throw_error(env, "DLP_NATIVE", e.message.c_str());
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "DLP_NATIVE", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "DLP_NATIVE", e.what());
  }
  return nullptr;
}

// ---- post-op activations (tfjs's fused activations) -------------------------------------

// 0 linear, 1 relu, 2 relu6, 3 elu, 4 sigmoid, 5 leakyrelu
primitive_attr activationAttr(int64_t act, float alpha) {
  primitive_attr attr;
  if (act == 0) return attr;
  post_ops po;
  switch (act) {
    case 1: po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
    case 2: po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
    case 3: po.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
    case 4: po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
    case 5: po.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
    default: throw JsError{"dlp_native: unknown activation code " + std::to_string(act)};
  }
  attr.set_post_ops(po);
  return attr;
}

// ---- convolution ------------------------------------------------------------------------

// p = [N, IH, IW, IC, OC, KH, KW, OH, OW, SH, SW, DH, DW, PT, PL, PB, PR]
struct ConvShape {
  int64_t n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  explicit ConvShape(const std::vector<int64_t>& p) {
    if (p.size() != 17) throw JsError{"dlp_native: conv parameters must have 17 entries"};
    n = p[0]; ih = p[1]; iw = p[2]; ic = p[3]; oc = p[4]; kh = p[5]; kw = p[6]; oh = p[7]; ow = p[8];
    sh = p[9]; sw = p[10]; dh = p[11]; dw = p[12]; pt = p[13]; pl = p[14]; pb = p[15]; pr = p[16];
  }
  dims src() const { return {n, ic, ih, iw}; }
  dims wei() const { return {oc, ic, kh, kw}; }
  dims dst() const { return {n, oc, oh, ow}; }
  dims strides() const { return {sh, sw}; }
  dims dil() const { return {dh - 1, dw - 1}; }  // oneDNN counts dilation from 0
  dims padL() const { return {pt, pl}; }
  dims padR() const { return {pb, pr}; }
  int64_t srcSize() const { return n * ih * iw * ic; }
  int64_t weiSize() const { return oc * ic * kh * kw; }
  int64_t dstSize() const { return n * oh * ow * oc; }
};

convolution_forward::primitive_desc convFwdPd(const ConvShape& s, bool bias, const primitive_attr& attr, prop_kind pk) {
  memory::desc src(s.src(), dt::f32, tag::nhwc), dst(s.dst(), dt::f32, tag::nhwc);
  memory::desc wei(s.wei(), dt::f32, tag::any);
  if (bias) {
    memory::desc b({s.oc}, dt::f32, tag::a);
    convolution_forward::desc d(pk, algorithm::convolution_direct, src, wei, b, dst, s.strides(), s.dil(), s.padL(), s.padR());
    return convolution_forward::primitive_desc(d, attr, eng());
  }
  convolution_forward::desc d(pk, algorithm::convolution_direct, src, wei, dst, s.strides(), s.dil(), s.padL(), s.padR());
  return convolution_forward::primitive_desc(d, attr, eng());
}

// The forward convolution and its two gradients share one entry type and one setup: the
// primitive, the descriptors of its two activations (src and dst; diff_src and diff_dst for the
// data gradient, src and diff_dst for the weight gradient), and the weights (the weight gradient
// for kind weights) in the primitive's own layout, with a reorder from (to, for the weight
// gradient) tfjs's HWIO when the two layouts differ.
enum class ConvKind : int64_t { forward = 0, data = 1, weights = 2 };

struct ConvEntry {
  primitive prim;
  memory::desc srcMd, dstMd, biasMd, userWeiMd;
  bool reorderWei = false;
  reorder weiReorder;
  memory wei;
};

std::map<std::vector<int64_t>, std::unique_ptr<ConvEntry>> convCache;

// The cached entry for (kind, shape, bias, activation), created on first use.
ConvEntry& convEntry(ConvKind kind, const std::vector<int64_t>& p, const ConvShape& s, bool bias, int64_t act, float alpha) {
  std::vector<int64_t> key = p;
  int32_t alphaBits;
  std::memcpy(&alphaBits, &alpha, 4);
  key.insert(key.end(), {static_cast<int64_t>(kind), bias ? 1 : 0, act, alphaBits});
  auto& slot = convCache[key];
  if (slot) return *slot;
  auto e = std::make_unique<ConvEntry>();
  memory::desc weiMd;
  if (kind == ConvKind::forward) {
    auto pd = convFwdPd(s, bias, activationAttr(act, alpha), prop_kind::forward_inference);
    e->prim = convolution_forward(pd);
    e->srcMd = pd.src_desc();
    e->dstMd = pd.dst_desc();
    weiMd = pd.weights_desc();
  } else {
    auto hint = convFwdPd(s, false, primitive_attr(), prop_kind::forward_training);
    memory::desc src(s.src(), dt::f32, tag::nhwc), dst(s.dst(), dt::f32, tag::nhwc), wei(s.wei(), dt::f32, tag::any);
    if (kind == ConvKind::data) {
      convolution_backward_data::desc d(algorithm::convolution_direct, src, wei, dst, s.strides(), s.dil(), s.padL(), s.padR());
      convolution_backward_data::primitive_desc pd(d, eng(), hint);
      e->prim = convolution_backward_data(pd);
      e->srcMd = pd.diff_src_desc();
      e->dstMd = pd.diff_dst_desc();
      weiMd = pd.weights_desc();
    } else {
      convolution_backward_weights::desc d(algorithm::convolution_direct, src, wei, dst, s.strides(), s.dil(), s.padL(), s.padR());
      convolution_backward_weights::primitive_desc pd(d, eng(), hint);
      e->prim = convolution_backward_weights(pd);
      e->srcMd = pd.src_desc();
      e->dstMd = pd.diff_dst_desc();
      weiMd = pd.diff_weights_desc();
    }
  }
  e->biasMd = memory::desc({s.oc}, dt::f32, tag::a);
  e->userWeiMd = memory::desc(s.wei(), dt::f32, tag::hwio);
  e->reorderWei = weiMd != e->userWeiMd;
  e->wei = memory(weiMd, eng());
  if (e->reorderWei) {
    memory user(e->userWeiMd, eng(), nullptr);
    e->weiReorder = kind == ConvKind::weights ? reorder(e->wei, user) : reorder(user, e->wei);
  }
  slot = std::move(e);
  return *slot;
}

// conv2d(heap, p, x, w, bias|-1, y, act, alpha)                  kind forward
// conv2dBackpropInput(heap, p, dy, w, dx)                         kind data
// conv2dBackpropFilter(heap, p, x, dy, dw)                        kind weights
// Each pointer is checked against the heap; the weights (or the weight gradient) are tfjs's HWIO.
napi_value ConvCall(napi_env env, napi_callback_info info, ConvKind kind) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, kind == ConvKind::forward ? 8 : 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    ConvShape s(p);
    float *src = nullptr, *dst = nullptr, *userWei = nullptr, *bias = nullptr;
    int64_t act = 0;
    float alpha = 0.f;
    switch (kind) {
      case ConvKind::forward:
        src = ptr(a, 2, s.srcSize()); userWei = ptr(a, 3, s.weiSize()); bias = ptr(a, 4, s.oc); dst = ptr(a, 5, s.dstSize());
        act = num(a, 6);
        alpha = static_cast<float>(dbl(a, 7));
        break;
      case ConvKind::data:
        dst = ptr(a, 2, s.dstSize()); userWei = ptr(a, 3, s.weiSize()); src = ptr(a, 4, s.srcSize());
        break;
      case ConvKind::weights:
        src = ptr(a, 2, s.srcSize()); dst = ptr(a, 3, s.dstSize()); userWei = ptr(a, 4, s.weiSize());
        break;
    }
    if (!src || !dst || !userWei) throw JsError{"dlp_native: a convolution needs its two activations and its filter"};
    ConvEntry& e = convEntry(kind, p, s, bias != nullptr, act, alpha);
    memory user(e.userWeiMd, eng(), userWei);
    memory wei = e.reorderWei ? e.wei : user;
    if (e.reorderWei && kind != ConvKind::weights) e.weiReorder.execute(strm(), user, e.wei);
    memory srcMem(e.srcMd, eng(), src), dstMem(e.dstMd, eng(), dst);
    std::unordered_map<int, memory> margs;
    switch (kind) {
      case ConvKind::forward:
        margs = {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dstMem}};
        if (bias) margs.insert({DNNL_ARG_BIAS, memory(e.biasMd, eng(), bias)});
        break;
      case ConvKind::data:
        margs = {{DNNL_ARG_DIFF_SRC, srcMem}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_DST, dstMem}};
        break;
      case ConvKind::weights:
        margs = {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_DIFF_WEIGHTS, wei}, {DNNL_ARG_DIFF_DST, dstMem}};
        break;
    }
    e.prim.execute(strm(), margs);
    if (e.reorderWei && kind == ConvKind::weights) e.weiReorder.execute(strm(), e.wei, user);
    strm().wait();
    return undefinedValue(env);
  });
}

napi_value Conv2D(napi_env env, napi_callback_info info) { return ConvCall(env, info, ConvKind::forward); }
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) { return ConvCall(env, info, ConvKind::data); }
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) { return ConvCall(env, info, ConvKind::weights); }

// ---- matmul -----------------------------------------------------------------------------

struct MatMulEntry {
  matmul prim;
  memory::desc aMd, bMd, cMd, biasMd;
};
std::map<std::vector<int64_t>, std::unique_ptr<MatMulEntry>> matmulCache;

// matmul(heap, p = [batchA, batchB, M, N, K, transposeA, transposeB], a, b, bias|-1, c, act, alpha)
// a is [batchA, M, K] (or [batchA, K, M] transposed), b is [batchB, K, N] (or [batchB, N, K]);
// a batch of 1 broadcasts; bias has N entries.
napi_value MatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 8);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    if (p.size() != 7) throw JsError{"dlp_native: matmul parameters must have 7 entries"};
    int64_t ba = p[0], bb = p[1], m = p[2], n = p[3], k = p[4];
    bool ta = p[5] != 0, tb = p[6] != 0;
    int64_t batch = ba > bb ? ba : bb;
    float* A = ptr(a, 2, ba * m * k);
    float* B = ptr(a, 3, bb * k * n);
    float* bias = ptr(a, 4, n);
    float* C = ptr(a, 5, batch * m * n);
    if (!A || !B || !C) throw JsError{"dlp_native: matmul needs a, b and output"};
    int64_t act = num(a, 6);
    float alpha = static_cast<float>(dbl(a, 7));
    std::vector<int64_t> key = p;
    key.push_back(bias ? 1 : 0);
    key.push_back(act);
    int32_t alphaBits;
    std::memcpy(&alphaBits, &alpha, 4);
    key.push_back(alphaBits);
    auto& slot = matmulCache[key];
    if (!slot) {
      auto e = std::make_unique<MatMulEntry>();
      e->aMd = memory::desc({ba, m, k}, dt::f32, ta ? dims{m * k, 1, m} : dims{m * k, k, 1});
      e->bMd = memory::desc({bb, k, n}, dt::f32, tb ? dims{k * n, 1, k} : dims{k * n, n, 1});
      e->cMd = memory::desc({batch, m, n}, dt::f32, dims{m * n, n, 1});
      e->biasMd = memory::desc({1, 1, n}, dt::f32, dims{n, n, 1});
      primitive_attr attr = activationAttr(act, alpha);
      if (bias) {
        matmul::desc d(e->aMd, e->bMd, e->biasMd, e->cMd);
        e->prim = matmul(matmul::primitive_desc(d, attr, eng()));
      } else {
        matmul::desc d(e->aMd, e->bMd, e->cMd);
        e->prim = matmul(matmul::primitive_desc(d, attr, eng()));
      }
      slot = std::move(e);
    }
    MatMulEntry& e = *slot;
    std::unordered_map<int, memory> margs{
        {DNNL_ARG_SRC, memory(e.aMd, eng(), A)},
        {DNNL_ARG_WEIGHTS, memory(e.bMd, eng(), B)},
        {DNNL_ARG_DST, memory(e.cMd, eng(), C)}};
    if (bias) margs.insert({DNNL_ARG_BIAS, memory(e.biasMd, eng(), bias)});
    e.prim.execute(strm(), margs);
    strm().wait();
    return undefinedValue(env);
  });
}

// ---- pooling ----------------------------------------------------------------------------

// p = [N, IH, IW, C, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR]
struct PoolShape {
  int64_t n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;
  explicit PoolShape(const std::vector<int64_t>& p) {
    if (p.size() != 14) throw JsError{"dlp_native: pool parameters must have 14 entries"};
    n = p[0]; ih = p[1]; iw = p[2]; c = p[3]; oh = p[4]; ow = p[5]; kh = p[6]; kw = p[7];
    sh = p[8]; sw = p[9]; pt = p[10]; pl = p[11]; pb = p[12]; pr = p[13];
  }
  int64_t srcSize() const { return n * ih * iw * c; }
  int64_t dstSize() const { return n * oh * ow * c; }
};

pooling_forward::desc poolDesc(const PoolShape& s, algorithm alg, prop_kind pk) {
  memory::desc src({s.n, s.c, s.ih, s.iw}, dt::f32, tag::nhwc), dst({s.n, s.c, s.oh, s.ow}, dt::f32, tag::nhwc);
  return pooling_forward::desc(pk, alg, src, dst, {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl}, {s.pb, s.pr});
}

struct PoolEntry {
  primitive prim;
  memory::desc srcMd, dstMd;
};
std::map<std::vector<int64_t>, std::unique_ptr<PoolEntry>> poolCache;
std::map<std::vector<int64_t>, std::unique_ptr<PoolEntry>> avgGradCache;

// pool(heap, p, kind (0 max, 1 avg), x, y): forward; average excludes padding, as tfjs does.
napi_value Pool(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    PoolShape s(p);
    int64_t kind = num(a, 2);
    float* x = ptr(a, 3, s.srcSize());
    float* y = ptr(a, 4, s.dstSize());
    if (!x || !y) throw JsError{"dlp_native: pool needs x and output"};
    std::vector<int64_t> key = p;
    key.push_back(kind);
    auto& slot = poolCache[key];
    if (!slot) {
      auto e = std::make_unique<PoolEntry>();
      auto d = poolDesc(s, kind == 0 ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding, prop_kind::forward_inference);
      pooling_forward::primitive_desc pd(d, eng());
      e->prim = pooling_forward(pd);
      e->srcMd = pd.src_desc();
      e->dstMd = pd.dst_desc();
      slot = std::move(e);
    }
    PoolEntry& e = *slot;
    e.prim.execute(strm(), {{DNNL_ARG_SRC, memory(e.srcMd, eng(), x)}, {DNNL_ARG_DST, memory(e.dstMd, eng(), y)}});
    strm().wait();
    return undefinedValue(env);
  });
}

// avgPoolGrad(heap, p, dy, dx): tfjs's AvgPoolGrad divides by the whole window (kh*kw) even
// where it overlaps padding, so this uses oneDNN's include-padding average.
napi_value AvgPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 4);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    PoolShape s(p);
    float* dy = ptr(a, 2, s.dstSize());
    float* dx = ptr(a, 3, s.srcSize());
    if (!dy || !dx) throw JsError{"dlp_native: avgPoolGrad needs dy and output"};
    auto& slot = avgGradCache[p];
    if (!slot) {
      auto e = std::make_unique<PoolEntry>();
      auto fd = poolDesc(s, algorithm::pooling_avg_include_padding, prop_kind::forward_training);
      pooling_forward::primitive_desc hint(fd, eng());
      memory::desc diffSrc({s.n, s.c, s.ih, s.iw}, dt::f32, tag::nhwc), diffDst({s.n, s.c, s.oh, s.ow}, dt::f32, tag::nhwc);
      pooling_backward::desc d(algorithm::pooling_avg_include_padding, diffSrc, diffDst, {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl}, {s.pb, s.pr});
      pooling_backward::primitive_desc pd(d, eng(), hint);
      e->prim = pooling_backward(pd);
      e->srcMd = pd.diff_src_desc();
      e->dstMd = pd.diff_dst_desc();
      slot = std::move(e);
    }
    PoolEntry& e = *slot;
    e.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, memory(e.dstMd, eng(), dy)}, {DNNL_ARG_DIFF_SRC, memory(e.srcMd, eng(), dx)}});
    strm().wait();
    return undefinedValue(env);
  });
}

// maxPoolGrad(heap, p, x, dy, dx): each output cell routes its gradient to the FIRST maximum
// of its window (row-major), as tfjs's cpu backend does; oneDNN's workspace may pick another
// among equal values (common after relu), hence a plain loop, parallel over images.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    PoolShape s(p);
    const float* x = ptr(a, 2, s.srcSize());
    const float* dy = ptr(a, 3, s.dstSize());
    float* dx = ptr(a, 4, s.srcSize());
    if (!x || !dy || !dx) throw JsError{"dlp_native: maxPoolGrad needs x, dy and output"};
    const int64_t H = s.ih, W = s.iw, C = s.c, OH = s.oh, OW = s.ow;
    std::memset(dx, 0, static_cast<size_t>(s.srcSize()) * 4);
    // Per channel: the best value and its offset, updated only on a strictly greater value
    // (the first maximum wins); branch-free over channels so the compiler vectorises it.
    std::vector<float> bestVal(static_cast<size_t>(C));
    std::vector<int32_t> bestAt(static_cast<size_t>(C));
#pragma omp parallel for schedule(static) firstprivate(bestVal, bestAt)
    for (int64_t b = 0; b < s.n; b++) {
      const float* xb = x + b * H * W * C;
      float* dxb = dx + b * H * W * C;
      const float* dyb = dy + b * OH * OW * C;
      float* __restrict bv = bestVal.data();
      int32_t* __restrict bi = bestAt.data();
      for (int64_t oh = 0; oh < OH; oh++) {
        for (int64_t ow = 0; ow < OW; ow++) {
          bool first = true;
          for (int64_t i = 0; i < s.kh; i++) {
            int64_t h = oh * s.sh - s.pt + i;
            if (h < 0 || h >= H) continue;
            for (int64_t j = 0; j < s.kw; j++) {
              int64_t w = ow * s.sw - s.pl + j;
              if (w < 0 || w >= W) continue;
              const int32_t o = static_cast<int32_t>((h * W + w) * C);
              const float* __restrict xv = xb + o;
              if (first) {
                for (int64_t c = 0; c < C; c++) { bv[c] = xv[c]; bi[c] = o; }
                first = false;
              } else {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) {
                  const float v = xv[c], cur = bv[c];
                  const int32_t gt = -static_cast<int32_t>(v > cur);  // all ones where greater
                  bv[c] = v > cur ? v : cur;
                  bi[c] = (o & gt) | (bi[c] & ~gt);
                }
              }
            }
          }
          if (first) continue;  // a window entirely in the padding
          const float* g = dyb + (oh * OW + ow) * C;
          for (int64_t c = 0; c < C; c++) dxb[bi[c] + c] += g[c];
        }
      }
    }
    return undefinedValue(env);
  });
}

// ---- reductions -------------------------------------------------------------------------

// sumLeading(heap, outer, inner, x, y): y[j] = sum_i x[i*inner + j] (a bias gradient).
napi_value SumLeading(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    int64_t outer = num(a, 1), inner = num(a, 2);
    const float* x = ptr(a, 3, outer * inner);
    float* y = ptr(a, 4, inner);
    if (!x || !y) throw JsError{"dlp_native: sumLeading needs x and output"};
    int threads = omp_get_max_threads();
    if (outer < 64 * threads) threads = 1;
    std::vector<float> partial(static_cast<size_t>(threads * inner), 0.f);
#pragma omp parallel num_threads(threads)
    {
      int t = omp_get_thread_num();
      int64_t from = outer * t / threads, to = outer * (t + 1) / threads;
      float* acc = partial.data() + t * inner;
      for (int64_t i = from; i < to; i++) {
        const float* row = x + i * inner;
        for (int64_t j = 0; j < inner; j++) acc[j] += row[j];
      }
    }
    addPartials(partial, threads, inner, y);
    return undefinedValue(env);
  });
}

// ---- elementwise ---------------------------------------------------------------------------

// binary(heap, p = [op, n, m, mode], a, b, out), float32, op 0 add, 1 sub, 2 mul:
// mode 0: a and b both n elements; mode 1: b has m elements, repeated along a (n a multiple of
// m: a bias, a scalar); mode 2: a has m elements, repeated along b. Parallel for large n.
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    if (p.size() != 4) throw JsError{"dlp_native: binary parameters must have 4 entries"};
    const int64_t op = p[0], n = p[1], m = p[2], mode = p[3];
    if (op < 0 || op > 2 || mode < 0 || mode > 2 || m < 1 || (mode != 0 && n % m != 0)) throw JsError{"dlp_native: bad binary parameters"};
    const float* A = ptr(a, 2, mode == 2 ? m : n);
    const float* B = ptr(a, 3, mode == 1 ? m : n);
    float* out = ptr(a, 4, n);
    if (!A || !B || !out) throw JsError{"dlp_native: binary needs a, b and output"};
    const int64_t rows = mode == 0 ? 1 : n / m, cols = mode == 0 ? n : m;
    const int64_t sa = mode == 2 ? 0 : cols, sb = mode == 1 ? 0 : cols;
    // Rows of `cols` elements (the whole tensor as one row when shapes are equal), split over
    // threads by row, or by column chunks when there is one row.
    const int64_t chunk = 16384;
    const int64_t pieces = mode == 0 ? (n + chunk - 1) / chunk : rows;
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t q = 0; q < pieces; q++) {
      const int64_t r = mode == 0 ? 0 : q;
      const int64_t from = mode == 0 ? q * chunk : 0;
      const int64_t to = mode == 0 ? std::min(n, from + chunk) : cols;
      const float* __restrict x = A + r * sa;
      const float* __restrict y = B + r * sb;
      float* __restrict z = out + r * cols;
      switch (op) {
        case 0: for (int64_t j = from; j < to; j++) z[j] = x[j] + y[j]; break;
        case 1: for (int64_t j = from; j < to; j++) z[j] = x[j] - y[j]; break;
        default: for (int64_t j = from; j < to; j++) z[j] = x[j] * y[j]; break;
      }
    }
    return undefinedValue(env);
  });
}

// unary(heap, p = [op, n], alpha, x, out), float32: op 0 relu (x < 0 ? 0 : x, NaN kept),
// 1 step (NaN stays NaN, x > 0 gives 1, else alpha), as tfjs's cpu backend computes them.
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    if (p.size() != 2) throw JsError{"dlp_native: unary parameters must have 2 entries"};
    const int64_t op = p[0], n = p[1];
    if (op < 0 || op > 1) throw JsError{"dlp_native: unknown unary op " + std::to_string(op)};
    const float alpha = static_cast<float>(dbl(a, 2));
    const float* __restrict x = ptr(a, 3, n);
    float* __restrict out = ptr(a, 4, n);
    if (!x || !out) throw JsError{"dlp_native: unary needs x and output"};
    if (op == 0) {
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t j = 0; j < n; j++) out[j] = x[j] < 0.f ? 0.f : x[j];
    } else {
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t j = 0; j < n; j++) out[j] = x[j] != x[j] ? x[j] : (x[j] > 0.f ? 1.f : alpha);
    }
    return undefinedValue(env);
  });
}

// reluGrad(heap, n, dy, x, out): relu's gradient in one pass, out = dy * step(x) exactly as
// tfjs's gradient computes it (step: NaN stays NaN, x > 0 gives 1, else 0).
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    const int64_t n = num(a, 1);
    const float* __restrict dy = ptr(a, 2, n);
    const float* __restrict x = ptr(a, 3, n);
    float* __restrict out = ptr(a, 4, n);
    if (!dy || !x || !out) throw JsError{"dlp_native: reluGrad needs dy, x and output"};
    // step(x) as bits (1.0f where x > 0, x itself where x is NaN, else 0), so the loop vectorises.
    const i32a* __restrict xb = reinterpret_cast<const i32a*>(x);
    const int32_t one = 0x3f800000;
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t j = 0; j < n; j++) {
      const float v = x[j];
      const int32_t bits = (one & -static_cast<int32_t>(v > 0.f)) | (xb[j] & -static_cast<int32_t>(v != v));
      float stepv;
      std::memcpy(&stepv, &bits, 4);
      out[j] = dy[j] * stepv;
    }
    return undefinedValue(env);
  });
}

// reluGradSum(heap, rows, c, dy, x, out, sum): reluGrad's out over [rows, c], and in the same pass
// sum[k] = the sum of out over the rows (a fused conv's bias gradient), each thread summing its
// range of rows in float32 (as sumLeading does) before the ranges are added.
napi_value ReluGradSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 7);
    heapOf(a, 0);
    const int64_t rows = num(a, 1), c = num(a, 2);
    const float* dy = ptr(a, 3, rows * c);
    const float* x = ptr(a, 4, rows * c);
    float* out = ptr(a, 5, rows * c);
    float* sum = ptr(a, 6, c);
    if (!dy || !x || !out || !sum || c < 1) throw JsError{"dlp_native: reluGradSum needs dy, x and two outputs"};
    int threads = omp_get_max_threads();
    if (rows * c < 65536) threads = 1;
    std::vector<float> partial(static_cast<size_t>(threads * c), 0.f);
    const int32_t one = 0x3f800000;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t from = rows * t / nt, to = rows * (t + 1) / nt;
      float* __restrict acc = partial.data() + t * c;
      for (int64_t r = from; r < to; r++) {
        const float* __restrict d = dy + r * c;
        const float* __restrict v = x + r * c;
        const i32a* __restrict vb = reinterpret_cast<const i32a*>(v);
        float* __restrict o = out + r * c;
        for (int64_t k = 0; k < c; k++) {
          const int32_t bits = (one & -static_cast<int32_t>(v[k] > 0.f)) | (vb[k] & -static_cast<int32_t>(v[k] != v[k]));
          float stepv;
          std::memcpy(&stepv, &bits, 4);
          const float g = d[k] * stepv;
          o[k] = g;
          acc[k] += g;
        }
      }
    }
    addPartials(partial, threads, c, sum);
    return undefinedValue(env);
  });
}

// An optimizer update's float operands, from argument `first` on: one per entry of `sizes`
// (its element count: n for a tensor, 1 for a scalar), every one required.
std::vector<float*> operands(Args& a, size_t first, std::initializer_list<int64_t> sizes, const char* what) {
  std::vector<float*> out;
  size_t i = first;
  for (int64_t size : sizes) {
    float* p = ptr(a, i++, size);
    if (!p) throw JsError{std::string("dlp_native: ") + what + " needs every operand"};
    out.push_back(p);
  }
  return out;
}

// adam(heap, n, s = Float32Array [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, -learningRate],
//      value, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2 (float32 scalars), newValue, newM, newV):
// one variable's Adam update, every step in float32 in the order tfjs's AdamOptimizer takes it
// (m' = m*b1 + g*(1-b1), v' = v*b2 + g*g*(1-b2), value + (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps) * -lr),
// so the results are tfjs's to the bit (no fused multiply-add: the addon targets baseline x86-64).
napi_value Adam(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 12);
    heapOf(a, 0);
    const int64_t n = num(a, 1);
    const std::vector<float> sc = floats(a, 2, 6);
    const std::vector<float*> o = operands(a, 3, {n, n, n, n, 1, 1, n, n, n}, "adam");
    const float* __restrict val = o[0];
    const float* __restrict m = o[1];
    const float* __restrict v = o[2];
    const float* __restrict g = o[3];
    float* __restrict outVal = o[6];
    float* __restrict outM = o[7];
    float* __restrict outV = o[8];
    const float c1 = *o[4], c2 = *o[5];
    const float b1 = sc[0], nb1 = sc[1], b2 = sc[2], nb2 = sc[3], eps = sc[4], nlr = sc[5];
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t j = 0; j < n; j++) {
      const float gj = g[j];
      const float m1 = m[j] * b1 + gj * nb1;
      const float gg = gj * gj;
      const float v1 = v[j] * b2 + gg * nb2;
      const float mh = m1 / c1, vh = v1 / c2;
      const float den = std::sqrt(vh) + eps;
      const float step = (mh / den) * nlr;
      outM[j] = m1;
      outV[j] = v1;
      outVal[j] = step + val[j];
    }
    return undefinedValue(env);
  });
}

// rmsprop(heap, n, s = Float32Array [decay, 1 - decay, momentum, learningRate, epsilon],
//         value, ms, mom, g, newValue, newMs, newMom): one variable's (uncentred) RMSprop update,
// float32 steps in the order of tfjs's RMSPropOptimizer (ms' = ms*d + g*g*(1-d),
// mom' = mom*momentum + g*lr / sqrt(ms' + eps), value - mom'), so the results are tfjs's to the bit.
napi_value RmsProp(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 10);
    heapOf(a, 0);
    const int64_t n = num(a, 1);
    const std::vector<float> sc = floats(a, 2, 5);
    const std::vector<float*> o = operands(a, 3, {n, n, n, n, n, n, n}, "rmsprop");
    const float* __restrict val = o[0];
    const float* __restrict ms = o[1];
    const float* __restrict mom = o[2];
    const float* __restrict g = o[3];
    float* __restrict outVal = o[4];
    float* __restrict outMs = o[5];
    float* __restrict outMom = o[6];
    const float d = sc[0], nd = sc[1], mo = sc[2], lr = sc[3], eps = sc[4];
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t j = 0; j < n; j++) {
      const float gj = g[j];
      const float gg = gj * gj;
      const float ms1 = ms[j] * d + gg * nd;
      const float glr = gj * lr;
      const float root = std::sqrt(ms1 + eps);
      const float mom1 = mom[j] * mo + glr / root;
      outMs[j] = ms1;
      outMom[j] = mom1;
      outVal[j] = val[j] - mom1;
    }
    return undefinedValue(env);
  });
}

// ---- embeddings --------------------------------------------------------------------------

// A 32-bit pointer `count` elements long at byte offset argument i (gathers copy bits, any dtype).
int32_t* ptr32(Args& a, size_t i, int64_t count) {
  return reinterpret_cast<int32_t*>(ptr(a, i, count));
}

// gather(heap, p = [batch, outer, dim, inner, perBatch], x, ids, out):
// out[b, o, i, :] = x[b, o, ids[b, i], :] (GatherV2; 32-bit elements). An id outside [0, dim)
// throws before anything is written, so the caller's fallback reports it.
napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    if (p.size() != 5) throw JsError{"dlp_native: gather parameters must have 5 entries"};
    const int64_t batch = p[0], outer = p[1], dim = p[2], inner = p[3], per = p[4];
    const int32_t* x = ptr32(a, 2, batch * outer * dim * inner);
    const int32_t* ids = ptr32(a, 3, batch * per);
    int32_t* out = ptr32(a, 4, batch * outer * per * inner);
    if (!x || !ids || !out) throw JsError{"dlp_native: gather needs x, indices and output"};
    for (int64_t i = 0; i < batch * per; i++) {
      if (ids[i] < 0 || ids[i] >= dim) throw JsError{"dlp_native: gather index " + std::to_string(ids[i]) + " is not in [0, " + std::to_string(dim - 1) + "]"};
    }
    const int64_t rows = batch * outer * per;
    const size_t bytes = static_cast<size_t>(inner) * 4;
#pragma omp parallel for schedule(static) if (rows * inner >= 65536)
    for (int64_t r = 0; r < rows; r++) {
      const int64_t i = r % per, bo = r / per, b = bo / outer;
      std::memcpy(out + r * inner, x + (bo * dim + ids[b * per + i]) * inner, bytes);
    }
    return undefinedValue(env);
  });
}

// segmentSum(heap, p = [n, inner, segments], x, ids, out): out[s, :] = sum of x[i, :] over the
// rows i with ids[i] == s (UnsortedSegmentSum, the gradient of gather); ids outside
// [0, segments) are dropped. Sums accumulate in double (as the cpu backend's do), each thread
// owning a range of segments, so no two threads write one row.
napi_value SegmentSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 5);
    heapOf(a, 0);
    std::vector<int64_t> p = ints(a, 1);
    if (p.size() != 3) throw JsError{"dlp_native: segmentSum parameters must have 3 entries"};
    const int64_t n = p[0], inner = p[1], segments = p[2];
    const float* x = ptr(a, 2, n * inner);
    const int32_t* ids = ptr32(a, 3, n);
    float* out = ptr(a, 4, segments * inner);
    if (!x || !ids || !out) throw JsError{"dlp_native: segmentSum needs x, ids and output"};
    std::vector<double> acc(static_cast<size_t>(segments * inner), 0.0);
    int threads = omp_get_max_threads();
    if (n * inner < 65536) threads = 1;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t from = segments * t / nt, to = segments * (t + 1) / nt;
      for (int64_t i = 0; i < n; i++) {
        const int64_t sg = ids[i];
        if (sg < from || sg >= to) continue;
        double* dst = acc.data() + sg * inner;
        const float* src = x + i * inner;
        for (int64_t k = 0; k < inner; k++) dst[k] += src[k];
      }
      for (int64_t j = from * inner; j < to * inner; j++) out[j] = static_cast<float>(acc[j]);
    }
    return undefinedValue(env);
  });
}

// ---- threads and identity ---------------------------------------------------------------

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = getArgs(env, info, 1);
    int64_t n = num(a, 0);
    if (n < 1) throw JsError{"dlp_native: the thread count must be at least 1"};
    omp_set_num_threads(static_cast<int>(n));
    return undefinedValue(env);
  });
}

napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    const dnnl_version_t* v = dnnl_version();
    napi_value obj, major, minor, patch, threads, isa;
    napi_create_object(env, &obj);
    napi_create_int32(env, v->major, &major);
    napi_create_int32(env, v->minor, &minor);
    napi_create_int32(env, v->patch, &patch);
    napi_create_int32(env, omp_get_max_threads(), &threads);
    const char* isaName = "unknown";
    switch (get_effective_cpu_isa()) {
      case cpu_isa::all: isaName = "none"; break;
      case cpu_isa::sse41: isaName = "sse41"; break;
      case cpu_isa::avx: isaName = "avx"; break;
      case cpu_isa::avx2: isaName = "avx2"; break;
      case cpu_isa::avx512_mic: isaName = "avx512_mic"; break;
      case cpu_isa::avx512_mic_4ops: isaName = "avx512_mic_4ops"; break;
      case cpu_isa::avx512_core: isaName = "avx512_core"; break;
      case cpu_isa::avx512_core_vnni: isaName = "avx512_core_vnni"; break;
      case cpu_isa::avx512_core_bf16: isaName = "avx512_core_bf16"; break;
      case cpu_isa::avx512_core_amx: isaName = "avx512_core_amx"; break;
      case cpu_isa::avx2_vnni: isaName = "avx2_vnni"; break;
      default: break;
    }
    napi_create_string_utf8(env, isaName, NAPI_AUTO_LENGTH, &isa);
    napi_set_named_property(env, obj, "major", major);
    napi_set_named_property(env, obj, "minor", minor);
    napi_set_named_property(env, obj, "patch", patch);
    napi_set_named_property(env, obj, "threads", threads);
    napi_set_named_property(env, obj, "isa", isa);
    return obj;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pool", nullptr, Pool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, AvgPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumLeading", nullptr, SumLeading, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGradSum", nullptr, ReluGradSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsprop", nullptr, RmsProp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"segmentSum", nullptr, SegmentSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
