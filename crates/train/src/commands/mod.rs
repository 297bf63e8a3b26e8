//! The subcommands besides training.

pub mod classifier;
pub mod explain;
pub mod export;
pub mod generate;
pub mod inspect;
