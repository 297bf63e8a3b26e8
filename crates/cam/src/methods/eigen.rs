//! Eigen-CAM (Muhammad & Yeasin 2020): `map = A · v₁`, the centred activations projected on
//! their first principal component; no gradients, the same map for every class.

use burn::prelude::*;

/// Power-iteration steps: the top singular vector of a `[h*w, C]` activation matrix converges
/// as `(σ₂/σ₁)^k`, slowly where the first two singular values lie close (64 steps left a map of
/// a squashed photo 3e-3 off pytorch-grad-cam's SVD; 512 leave it 2e-5 off, in about a
/// millisecond at features.18).
const POWER_ITERATIONS: usize = 512;

/// Projects each sample's centred activations `[C, h*w]` on their first principal component,
/// as pytorch-grad-cam's `get_2d_projection` does with an SVD. An SVD's sign is arbitrary
/// (pytorch-grad-cam takes whatever LAPACK returns); camwatch orients the component so that it
/// correlates positively with the summed activations, so the map shows where the layer fires.
pub(super) fn first_component(activations: Tensor<4>) -> Tensor<3> {
    let [b, c, h, w] = activations.dims();
    let x = activations.reshape([b, c, h * w]).swap_dims(1, 2); // [b, hw, c]
    let centred = x.clone() - x.clone().mean_dim(1);
    let xt = centred.clone().swap_dims(1, 2); // [b, c, hw]
    let mut v = Tensor::<3>::ones([b, c, 1], &centred.device());
    for _ in 0..POWER_ITERATIONS {
        v = xt.clone().matmul(centred.clone().matmul(v));
        let norm = v.clone().powi_scalar(2).sum_dim(1).sqrt() + 1e-12;
        v = v / norm;
    }
    let projection = centred.matmul(v); // [b, hw, 1]
    let fired = x.sum_dim(2); // [b, hw, 1]
    let sign = (projection.clone() * fired).sum_dim(1).sign(); // [b, 1, 1]
    let sign = sign.clone() + sign.equal_elem(0.0).float(); // keep the sign when uncorrelated
    (projection * sign).reshape([b, h, w])
}
