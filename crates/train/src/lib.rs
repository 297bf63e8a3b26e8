//! The `train` binary: fine-tune a classifier (MobileNetV2, the ResNets) with a heatmap report
//! after every epoch, and the
//! commands around it: `explain` (single images), `gallery` (a whole test folder), `watch` (a
//! run trained elsewhere, checkpoint by checkpoint), `inspect` and `export` (checkpoints) and
//! `generate` (the default dataset).
//!
//! An image's way through a run: [`data`] scans the folder and decodes each file once (with
//! `vision`), `training` fits the model on batches of them, and after every epoch the `monitor`
//! validates with `cam`'s maps of every image (`evaluation`), audits shortcuts (`audit`) and
//! has `report` write the grid and pages into the run's folder (`run_dir`); the image
//! `browser`'s files and the background `writer` serve the epoch pages and the gallery alike.
//! [`cli`] turns flags into the plain configurations all of these take.

pub mod allocator;
mod audit;
mod browser;
pub mod cli;
mod commands;
pub mod data;
mod device;
mod diagnosis;
mod evaluation;
mod monitor;
mod progress;
mod report;
mod run_dir;
mod training;
mod writer;

use cli::{Cli, Command};

pub use audit::{Audit, AuditScope, ClassAttention, audit as audit_attention};
pub use commands::explain::{ExplainReport, report as explain_report};
pub use commands::gallery::{Gallery, build as gallery};
pub use evaluation::validate;

/// The `train` binary: parses `args` and runs the command; returns the exit code. Errors are
/// one line each: a flag's value out of range names the flag and what it takes (exit code 2);
/// a failed command says what went wrong and how to fix it (exit code 1). `--help`,
/// `--version` and usage errors are clap's.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    use clap::error::ErrorKind;
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ValueValidation | ErrorKind::InvalidValue
            ) =>
        {
            let rendered = e.render().to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or_default());
            return 2;
        }
        Err(e) => e.exit(),
    };
    match execute(cli) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    }
}

/// Runs the command line; errors are one line each, ready to print.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => training::fit(&cli.train.config()),
        Some(Command::Explain(args)) => commands::explain::run(&args),
        Some(Command::Gallery(args)) => commands::gallery::run(&args),
        Some(Command::Inspect(args)) => commands::inspect::run(&args),
        Some(Command::Export(args)) => commands::export::run(&args),
        Some(Command::Generate(args)) => commands::generate::run(&args),
        Some(Command::Watch(args)) => commands::watch::run(&args),
    }
}
