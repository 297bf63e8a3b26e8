//! Safe calls into `kernels.cpp`: LibTorch's native backward kernels.

use std::ffi::{CStr, c_char, c_void};

use tch::Tensor;

use super::ConvOptions;

type Raw = *const c_void;
type Out = *mut *mut c_void;

unsafe extern "C" {
    fn camwatch_convolution_backward(
        grad: Raw,
        input: Raw,
        weight: Raw,
        stride: i64,
        padding: i64,
        groups: i64,
        want_input: bool,
        want_weight: bool,
        grad_input: Out,
        grad_weight: Out,
    ) -> *mut c_char;

    fn camwatch_batch_norm_backward(
        grad: Raw,
        input: Raw,
        weight: Raw,
        mean: Raw,
        inverse_std: Raw,
        epsilon: f64,
        want_input: bool,
        want_weight: bool,
        want_bias: bool,
        grad_input: Out,
        grad_weight: Out,
        grad_bias: Out,
    ) -> *mut c_char;

    fn camwatch_libtorch_version() -> *const c_char;

    fn camwatch_cpu_capability() -> *mut c_char;

    fn free(pointer: *mut c_void);
}

/// The LibTorch version this crate was compiled against (its headers' `TORCH_VERSION`).
pub fn libtorch_version() -> &'static str {
    // SAFETY: a static NUL-terminated string literal.
    let version = unsafe { CStr::from_ptr(camwatch_libtorch_version()) };
    version.to_str().unwrap_or("unknown")
}

/// The CPU kernel set ATen dispatches to: `AVX512`, `AVX2` or `DEFAULT` (the machine's best,
/// or less where the environment variable `ATEN_CPU_CAPABILITY` asks for less).
pub fn cpu_capability() -> String {
    // SAFETY: a `strdup` copy of a NUL-terminated string, freed here once.
    unsafe {
        let raw = camwatch_cpu_capability();
        let capability = CStr::from_ptr(raw).to_string_lossy().into_owned();
        free(raw.cast());
        capability
    }
}

/// Panics with LibTorch's message when a kernel failed (a broken invariant of this crate:
/// shapes and options come from the forward that succeeded).
fn check(error: *mut c_char) {
    if !error.is_null() {
        // SAFETY: the kernel returned a NUL-terminated `strdup` copy, freed here once.
        let message = unsafe { CStr::from_ptr(error) }
            .to_string_lossy()
            .into_owned();
        unsafe { free(error.cast()) };
        panic!("LibTorch backward kernel failed: {message}");
    }
}

/// Takes ownership of the gradients a kernel returned (null where not requested).
fn owned<const N: usize>(raw: [*mut c_void; N]) -> [Option<Tensor>; N] {
    // SAFETY: each non-null pointer is a new `at::Tensor` that nothing else owns.
    raw.map(|pointer| (!pointer.is_null()).then(|| unsafe { Tensor::from_ptr(pointer.cast()) }))
}

fn raw(tensor: &Tensor) -> Raw {
    tensor.as_ptr().cast()
}

/// The input and weight gradients of `x.conv2d(weight)` (bias-free, `options`) for the
/// output gradient `grad`; `None` where `want` is false.
pub(super) fn convolution_backward(
    grad: &Tensor,
    x: &Tensor,
    weight: &Tensor,
    options: ConvOptions,
    want: [bool; 2],
) -> [Option<Tensor>; 2] {
    let mut out = [std::ptr::null_mut(); 2];
    let [grad_input, grad_weight] = out.each_mut().map(|slot| slot as Out);
    // SAFETY: the tensors outlive the call; the out slots are valid for writes.
    check(unsafe {
        camwatch_convolution_backward(
            raw(grad),
            raw(x),
            raw(weight),
            options.stride as i64,
            options.padding as i64,
            options.groups as i64,
            want[0],
            want[1],
            grad_input,
            grad_weight,
        )
    });
    owned(out)
}

/// The input, weight (`gamma`) and bias (`beta`) gradients of training-mode batch norm for the
/// output gradient `grad`, from the batch `mean` and `inverse_std` its forward saved; `None`
/// where `want` is false.
pub(super) fn batch_norm_backward(
    grad: &Tensor,
    x: &Tensor,
    gamma: &Tensor,
    [mean, inverse_std]: [&Tensor; 2],
    epsilon: f64,
    want: [bool; 3],
) -> [Option<Tensor>; 3] {
    let mut out = [std::ptr::null_mut(); 3];
    let [grad_input, grad_weight, grad_bias] = out.each_mut().map(|slot| slot as Out);
    // SAFETY: as in `convolution_backward`.
    check(unsafe {
        camwatch_batch_norm_backward(
            raw(grad),
            raw(x),
            raw(gamma),
            raw(mean),
            raw(inverse_std),
            epsilon,
            want[0],
            want[1],
            want[2],
            grad_input,
            grad_weight,
            grad_bias,
        )
    });
    owned(out)
}
