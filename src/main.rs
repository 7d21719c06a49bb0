//! The `concord` command: parses arguments and hands over to one subcommand.

mod cli;

// Every allocation is counted, so that `limits.memory_mib` bounds the whole process.
#[global_allocator]
static HEAP: concord::memory::Counting = concord::memory::Counting;

fn main() -> std::process::ExitCode {
    concord::memory::govern();
    concord::memory::tune_allocator();
    cli::run()
}
