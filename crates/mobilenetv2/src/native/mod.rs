//! LibTorch kernels that Burn's portable ops cannot express, behind Burn's backend-extension
//! API. This is the one place that reaches below `Tensor` into LibTorch.
//!
//! - [`channels_last`]: the NHWC memory layout, under which LibTorch runs convolutions through
//!   oneDNN (with batch norm folded, the CAM engine's forward is ~3× faster on a CPU); under
//!   autodiff its backward makes the gradient channels-last as well.
//! - [`relu6`]: ReLU6 in place where possible, its backward one `hardtanh_backward` kernel.
//! - [`guided_relu6`]: ReLU6 whose backward passes a gradient only where the input lies in
//!   `(0, 6)` *and* the incoming gradient is positive (guided backpropagation).
//! - [`conv2d`] and [`batch_norm_train`]: a bias-free convolution and training-mode batch norm
//!   whose backward is LibTorch's native kernel (`kernels.cpp`), as in PyTorch. Burn's
//!   portable backward computes a depthwise weight gradient with one convolution per channel,
//!   composes batch norm from many small ops, and copies channels-last tensors to
//!   channel-major order and back.
//!
//! All run on the LibTorch device, plain or under autodiff; another backend panics.
#![allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.

mod kernels;

pub use kernels::{cpu_capability, libtorch_version};

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, LibTorch, backend_extension};
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

    fn conv2d(x: TchTensor, weight: TchTensor, options: ConvOptions) -> TchTensor {
        TchTensor::new(options.apply(&x.tensor, &weight.tensor))
    }

    fn batch_norm_train(
        x: TchTensor,
        gamma: TchTensor,
        beta: TchTensor,
        epsilon: f64,
    ) -> (TchTensor, TchTensor, TchTensor) {
        let normed = BatchNormed::new(&x, &gamma, &beta, epsilon);
        (normed.output, normed.mean, normed.variance)
    }
}

/// LibTorch's training-mode batch norm: the output, and the batch statistics per channel.
struct BatchNormed {
    output: TchTensor,
    mean: TchTensor,
    /// Biased, for the running statistics.
    variance: TchTensor,
    /// `1 / sqrt(variance + epsilon)`, for the backward.
    inverse_std: TchTensor,
}

impl BatchNormed {
    fn new(x: &TchTensor, gamma: &TchTensor, beta: &TchTensor, epsilon: f64) -> Self {
        let (output, mean, inverse_std) = x.tensor.native_batch_norm(
            Some(&gamma.tensor),
            Some(&beta.tensor),
            None::<&tch::Tensor>,
            None::<&tch::Tensor>,
            true,
            0.0,
            epsilon,
        );
        let variance = inverse_std.square().reciprocal() - epsilon;
        Self {
            output: TchTensor::new(output),
            mean: TchTensor::new(mean),
            variance: TchTensor::new(variance),
            inverse_std: TchTensor::new(inverse_std),
        }
    }
}

/// A square convolution's stride, padding and groups.
#[derive(Debug, Clone, Copy)]
pub struct ConvOptions {
    /// The stride along both axes.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// Channel groups (the input channels for a depthwise convolution).
    pub groups: usize,
}

impl ConvOptions {
    /// LibTorch's convolution of `x` with `weight` under these options.
    fn apply(self, x: &tch::Tensor, weight: &tch::Tensor) -> tch::Tensor {
        let (stride, padding) = (self.stride as i64, self.padding as i64);
        x.conv2d(
            weight,
            None::<&tch::Tensor>,
            [stride, stride],
            [padding, padding],
            [1, 1],
            self.groups as i64,
        )
    }
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

    fn conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions,
    ) -> FloatTensor<Self> {
        let prep = Conv(options)
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful();
        match prep {
            OpsKind::Tracked(prep) => {
                let state = [x.primitive().clone(), weight.primitive().clone()];
                let out = LibTorch::conv2d(x.into_primitive(), weight.into_primitive(), options);
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(LibTorch::conv2d(
                x.into_primitive(),
                weight.into_primitive(),
                options,
            )),
        }
    }

    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let normed = BatchNormed::new(x.primitive(), gamma.primitive(), beta.primitive(), epsilon);
        let prep = BatchNorm(epsilon)
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        // The state holds clones of what Burn holds, so Burn updates none of them in place.
        let output = match prep {
            OpsKind::Tracked(prep) => {
                let state = [x, gamma].map(|t| t.primitive().clone());
                let saved = [normed.mean.clone(), normed.inverse_std];
                prep.finish((state, saved), normed.output)
            }
            OpsKind::UnTracked(prep) => prep.finish(normed.output),
        };
        let untracked = Self::from_inner;
        (output, untracked(normed.mean), untracked(normed.variance))
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

/// A convolution's backward: LibTorch's `convolution_backward`, from the input and weight.
#[derive(Debug)]
struct Conv(ConvOptions);

impl Backward<LibTorch, 2> for Conv {
    type State = [TchTensor; 2];

    fn backward(self, ops: Ops<[TchTensor; 2], 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<LibTorch>(&ops.node);
        let [x, weight] = &ops.state;
        let parents = ops.parents.each_ref().map(|p| p.as_ref().map(|p| p.id));
        let want = parents.map(|p| p.is_some());
        let computed =
            kernels::convolution_backward(&grad.tensor, &x.tensor, &weight.tensor, self.0, want);
        register(grads, parents, computed);
    }
}

/// Training-mode batch norm's backward (with its epsilon): LibTorch's
/// `native_batch_norm_backward`, from the input, gamma and the saved batch statistics.
#[derive(Debug)]
struct BatchNorm(f64);

impl Backward<LibTorch, 3> for BatchNorm {
    /// `[x, gamma]` and `[mean, inverse_std]`.
    type State = ([TchTensor; 2], [TchTensor; 2]);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<LibTorch>(&ops.node);
        let ([x, gamma], [mean, inverse_std]) = &ops.state;
        let parents = ops.parents.each_ref().map(|p| p.as_ref().map(|p| p.id));
        let want = parents.map(|p| p.is_some());
        let saved = [&mean.tensor, &inverse_std.tensor];
        let computed = kernels::batch_norm_backward(
            &grad.tensor,
            &x.tensor,
            &gamma.tensor,
            saved,
            self.0,
            want,
        );
        register(grads, parents, computed);
    }
}

/// Adds each computed gradient to its parent's.
fn register<const N: usize>(
    grads: &mut Gradients,
    parents: [Option<NodeId>; N],
    computed: [Option<tch::Tensor>; N],
) {
    for (parent, gradient) in parents.into_iter().zip(computed) {
        if let (Some(parent), Some(gradient)) = (parent, gradient) {
            grads.register::<LibTorch>(parent, TchTensor::new(gradient));
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
    Tensor::from_dispatch(<Dispatch as NativeOps>::guided_relu6(x.into_dispatch()))
}
