//! The `concord` command: parses arguments and hands over to one subcommand.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
