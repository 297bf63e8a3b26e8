//! camwatch's integration tests, one binary with a module per capability.

mod cam;
mod checkpoint;
mod model;
mod train;
