//! Compiles `src/native/kernels.cpp`, the LibTorch backward kernels that `tch`'s C API lacks,
//! against the LibTorch that `torch-sys` links (`LIBTORCH`, as for `torch-sys`).

use std::path::PathBuf;

fn main() {
    const SOURCE: &str = "src/native/kernels.cpp";
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let libtorch = PathBuf::from(
        std::env::var_os("LIBTORCH").expect("LIBTORCH must name LibTorch (see README: make setup)"),
    );
    cc::Build::new()
        .cpp(true)
        .file(SOURCE)
        .include(libtorch.join("include"))
        .include(libtorch.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-D_GLIBCXX_USE_CXX11_ABI=1")
        .warnings(false)
        .compile("camwatch_kernels");
}
