use std::process::ExitCode;

fn main() -> ExitCode {
    train::allocator::keep_freed_memory();
    ExitCode::from(train::main(std::env::args_os()))
}
