// LibTorch's native backward kernels, which the C API of the `tch` crate does not expose.
// Each returns null on success, or a copy of LibTorch's error message (freed by the caller).
// Gradients come back as new tensors owned by the caller, null where not requested.
#include <ATen/ATen.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <cstring>

namespace {

at::Tensor* owned(const at::Tensor& tensor, bool wanted) {
  return wanted ? new at::Tensor(tensor) : nullptr;
}

char* message(const std::exception& error) { return strdup(error.what()); }

}  // namespace

// The backward of a bias-free 2-D convolution with square stride and padding, no dilation.
extern "C" char* camwatch_convolution_backward(
    const at::Tensor* grad, const at::Tensor* input, const at::Tensor* weight, int64_t stride,
    int64_t padding, int64_t groups, bool want_input, bool want_weight, at::Tensor** grad_input,
    at::Tensor** grad_weight) {
  try {
    auto grads = at::convolution_backward(
        *grad, *input, *weight, std::nullopt, {stride, stride}, {padding, padding}, {1, 1},
        false, {0, 0}, groups, {want_input, want_weight, false});
    *grad_input = owned(std::get<0>(grads), want_input);
    *grad_weight = owned(std::get<1>(grads), want_weight);
    return nullptr;
  } catch (const std::exception& error) {
    return message(error);
  }
}

// The backward of training-mode batch norm, from the batch mean and inverse standard deviation
// that its forward (`native_batch_norm`) saved.
extern "C" char* camwatch_batch_norm_backward(
    const at::Tensor* grad, const at::Tensor* input, const at::Tensor* weight,
    const at::Tensor* mean, const at::Tensor* inverse_std, double epsilon, bool want_input,
    bool want_weight, bool want_bias, at::Tensor** grad_input, at::Tensor** grad_weight,
    at::Tensor** grad_bias) {
  try {
    auto grads = at::native_batch_norm_backward(
        *grad, *input, *weight, std::nullopt, std::nullopt, *mean, *inverse_std, true, epsilon,
        {want_input, want_weight, want_bias});
    *grad_input = owned(std::get<0>(grads), want_input);
    *grad_weight = owned(std::get<1>(grads), want_weight);
    *grad_bias = owned(std::get<2>(grads), want_bias);
    return nullptr;
  } catch (const std::exception& error) {
    return message(error);
  }
}

// The LibTorch version these kernels (and the binary) were compiled against.
extern "C" const char* camwatch_libtorch_version() { return TORCH_VERSION; }

// The CPU kernel set ATen dispatches to ("AVX512", "AVX2", "DEFAULT"): the machine's best,
// or less where ATEN_CPU_CAPABILITY asks. A `strdup` copy, freed by the caller.
extern "C" char* camwatch_cpu_capability() { return strdup(at::get_cpu_capability().c_str()); }
