//! `concord init [DIR]`: scaffold a workspace that validates and checks as it is, with
//! comments that teach the format, an example rule and its fixtures.

use super::{Outcome, exit};
use concord::scaffold;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to create or fill (default: the current folder).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

/// Lists what was created and what was kept, as `concord init` and `rules new` print it.
pub fn summary(outcomes: &[scaffold::Outcome]) -> (String, usize) {
    let mut out = String::new();
    let mut created = 0;
    for outcome in outcomes {
        match outcome {
            scaffold::Outcome::Created(path) => {
                created += 1;
                out.push_str(&format!("created {}\n", path.display()));
            }
            scaffold::Outcome::Kept(path) => {
                out.push_str(&format!(
                    "kept    {} (it exists; not overwritten)\n",
                    path.display()
                ));
            }
        }
    }
    (out, created)
}

pub fn run(args: Args) -> Outcome {
    match scaffold::write(&args.dir, &scaffold::workspace()) {
        Ok(outcomes) => {
            let (mut stdout, created) = summary(&outcomes);
            let dir = args.dir.display();
            if created == 0 {
                stdout.push_str(&format!(
                    "nothing to do: every file of the starter workspace is already in `{dir}`\n"
                ));
            } else {
                stdout.push_str(&format!(
                    "\nnext: `concord check {dir}`, then read {} for more to try\n",
                    args.dir.join("README.md").display()
                ));
            }
            Outcome {
                stdout,
                ..Default::default()
            }
        }
        Err(e) => Outcome {
            stderr: format!(
                "error: cannot write the workspace in `{}`: {}\n",
                args.dir.display(),
                e.to_string().to_lowercase()
            ),
            code: exit::BAD_INPUT,
            ..Default::default()
        },
    }
}
