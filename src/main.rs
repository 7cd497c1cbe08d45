//! The `unstruct` command: parses flags, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

/// Decoding recurses once per nesting level of the data; a large stack keeps the depth
/// limit (`--max-depth`), not the thread's stack, the thing that stops hostile nesting.
const STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(cli::run);
    let result = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => cli::run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // a closed pipe (`unstruct ... | head`) is not an error
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            match e.downcast_ref::<cli::Failure>() {
                Some(f) => {
                    eprintln!("{f}");
                    f.exit_code()
                }
                None => {
                    eprintln!("unstruct: error: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
