//! LibTorch kernels that Burn's portable ops cannot express, behind Burn's backend-extension
//! API. This is the one place that reaches below `Tensor` into LibTorch.
//!
//! - [`channels_last`]: the NHWC memory layout, under which LibTorch runs convolutions through
//!   oneDNN (with batch norm folded, the CAM engine's forward is ~3× faster on a CPU); under
//!   autodiff its backward makes the gradient channels-last as well.
//! - [`relu6`] and [`relu`]: in place where possible, the backward one `hardtanh_backward`
//!   kernel.
//! - [`guided_relu6`] and [`guided_relu`]: ReLU6 / ReLU whose backward passes a gradient only
//!   where the input lies in `(0, 6)` / `(0, ∞)` *and* the incoming gradient is positive
//!   (guided backpropagation).
//! - [`conv2d`] and [`batch_norm_train`]: a bias-free convolution and training-mode batch norm
//!   whose backward is LibTorch's native kernel (`kernels.cpp`), as in PyTorch. Burn's
//!   portable backward computes a depthwise weight gradient with one convolution per channel,
//!   composes batch norm from many small ops, and copies channels-last tensors to
//!   channel-major order and back.
//!
//! All run on the LibTorch device, plain or under autodiff; another backend panics.
#![allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.

mod autodiff;
mod kernels;
mod libtorch;

pub use kernels::{cpu_capability, libtorch_version};
pub use libtorch::ConvOptions;

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::prelude::*;

/// The LibTorch CPU device.
pub fn cpu() -> Device {
    Device::libtorch()
}

/// The LibTorch device of CUDA GPU `index`.
pub fn cuda(index: usize) -> Device {
    Device::libtorch_cuda(index)
}

/// Operations implemented with LibTorch's own kernels.
#[backend_extension(Autodiff, LibTorch)]
pub trait NativeOps: Backend {
    /// The same values in NHWC memory order (a layout change only; shape and values keep).
    fn channels_last(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `clamp(x, 0, max)` with the guided-backpropagation backward.
    fn guided_clamped_relu(x: FloatTensor<Self>, max: f64) -> FloatTensor<Self>;
    /// `clamp(x, 0, max)` (`max` may be infinite) with one fused backward kernel
    /// (`hardtanh_backward`).
    fn clamped_relu(x: FloatTensor<Self>, max: f64) -> FloatTensor<Self>;
    /// Bias-free convolution of `x` `[N, C, H, W]` with `weight` `[C_out, C / groups, k, k]`.
    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions,
    ) -> FloatTensor<Self>;
    /// Training-mode batch norm of `x` `[N, C, H, W]` over its own batch statistics: the
    /// output, and the batch mean and biased variance per channel (for running statistics).
    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// `x` in channels-last (NHWC) memory order; see the module docs.
pub fn channels_last(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::channels_last(x.into_dispatch()))
}

/// ReLU6 whose backward is one LibTorch kernel; see the module docs.
pub fn relu6(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::clamped_relu(
        x.into_dispatch(),
        6.0,
    ))
}

/// ReLU whose backward is one LibTorch kernel; see the module docs.
pub fn relu(x: Tensor<4>) -> Tensor<4> {
    let x = x.into_dispatch();
    Tensor::from_dispatch(<Dispatch as NativeOps>::clamped_relu(x, f64::INFINITY))
}

/// A bias-free convolution with LibTorch's backward; see the module docs.
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, options: ConvOptions) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ))
}

/// The output of training-mode batch norm and the batch's mean and biased variance per
/// channel; see the module docs.
pub fn batch_norm_train(
    x: Tensor<4>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> (Tensor<4>, Tensor<1>, Tensor<1>) {
    let (output, mean, variance) = <Dispatch as NativeOps>::batch_norm_train(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
    );
    (
        Tensor::from_dispatch(output),
        Tensor::from_dispatch(mean),
        Tensor::from_dispatch(variance),
    )
}

/// ReLU6 with the guided-backpropagation backward; see the module docs.
pub fn guided_relu6(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::guided_clamped_relu(
        x.into_dispatch(),
        6.0,
    ))
}

/// ReLU with the guided-backpropagation backward; see the module docs.
pub fn guided_relu(x: Tensor<4>) -> Tensor<4> {
    let x = x.into_dispatch();
    Tensor::from_dispatch(<Dispatch as NativeOps>::guided_clamped_relu(
        x,
        f64::INFINITY,
    ))
}
