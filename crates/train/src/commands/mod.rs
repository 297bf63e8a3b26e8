//! The subcommands besides training.

pub mod classifier;
pub mod explain;
pub mod export;
pub mod gallery;
pub mod generate;
pub mod inspect;
pub mod sanity;
pub mod watch;
