//! The `unstruct` command: parses flags, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
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
                    eprintln!("unstruct: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
