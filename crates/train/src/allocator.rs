//! glibc's allocator, set up for tensor workloads.

/// Keeps freed memory in the process instead of handing it back to the kernel at once.
///
/// By default glibc serves every allocation over 128 KiB (each activation of a batch) with a
/// fresh `mmap` and unmaps it on free, so every forward pass page-faults its whole working set
/// again; on the 2-core reference machine that made an eval forward up to 3.8× slower (see
/// BENCHMARKS.md). With these settings the heap keeps its peak size, like PyTorch's
/// recommended jemalloc/tcmalloc setups. Same effect as the environment variables
/// `MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=2147483647`.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes two allocator thresholds; it is called before any thread
    // starts and is safe to call at any time in glibc.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// The environment that gives another process (the PyTorch side of a benchmark) the settings
/// of [`keep_freed_memory`].
pub const ENVIRONMENT: [(&str, &str); 2] = [
    ("MALLOC_MMAP_THRESHOLD_", "2147483647"),
    ("MALLOC_TRIM_THRESHOLD_", "2147483647"),
];
