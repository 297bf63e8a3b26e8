//! LibTorch kernels that Burn's portable ops cannot express, behind Burn's backend-extension
//! API. This is the one place that reaches below `Tensor` into LibTorch.
//!
//! - [`channels_last`]: the NHWC memory layout, under which LibTorch runs convolutions through
//!   oneDNN (with batch norm folded, the CAM engine's forward is ~3× faster on a CPU); under
//!   autodiff its backward makes the gradient channels-last as well.
//! - [`relu6`]: ReLU6 in place where possible, its backward one `hardtanh_backward` kernel.
//! - [`guided_relu6`]: ReLU6 whose backward passes a gradient only where the input lies in
//!   `(0, 6)` *and* the incoming gradient is positive (guided backpropagation).
//! - [`depthwise_conv2d`]: a depthwise convolution whose backward is LibTorch's own (Burn's
//!   portable backward computes the weight gradient with one convolution per channel).
//!
//! All run on the LibTorch device, plain or under autodiff; another backend panics.
#![allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, LibTorch, backend_extension};
use burn::prelude::*;
use burn_tch::TchTensor;

/// Operations implemented with LibTorch's own kernels.
#[backend_extension(Autodiff, LibTorch)]
pub trait NativeOps: Backend {
    /// The same values in NHWC memory order (a layout change only; shape and values keep).
    fn channels_last(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `clamp(x, 0, 6)` with the guided-backpropagation backward.
    fn guided_relu6(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `clamp(x, 0, 6)` with one fused backward kernel (`hardtanh_backward`).
    fn relu6(x: FloatTensor<Self>) -> FloatTensor<Self>;
    /// Bias-free depthwise convolution of `x` `[N, C, H, W]` with `weight` `[C, 1, k, k]`.
    fn depthwise_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self>;
}

impl NativeOps for LibTorch {
    fn channels_last(x: TchTensor) -> TchTensor {
        if x.tensor.dim() != 4 {
            return x;
        }
        let nhwc = x.tensor.permute([0, 2, 3, 1]).contiguous();
        TchTensor::new(nhwc.permute([0, 3, 1, 2]))
    }

    fn guided_relu6(x: TchTensor) -> TchTensor {
        Self::relu6(x)
    }

    fn relu6(mut x: TchTensor) -> TchTensor {
        // In place when nothing else holds the buffer, as Burn's own clamp: a fresh
        // activation-sized buffer per layer costs more than the clamp itself.
        if x.can_mut() {
            let _ = x.tensor.clamp_(0.0, 6.0);
            x
        } else {
            TchTensor::new(x.tensor.clamp(0.0, 6.0))
        }
    }

    fn depthwise_conv2d(
        x: TchTensor,
        weight: TchTensor,
        stride: usize,
        padding: usize,
    ) -> TchTensor {
        TchTensor::new(depthwise(&x.tensor, &weight.tensor, stride, padding))
    }
}

/// LibTorch's depthwise convolution (groups = channels).
fn depthwise(x: &tch::Tensor, weight: &tch::Tensor, stride: usize, padding: usize) -> tch::Tensor {
    let (stride, padding) = (stride as i64, padding as i64);
    x.conv2d(
        weight,
        None::<tch::Tensor>,
        [stride, stride],
        [padding, padding],
        [1, 1],
        weight.size()[0],
    )
}

impl<C: CheckpointStrategy> NativeOps for Autodiff<LibTorch, C> {
    fn channels_last(x: FloatTensor<Self>) -> FloatTensor<Self> {
        ChannelsLast
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateless(LibTorch::channels_last(x.into_primitive()))
    }

    fn guided_relu6(x: FloatTensor<Self>) -> FloatTensor<Self> {
        tracked_relu6::<C, _>(GuidedRelu6, x)
    }

    fn relu6(x: FloatTensor<Self>) -> FloatTensor<Self> {
        tracked_relu6::<C, _>(Relu6, x)
    }

    fn depthwise_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self> {
        let backward = DepthwiseConv { stride, padding };
        match backward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let state = (x.primitive().clone(), weight.primitive().clone());
                let out = LibTorch::depthwise_conv2d(
                    x.into_primitive(),
                    weight.into_primitive(),
                    stride,
                    padding,
                );
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(LibTorch::depthwise_conv2d(
                x.into_primitive(),
                weight.into_primitive(),
                stride,
                padding,
            )),
        }
    }
}

/// ReLU6's forward under autodiff, with `backward` (which receives the input) as its gradient.
fn tracked_relu6<C, B>(
    backward: B,
    x: FloatTensor<Autodiff<LibTorch, C>>,
) -> FloatTensor<Autodiff<LibTorch, C>>
where
    C: CheckpointStrategy,
    B: Backward<LibTorch, 1, State = TchTensor>,
{
    match backward.prepare::<C>([x.node()]).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let input = x.primitive().clone();
            prep.finish(input, LibTorch::relu6(x.into_primitive()))
        }
        OpsKind::UnTracked(prep) => prep.finish(LibTorch::relu6(x.into_primitive())),
    }
}

/// The gradient of a layout change is the incoming gradient, also made channels-last so that
/// the convolutions' backward passes run on oneDNN's NHWC kernels too.
#[derive(Debug)]
struct ChannelsLast;

impl Backward<LibTorch, 1> for ChannelsLast {
    type State = ();

    fn backward(self, ops: Ops<(), 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        unary::<LibTorch, _>(ops.parents, ops.node, grads, LibTorch::channels_last);
    }
}

/// ReLU6's backward in one LibTorch kernel.
#[derive(Debug)]
struct Relu6;

impl Backward<LibTorch, 1> for Relu6 {
    type State = TchTensor;

    fn backward(self, ops: Ops<TchTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let x = ops.state;
        unary::<LibTorch, _>(ops.parents, ops.node, grads, |grad| {
            TchTensor::new(x.tensor.hardtanh_backward(&grad.tensor, 0.0, 6.0))
        });
    }
}

/// The guided backward: `g · [0 < x < 6] · [g > 0]`.
#[derive(Debug)]
struct GuidedRelu6;

impl Backward<LibTorch, 1> for GuidedRelu6 {
    type State = TchTensor;

    fn backward(self, ops: Ops<TchTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<LibTorch>(&ops.node);
        if let [Some(parent)] = ops.parents {
            let x = &ops.state.tensor;
            let g = &grad.tensor;
            let pass = x.gt(0.0).logical_and(&x.lt(6.0)).logical_and(&g.gt(0.0));
            grads.register::<LibTorch>(parent.id, TchTensor::new(g * pass));
        }
    }
}

/// The depthwise convolution's backward, by LibTorch's autograd on a recomputed forward: its
/// native kernels give the input and weight gradients in one pass each.
#[derive(Debug)]
struct DepthwiseConv {
    stride: usize,
    padding: usize,
}

impl Backward<LibTorch, 2> for DepthwiseConv {
    type State = (TchTensor, TchTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<LibTorch>(&ops.node);
        let (x, weight) = ops.state;
        let [x_parent, weight_parent] = ops.parents;
        let x = x.tensor.detach().set_requires_grad(x_parent.is_some());
        let weight = weight
            .tensor
            .detach()
            .set_requires_grad(weight_parent.is_some());
        let y = depthwise(&x, &weight, self.stride, self.padding);
        // The gradient of sum(y · g) with respect to the inputs is the backward of g.
        let seed = (y * grad.tensor.detach()).sum(tch::Kind::Float);
        let inputs: Vec<&tch::Tensor> = [(&x, &x_parent), (&weight, &weight_parent)]
            .into_iter()
            .filter(|(_, parent)| parent.is_some())
            .map(|(tensor, _)| tensor)
            .collect();
        let computed = tch::Tensor::run_backward(&[seed], &inputs, false, false);
        for (parent, gradient) in [x_parent, weight_parent]
            .into_iter()
            .flatten()
            .zip(computed)
        {
            grads.register::<LibTorch>(parent.id, TchTensor::new(gradient));
        }
    }
}

/// `x` in channels-last (NHWC) memory order; see the module docs.
pub fn channels_last(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::channels_last(x.into_dispatch()))
}

/// ReLU6 whose backward is one LibTorch kernel; see the module docs.
pub fn relu6(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::relu6(x.into_dispatch()))
}

/// Depthwise (groups = channels), bias-free convolution with LibTorch's backward; see the
/// module docs.
pub fn depthwise_conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    stride: usize,
    padding: usize,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::depthwise_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        stride,
        padding,
    ))
}

/// ReLU6 with the guided-backpropagation backward; see the module docs.
pub fn guided_relu6(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::guided_relu6(x.into_dispatch()))
}
