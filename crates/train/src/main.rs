use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    train::allocator::keep_freed_memory();
    match train::execute(train::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: what went wrong and, in the message, how to fix it.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
