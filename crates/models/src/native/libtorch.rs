//! The operations on LibTorch tensors.

use burn::backend::LibTorch;
use burn_tch::TchTensor;

use super::NativeOps;

impl NativeOps for LibTorch {
    fn channels_last(x: TchTensor) -> TchTensor {
        if x.tensor.dim() != 4 {
            return x;
        }
        let nhwc = x.tensor.permute([0, 2, 3, 1]).contiguous();
        TchTensor::new(nhwc.permute([0, 3, 1, 2]))
    }

    fn guided_clamped_relu(x: TchTensor, max: f64) -> TchTensor {
        Self::clamped_relu(x, max)
    }

    fn clamped_relu(mut x: TchTensor, max: f64) -> TchTensor {
        // In place when nothing else holds the buffer, as Burn's own clamp: a fresh
        // activation-sized buffer per layer costs more than the clamp itself.
        match (x.can_mut(), max.is_finite()) {
            (true, true) => {
                let _ = x.tensor.clamp_(0.0, max);
                x
            }
            (true, false) => {
                let _ = x.tensor.relu_();
                x
            }
            (false, true) => TchTensor::new(x.tensor.clamp(0.0, max)),
            (false, false) => TchTensor::new(x.tensor.relu()),
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
pub(super) struct BatchNormed {
    pub(super) output: TchTensor,
    pub(super) mean: TchTensor,
    /// Biased, for the running statistics.
    pub(super) variance: TchTensor,
    /// `1 / sqrt(variance + epsilon)`, for the backward.
    pub(super) inverse_std: TchTensor,
}

impl BatchNormed {
    pub(super) fn new(x: &TchTensor, gamma: &TchTensor, beta: &TchTensor, epsilon: f64) -> Self {
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
    pub(super) fn apply(self, x: &tch::Tensor, weight: &tch::Tensor) -> tch::Tensor {
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
