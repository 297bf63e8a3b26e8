//! camwatch's integration tests, one binary with a module per capability.

mod checkpoint;
mod model;
