//! `concord gen`: write a synthetic workspace of a given size, for benchmarks and trials.

use super::{Outcome, exit};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of instruments.
    #[arg(long, default_value_t = 10_000)]
    instruments: usize,
    /// Seed for the random choices; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder to write into (created if missing; existing files are never overwritten).
    #[arg(long, value_name = "DIR")]
    output: PathBuf,
}

pub fn run(args: Args) -> Outcome {
    let files =
        concord::generate::workspace(&concord::generate::Spec::new(args.instruments, args.seed));
    let fail = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        return fail(format!(
            "cannot create `{}`: {}",
            args.output.display(),
            e.to_string().to_lowercase()
        ));
    }
    for file in &files {
        let path = args.output.join(&file.name);
        if path.exists() {
            return fail(format!(
                "`{}` exists; choose an empty folder",
                path.display()
            ));
        }
        if let Err(e) = std::fs::write(&path, &file.text) {
            return fail(format!(
                "cannot write `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            ));
        }
    }
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    Outcome {
        stdout: format!(
            "wrote {} files ({} bytes) with {} instruments to `{}`\n",
            files.len(),
            bytes,
            args.instruments,
            args.output.display()
        ),
        ..Default::default()
    }
}
