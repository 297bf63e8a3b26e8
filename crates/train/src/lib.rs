//! The `train` binary: fine-tune MobileNetV2 with a Grad-CAM report after every epoch, and
//! the `explain`, `inspect` and `export` commands around it.

pub mod allocator;
pub mod cli;
mod commands;
pub mod data;
mod device;
mod evaluation;
mod progress;
mod report;
mod run;
mod training;

use cli::{Cli, Command};

pub use cli::AuditScope;
pub use commands::explain::report as explain_report;
pub use report::{ClassAttention, audit_attention};

/// Runs the command line; errors are one line each, ready to print.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => training::run(&cli.train),
        Some(Command::Explain(args)) => commands::explain::run(&args),
        Some(Command::Inspect(args)) => commands::inspect::run(&args),
        Some(Command::Export(args)) => commands::export::run(&args),
        Some(Command::Generate(args)) => commands::generate::run(&args),
    }
}
