//! `concord watch`: re-run `check` (or rewrite the report) whenever a workspace file, a
//! rule, `concord.yaml` or the report template changes. A broken save shows its located
//! error and the next good one recovers; only Ctrl-C ends the watch.

use super::output::same_file;
use super::{Outcome, check, exit, report};
use concord::render::diagnostics::Style;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[group(id = "watch")]
pub struct Args {
    #[command(flatten)]
    check: check::Args,
    /// Rewrite this report (HTML or Markdown, by its extension) instead of printing findings.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The template of `--report` (watched too).
    #[arg(long, value_name = "FILE", requires = "report")]
    template: Option<PathBuf>,
    /// How long to wait for a burst of saves to settle, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    debounce: u64,
}

/// Files whose change calls for a new run.
fn relevant(path: &Path, args: &Args) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // Editors' and Concord's own temporary files, and the report being written.
    if name.starts_with('.') || name.ends_with('~') || same_file(path, args.report.as_deref()) {
        return false;
    }
    path.extension()
        .is_some_and(|e| e == "yaml" || e == "yml" || e == "rhai")
        || same_file(path, args.template.as_deref())
}

/// Folders and files to watch: the workspace, the rule folders (standard library on disk,
/// `concord.yaml`'s and `--rules`), and the template.
fn targets(args: &Args) -> Vec<(PathBuf, RecursiveMode)> {
    let mut out: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    for path in super::paths_or_here(args.check.paths.clone()) {
        if path.is_dir() {
            out.push((path, RecursiveMode::Recursive));
        } else {
            // Editors often replace a file on save; its folder sees that, the file may not.
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            out.push((parent, RecursiveMode::NonRecursive));
        }
    }
    let ws = concord::workspace::load(
        &super::paths_or_here(args.check.paths.clone()),
        &concord::load::ReadLimits::default(),
    );
    let options = concord::check::CheckOptions {
        rule_folders: args.check.rules.clone(),
        no_standard_rules: args.check.no_standard_rules,
        ..Default::default()
    };
    if let Ok(folders) = concord::check::rule_folders(&ws, &options) {
        out.extend(
            folders
                .into_iter()
                .filter(|f| f.is_dir())
                .map(|f| (f, RecursiveMode::Recursive)),
        );
    }
    if let Some(parent) = args.template.as_deref().and_then(Path::parent) {
        let parent = if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        };
        out.push((parent, RecursiveMode::NonRecursive));
    }
    out
}

/// Adds the relevant files of one event to `changed`. Reading a file is an event too on
/// some systems; only creation, change and removal count, or each run would start the next.
fn collect(event: notify::Result<notify::Event>, args: &Args, changed: &mut BTreeSet<String>) {
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            println!("[watch] warning: {e}");
            return;
        }
    };
    let counts = match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(kind) => !matches!(kind, notify::event::ModifyKind::Metadata(_)),
        _ => false,
    };
    if counts {
        changed.extend(
            event
                .paths
                .iter()
                .filter(|p| relevant(p, args))
                .map(|p| concord::load::display_path(p)),
        );
    }
}

fn run_once(args: &Args, style: Style) -> Outcome {
    match &args.report {
        None => check::run(args.check.clone(), style),
        Some(file) => {
            let c = &args.check;
            report::run(
                report::Args {
                    paths: c.paths.clone(),
                    package: c.package.clone(),
                    format: None,
                    output: Some(file.clone()),
                    template: args.template.clone(),
                    rules: c.rules.clone(),
                    no_standard_rules: c.no_standard_rules,
                    select: c.select.clone(),
                    ignore: c.ignore.clone(),
                    today: c.today,
                },
                style,
            )
        }
    }
}

fn show(outcome: &Outcome) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(outcome.stdout.as_bytes());
    let _ = out.write_all(outcome.stderr.as_bytes());
    let verdict = match outcome.code {
        exit::OK => "ok".to_owned(),
        exit::FINDINGS => "findings reach the failure threshold".to_owned(),
        _ => "errors: fix them and save; the watch goes on".to_owned(),
    };
    let _ = writeln!(
        out,
        "[watch] {verdict}; waiting for changes (Ctrl-C to stop)"
    );
    let _ = out.flush();
}

/// Starts watching whatever `targets` names that is not watched yet.
fn watch_new(
    watcher: &mut dyn Watcher,
    watched: &mut BTreeSet<PathBuf>,
    args: &Args,
) -> Result<(), String> {
    for (path, mode) in targets(args) {
        let key = path.canonicalize().unwrap_or(path.clone());
        if watched.contains(&key) {
            continue;
        }
        watcher
            .watch(&path, mode)
            .map_err(|e| format!("cannot watch `{}`: {e}", path.display()))?;
        watched.insert(key);
    }
    Ok(())
}

pub fn run(args: Args, style: Style) -> Outcome {
    let fail = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: exit::BAD_INPUT,
        ..Default::default()
    };
    for path in super::paths_or_here(args.check.paths.clone()) {
        if !path.exists() {
            return fail(format!("`{}` does not exist", path.display()));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        return fail(format!("cannot catch Ctrl-C: {e}"));
    }
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => return fail(format!("cannot watch files: {e}")),
    };
    let mut watched = BTreeSet::new();
    if let Err(message) = watch_new(&mut watcher, &mut watched, &args) {
        return fail(message);
    }
    println!("[watch] first run");
    show(&run_once(&args, style));
    // When the last run ended, until its memory is given back: a second after it, since its
    // largest parts are freed on threads of their own.
    let mut ran_at = Some(std::time::Instant::now());
    let settle = Duration::from_millis(args.debounce.max(10));
    while !stop.load(Ordering::SeqCst) {
        let mut changed = BTreeSet::new();
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => collect(event, &args, &mut changed),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if ran_at.is_some_and(|t| t.elapsed() >= Duration::from_secs(1)) {
                    concord::memory::give_back();
                    ran_at = None;
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        // A save is often several events (truncate, write, rename): wait for them to settle.
        while let Ok(event) = rx.recv_timeout(settle) {
            collect(event, &args, &mut changed);
        }
        if changed.is_empty() || stop.load(Ordering::SeqCst) {
            continue;
        }
        println!(
            "\n[watch] change: {}",
            changed.into_iter().collect::<Vec<_>>().join(", ")
        );
        show(&run_once(&args, style));
        ran_at = Some(std::time::Instant::now());
        // `concord.yaml` may have named another rule folder.
        if let Err(message) = watch_new(&mut watcher, &mut watched, &args) {
            println!("[watch] warning: {message}");
        }
    }
    Outcome {
        stdout: "[watch] stopped\n".into(),
        ..Default::default()
    }
}
