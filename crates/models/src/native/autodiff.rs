//! The operations under autodiff: LibTorch's forward, and its native kernels as the backward.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, LibTorch};
use burn_tch::TchTensor;

use super::libtorch::BatchNormed;
use super::{ConvOptions, NativeOps, kernels};

impl<C: CheckpointStrategy> NativeOps for Autodiff<LibTorch, C> {
    fn channels_last(x: FloatTensor<Self>) -> FloatTensor<Self> {
        ChannelsLast
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateless(LibTorch::channels_last(x.into_primitive()))
    }

    fn guided_clamped_relu(x: FloatTensor<Self>, max: f64) -> FloatTensor<Self> {
        tracked_clamped_relu::<C, _>(GuidedClampedRelu(max), x, max)
    }

    fn clamped_relu(x: FloatTensor<Self>, max: f64) -> FloatTensor<Self> {
        tracked_clamped_relu::<C, _>(ClampedRelu(max), x, max)
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
fn tracked_clamped_relu<C, B>(
    backward: B,
    x: FloatTensor<Autodiff<LibTorch, C>>,
    max: f64,
) -> FloatTensor<Autodiff<LibTorch, C>>
where
    C: CheckpointStrategy,
    B: Backward<LibTorch, 1, State = TchTensor>,
{
    match backward.prepare::<C>([x.node()]).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let input = x.primitive().clone();
            prep.finish(input, LibTorch::clamped_relu(x.into_primitive(), max))
        }
        OpsKind::UnTracked(prep) => prep.finish(LibTorch::clamped_relu(x.into_primitive(), max)),
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
struct ClampedRelu(f64);

impl Backward<LibTorch, 1> for ClampedRelu {
    type State = TchTensor;

    fn backward(self, ops: Ops<TchTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let x = ops.state;
        unary::<LibTorch, _>(ops.parents, ops.node, grads, |grad| {
            TchTensor::new(x.tensor.hardtanh_backward(&grad.tensor, 0.0, self.0))
        });
    }
}

/// The guided backward: `g · [0 < x < 6] · [g > 0]`.
#[derive(Debug)]
struct GuidedClampedRelu(f64);

impl Backward<LibTorch, 1> for GuidedClampedRelu {
    type State = TchTensor;

    fn backward(self, ops: Ops<TchTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<LibTorch>(&ops.node);
        if let [Some(parent)] = ops.parents {
            let x = &ops.state.tensor;
            let g = &grad.tensor;
            let pass = x.gt(0.0).logical_and(&x.lt(self.0)).logical_and(&g.gt(0.0));
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
