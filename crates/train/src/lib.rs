//! The `train` binary: fine-tune MobileNetV2 with a heatmap report after every epoch, and the
//! `explain`, `inspect`, `export` and `generate` commands around it.
//!
//! An image's way through a run: [`data`] scans the folder and decodes each file once (with
//! `cam::preprocess`), `training` fits the model on batches of them, `evaluation` scores the
//! validation split, and `report` explains the mistakes and probes with `cam` and writes the
//! grid and pages into the run's folder (`run_dir`). [`cli`] turns flags into the plain
//! configurations all of these take.

pub mod allocator;
mod audit;
pub mod cli;
mod commands;
pub mod data;
mod device;
mod evaluation;
mod progress;
mod report;
mod run_dir;
mod training;

use cli::{Cli, Command};

pub use audit::{Audit, AuditScope, ClassAttention, audit as audit_attention};
pub use commands::explain::report as explain_report;
pub use commands::gallery::{Gallery, build as gallery};
pub use evaluation::validate;

/// Runs the command line; errors are one line each, ready to print.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => training::fit(&cli.train.config()),
        Some(Command::Explain(args)) => commands::explain::run(&args),
        Some(Command::Gallery(args)) => commands::gallery::run(&args),
        Some(Command::Inspect(args)) => commands::inspect::run(&args),
        Some(Command::Export(args)) => commands::export::run(&args),
        Some(Command::Generate(args)) => commands::generate::run(&args),
    }
}
