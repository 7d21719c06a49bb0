//! The rule sandbox, proved through the CLI: a hostile rule cannot read files or the
//! environment, start processes, write anywhere, corrupt the output, or run without bound.
//! Every attempt ends as a rule error located in the rule file (exit code 2), while a
//! well-behaved rule in the same folder still reports its finding.
//!
//! Endless loops, endless recursion, `eval` and string doubling are covered in
//! `tests/check.rs`; this file covers the rest.

mod common;

use common::{Run, concord, line_of};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One agency, one objective and one instrument: enough for the well-behaved rule to
/// report on, and valid so that only the rules can fail.
const WORKSPACE: &str = "\
agencies:
  - { id: MOF, name: Ministry of Finance, kind: ministry, level: central }
objectives:
  - { id: DD, name: Expand domestic demand, domain: domestic_demand }
instruments:
  - id: tradein-subsidy
    name: Trade-in subsidy
    kind: fiscal_subsidy
    owner: MOF
    targets:
      - { objective: DD, effect: 2 }
";

/// The rule that must keep working whatever its neighbours do.
const WELL_BEHAVED: &str =
    "for o in objectives() { report(o.id, `objective \\`${o.id}\\` is seen`); }\n";

/// The line the well-behaved rule's finding prints as.
const WELL_BEHAVED_FINDING: &str = "low[S000/well-behaved]: objective `DD` is seen";

/// Rule time limit in the test workspace: short, so that limits are reached quickly.
const TIMEOUT_MS: u64 = 1000;

/// Longest a run may take before the test calls it a hang and kills it.
const HANG: Duration = Duration::from_secs(60);

fn header(id: &str, name: &str) -> String {
    format!(
        "//! id: {id}\n//! name: {name}\n//! category: gap\n//! severity: low\n//! summary: s\n//! why: w\n//! source: test\n\n"
    )
}

/// A hostile rule: its id, name, and body (after the header).
struct Hostile {
    id: &'static str,
    name: &'static str,
    body: &'static str,
}

impl Hostile {
    fn file(&self) -> String {
        format!("rules/{}-{}.rhai", self.id, self.name)
    }

    fn text(&self) -> String {
        header(self.id, self.name) + self.body
    }
}

/// A folder holding the workspace (`ws/`, with a short rule time limit), the well-behaved
/// rule and the hostile ones (`rules/`).
fn folder(hostile: &[Hostile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ws")).unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("ws/workspace.yaml"), WORKSPACE).unwrap();
    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        format!("rule_timeout_ms: {TIMEOUT_MS}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/S000-well-behaved.rhai"),
        header("S000", "well-behaved") + WELL_BEHAVED,
    )
    .unwrap();
    for h in hostile {
        std::fs::write(dir.path().join(h.file()), h.text()).unwrap();
    }
    dir
}

/// Runs `concord args…` in `dir` with extra environment variables, killing it after
/// `HANG`. Returns the run and whether it had to be killed.
fn run_bounded(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Run, bool) {
    run_program(concord().as_os_str(), dir, args, env)
}

fn run_program(
    program: &std::ffi::OsStr,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Run, bool) {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the concord binary runs");
    // Pipes are drained on their own threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            killed = true;
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    (run, killed)
}

/// Checks the hostile rules in `dir` next to the well-behaved one.
fn check(dir: &Path, extra: &[&str]) -> Run {
    check_with_env(dir, extra, &[])
}

fn check_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec!["check", "ws", "--rules", "rules", "--no-standard-rules"];
    args.extend_from_slice(extra);
    let (run, killed) = run_bounded(dir, &args, env);
    assert!(!killed, "concord did not finish within {HANG:?}");
    run
}

/// A needle for [`assert_contained`] that accepts any line of the rule file.
const ANY_LINE: &str = "";

/// Asserts the shape every contained attempt must have: exit code 2, no panic, the
/// well-behaved rule's finding, and for each hostile rule an error of `code` located on
/// the line of the rule file that holds `needle`.
fn assert_contained(run: &Run, hostile: &[(&Hostile, &str, &str)]) {
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        !run.stderr.contains("panicked"),
        "concord panicked:\n{}",
        run.transcript()
    );
    assert!(
        run.stdout.contains(WELL_BEHAVED_FINDING),
        "the well-behaved rule did not report:\n{}",
        run.transcript()
    );
    assert!(
        run.stdout.contains("1 finding: 0 high, 0 medium, 1 low"),
        "{}",
        run.transcript()
    );
    for (h, code, needle) in hostile {
        // `ANY_LINE` accepts an error anywhere in the rule file.
        let at = if *needle == ANY_LINE {
            format!(" --> {}:", h.file())
        } else {
            let line = header(h.id, h.name).lines().count() as u64 + line_of(h.body, needle);
            format!(" --> {}:{line}:", h.file())
        };
        let block = run
            .stdout
            .split("\n\n")
            .find(|block| block.contains(&at))
            .unwrap_or_else(|| {
                panic!(
                    "no error located at `{at}` for `{needle}`:\n{}",
                    run.transcript()
                )
            });
        assert!(
            block.starts_with(&format!("error[{code}]: ")),
            "expected `error[{code}]` at `{at}`, got:\n{block}"
        );
        assert!(
            block.contains(&format!("rule `{}`", h.id)) || *code == "rule-compile",
            "the error does not name rule `{}`:\n{block}",
            h.id
        );
    }
    let errors = hostile.len();
    assert!(
        run.stdout.contains(&format!(
            "{errors} rule error{}: the check is incomplete",
            if errors == 1 { "" } else { "s" }
        )),
        "{}",
        run.transcript()
    );
}

/// A file outside the rule folder that hostile rules try to reach.
fn bait(dir: &Path) -> PathBuf {
    let path = dir.join("secret.txt");
    std::fs::write(&path, "TOP-SECRET-CONTENT\n").unwrap();
    path
}

#[test]
fn rules_cannot_import_modules_or_reach_eval_through_a_function_pointer() {
    let hostile = [
        Hostile {
            id: "S101",
            name: "import",
            body: "import \"secret\" as s;\nreport(\"DD\", s::text);\n",
        },
        Hostile {
            id: "S102",
            name: "eval-pointer",
            body: "let f = Fn(\"eval\");\nf.call(\"1 + 1\");\n",
        },
        Hostile {
            id: "S103",
            name: "eval-call",
            body: "let x = call(Fn(\"eval\"), \"1 + 1\");\n",
        },
    ];
    let dir = folder(&hostile);
    bait(dir.path());
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-compile", "import"),
            (&hostile[1], "rule-error", "Fn(\"eval\")"),
            (&hostile[2], "rule-error", "call(Fn"),
        ],
    );
    assert!(!run.stdout.contains("TOP-SECRET"), "{}", run.stdout);
}

#[test]
fn rules_have_no_function_that_reads_a_file() {
    let hostile = [
        Hostile {
            id: "S111",
            name: "open",
            body: "let f = open(\"../secret.txt\");\n",
        },
        Hostile {
            id: "S112",
            name: "read-file",
            body: "let text = read_file(\"../secret.txt\");\nreport(\"DD\", text);\n",
        },
        Hostile {
            id: "S113",
            name: "fs-read",
            body: "let text = fs::read(\"../secret.txt\");\n",
        },
        Hostile {
            id: "S114",
            name: "file-open",
            body: "let f = File::open(\"../secret.txt\");\n",
        },
        Hostile {
            id: "S115",
            name: "include",
            body: "let text = include(\"../secret.txt\");\n",
        },
        Hostile {
            id: "S116",
            name: "method",
            body: "let text = \"../secret.txt\".read_to_string();\n",
        },
    ];
    let dir = folder(&hostile);
    bait(dir.path());
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "open("),
            (&hostile[1], "rule-error", "read_file("),
            (&hostile[2], "rule-compile", "fs::read"),
            (&hostile[3], "rule-compile", "File::open"),
            (&hostile[4], "rule-error", "include("),
            (&hostile[5], "rule-error", "read_to_string"),
        ],
    );
    assert!(!run.stdout.contains("TOP-SECRET"), "{}", run.stdout);
    assert!(!run.stderr.contains("TOP-SECRET"), "{}", run.stderr);
}

#[test]
fn rules_cannot_read_the_environment() {
    let hostile = [
        Hostile {
            id: "S121",
            name: "env",
            body: "let home = env(\"CONCORD_SANDBOX_SECRET\");\nreport(\"DD\", home);\n",
        },
        Hostile {
            id: "S122",
            name: "std-env",
            body: "let home = std::env::var(\"CONCORD_SANDBOX_SECRET\");\n",
        },
        Hostile {
            id: "S123",
            name: "getenv",
            body: "let home = getenv(\"CONCORD_SANDBOX_SECRET\");\n",
        },
        Hostile {
            id: "S124",
            name: "interpolate",
            body: "report(\"DD\", `${CONCORD_SANDBOX_SECRET}`);\n",
        },
        Hostile {
            id: "S125",
            name: "variable",
            body: "let seen = is_def_var(\"CONCORD_SANDBOX_SECRET\");\nif !seen { throw \"no such variable\"; }\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check_with_env(
        dir.path(),
        &[],
        &[("CONCORD_SANDBOX_SECRET", "ENV-SECRET-VALUE")],
    );
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "env("),
            (&hostile[1], "rule-compile", "std::env"),
            (&hostile[2], "rule-error", "getenv("),
            (&hostile[3], "rule-compile", "CONCORD_SANDBOX_SECRET"),
            (&hostile[4], "rule-error", "throw"),
        ],
    );
    assert!(!run.stdout.contains("ENV-SECRET-VALUE"), "{}", run.stdout);
    assert!(!run.stderr.contains("ENV-SECRET-VALUE"), "{}", run.stderr);
}

#[test]
fn rules_cannot_start_processes() {
    let hostile = [
        Hostile {
            id: "S131",
            name: "system",
            body: "system(\"touch spawned-system\");\n",
        },
        Hostile {
            id: "S132",
            name: "exec",
            body: "exec(\"touch\", [\"spawned-exec\"]);\n",
        },
        Hostile {
            id: "S133",
            name: "command",
            body: "let c = command(\"touch spawned-command\");\n",
        },
        Hostile {
            id: "S134",
            name: "spawn",
            body: "let c = Command::new(\"touch\");\n",
        },
        Hostile {
            id: "S135",
            name: "shell",
            body: "let cmd = `touch spawned-shell`;\ncmd.run();\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "system("),
            (&hostile[1], "rule-error", "exec("),
            (&hostile[2], "rule-error", "command("),
            (&hostile[3], "rule-compile", "Command::new"),
            (&hostile[4], "rule-error", "cmd.run()"),
        ],
    );
    for name in [
        "spawned-system",
        "spawned-exec",
        "spawned-command",
        "spawned-shell",
    ] {
        assert!(!dir.path().join(name).exists(), "{name} was created");
        assert!(
            !dir.path().join("ws").join(name).exists(),
            "{name} was created"
        );
    }
}

#[test]
fn rules_cannot_write_files() {
    let hostile = [
        Hostile {
            id: "S141",
            name: "write-file",
            body: "write_file(\"written.txt\", \"x\");\n",
        },
        Hostile {
            id: "S142",
            name: "append",
            body: "append_file(\"written.txt\", \"x\");\n",
        },
        Hostile {
            id: "S143",
            name: "save",
            body: "let data = #{ a: 1 };\ndata.save(\"written.txt\");\n",
        },
        Hostile {
            id: "S144",
            name: "blob",
            body: "let b = \"x\".to_blob();\nb.write_to(\"written.txt\");\n",
        },
        Hostile {
            id: "S145",
            name: "overwrite",
            body: "write_file(\"../ws/workspace.yaml\", \"agencies: []\");\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "write_file("),
            (&hostile[1], "rule-error", "append_file("),
            (&hostile[2], "rule-error", "data.save"),
            (&hostile[3], "rule-error", "write_to"),
            (&hostile[4], "rule-error", "write_file("),
        ],
    );
    for place in [dir.path().to_path_buf(), dir.path().join("rules")] {
        assert!(!place.join("written.txt").exists());
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ws/workspace.yaml")).unwrap(),
        WORKSPACE
    );
}

#[test]
fn print_and_debug_are_swallowed_and_leave_machine_output_intact() {
    // `print` and `debug` are not errors: they are routed to nothing, so a rule cannot write
    // into the report that tools parse.
    let chatty = Hostile {
        id: "S151",
        name: "chatty",
        body: "print(\"PRINTED-BY-RULE\");\ndebug(\"DEBUGGED-BY-RULE\");\nprint(\"{\\\"findings\\\": []}\");\nreport(\"DD\", \"after printing\");\n",
    };
    let dir = folder(std::slice::from_ref(&chatty));
    for format in ["json", "sarif", "text"] {
        let run = check(dir.path(), &["--format", format, "--fail-on", "never"]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        for marker in ["PRINTED-BY-RULE", "DEBUGGED-BY-RULE", "{\"findings\": []}"] {
            assert!(!run.stdout.contains(marker), "{format}: {}", run.stdout);
            assert!(!run.stderr.contains(marker), "{format}: {}", run.stderr);
        }
        if format == "text" {
            assert!(run.stdout.contains(WELL_BEHAVED_FINDING), "{}", run.stdout);
            assert!(run.stdout.contains("after printing"), "{}", run.stdout);
        } else {
            let value: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{format} is not JSON ({e}):\n{}", run.stdout));
            let text = value.to_string();
            assert!(text.contains("after printing"), "{text}");
            assert!(text.contains("S000"), "{text}");
        }
    }
}

#[test]
fn rules_cannot_change_what_other_rules_see() {
    let hostile = [
        Hostile {
            id: "S161",
            name: "rename",
            body: "let o = objective(\"DD\");\no.id = \"hijacked\";\n",
        },
        Hostile {
            id: "S162",
            name: "new-field",
            body: "let o = objective(\"DD\");\no.owner = \"hijacked\";\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "o.id ="),
            (&hostile[1], "rule-error", "o.owner ="),
        ],
    );
    assert!(!run.stdout.contains("hijacked`"), "{}", run.stdout);
}

#[test]
fn growing_maps_strings_arrays_and_blobs_is_stopped() {
    let hostile = [
        Hostile {
            id: "S171",
            name: "map-growth",
            body: "let m = #{};\nlet i = 0;\nloop { m[`k${i}`] = i; i += 1; }\n",
        },
        Hostile {
            id: "S172",
            name: "nested-maps",
            body: "let m = #{ a: 1 };\nloop { m = #{ a: m, b: m }; }\n",
        },
        Hostile {
            id: "S173",
            name: "pad",
            // A gigabyte, past the rule's memory limit before anything is allocated.
            body: "let s = \"x\";\ns.pad(1000000000, \"y\");\n",
        },
        Hostile {
            id: "S174",
            name: "append",
            // A kilobyte at a time, so that the size limit comes long before the time limit.
            body: "let chunk = \"0123456789abcdef\";\nfor i in 0..6 { chunk += chunk; }\nlet s = \"\";\nloop { s += chunk; }\n",
        },
        Hostile {
            id: "S175",
            name: "array-doubling",
            body: "let a = [1];\nloop { a += a; }\n",
        },
        Hostile {
            id: "S176",
            name: "array-pad",
            body: "let a = [];\na.pad(100000000, 0);\n",
        },
        Hostile {
            id: "S177",
            name: "blob",
            body: "let b = blob(1000000000);\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    // Map growth one key at a time is slow enough to meet the time limit first; either
    // limit is a located stop.
    let map_code = if run.stdout.contains("rule `S171` ran past its time limit") {
        "rule-timeout"
    } else {
        "rule-limit"
    };
    assert_contained(
        &run,
        &[
            (&hostile[0], map_code, "loop"),
            (&hostile[1], "rule-limit", "loop"),
            (&hostile[2], "rule-limit", "s.pad"),
            (&hostile[3], "rule-limit", "loop"),
            (&hostile[4], "rule-limit", "loop"),
            (&hostile[5], "rule-limit", "a.pad"),
            (&hostile[6], "rule-limit", "blob("),
        ],
    );
    for id in ["S172", "S173", "S174", "S175", "S176", "S177"] {
        assert!(
            run.stdout
                .contains(&format!("rule `{id}` holds more than 512 MiB of values")),
            "{id}: {}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("`limits.rule_memory_mib`"),
        "{}",
        run.stdout
    );
}

#[test]
fn nested_closures_and_callbacks_cannot_recurse_without_bound() {
    let hostile = [
        Hostile {
            id: "S181",
            name: "closure-chain",
            body: "let f = || 1;\nfor i in 0..1000 { let g = f; f = || g.call() + 1; }\nf.call();\n",
        },
        Hostile {
            id: "S182",
            name: "self-call",
            body: "let g = |x, s| s.call(x, s);\ng.call(1, g);\n",
        },
        Hostile {
            id: "S183",
            name: "map-callback",
            body: "fn deeper(n) { [1].map(|x| deeper(n + 1)) }\ndeeper(0);\n",
        },
        Hostile {
            id: "S184",
            name: "closure-in-fn",
            body: "fn deeper(n) { let g = |x| deeper(x + 1); g.call(n) }\ndeeper(0);\n",
        },
        Hostile {
            id: "S185",
            name: "filter-loop",
            body: "let a = [1, 2, 3];\nlet b = a.filter(|x| { loop {} });\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-limit", "f.call()"),
            (&hostile[1], "rule-limit", "g.call(1, g)"),
            (&hostile[2], "rule-limit", "fn deeper"),
            (&hostile[3], "rule-limit", "deeper(0)"),
            (&hostile[4], "rule-timeout", "a.filter"),
        ],
    );
    for id in ["S181", "S182", "S183", "S184"] {
        assert!(
            run.stdout
                .contains(&format!("rule `{id}` nested calls deeper than 48 levels")),
            "{id}: {}",
            run.stdout
        );
    }
}

#[test]
fn arithmetic_and_indexing_faults_are_located_errors() {
    let hostile = [
        Hostile {
            id: "S191",
            name: "overflow",
            body: "let x = 9223372036854775807 + 1;\n",
        },
        Hostile {
            id: "S192",
            name: "division",
            body: "let x = 1 / 0;\n",
        },
        Hostile {
            id: "S193",
            name: "min-over-minus-one",
            body: "let x = (-9223372036854775807 - 1) / -1;\n",
        },
        Hostile {
            id: "S194",
            name: "index",
            body: "let x = [1, 2][5];\n",
        },
        Hostile {
            id: "S195",
            name: "wrong-type",
            body: "let x = acting_on(5, \"high\");\n",
        },
    ];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-error", "9223372036854775807"),
            (&hostile[1], "rule-error", "1 / 0"),
            (&hostile[2], "rule-error", "/ -1"),
            (&hostile[3], "rule-error", "[5]"),
            (&hostile[4], "rule-error", "acting_on"),
        ],
    );
}

/// Runs `concord report` on the sandbox workspace with `template` as the custom template.
fn report_with_template(template: &str) -> (tempfile::TempDir, Run) {
    let dir = folder(&[]);
    bait(dir.path());
    std::fs::write(dir.path().join("t.html"), template).unwrap();
    let (run, killed) = run_bounded(
        dir.path(),
        &[
            "report",
            "ws",
            "--rules",
            "rules",
            "--no-standard-rules",
            "--template",
            "t.html",
            "-o",
            "out.html",
        ],
        &[],
    );
    assert!(!killed, "concord did not finish within {HANG:?}");
    (dir, run)
}

#[test]
fn templates_cannot_read_files() {
    // A template reaches other templates only by name, among the built-in ones; a path is
    // never opened.
    for template in [
        "{% include \"secret.txt\" %}",
        "{% include \"../secret.txt\" %}",
        "{% include \"/etc/passwd\" %}",
        "{% extends \"secret.txt\" %}",
        "{% import \"secret.txt\" as s %}{{ s }}",
        "{% from \"/etc/hostname\" import x %}{{ x }}",
    ] {
        let (dir, run) = report_with_template(template);
        assert_eq!(run.code, 2, "{template}: {}", run.transcript());
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
        assert!(
            run.stderr.contains("error[template]: ") && run.stderr.contains(" --> t.html:1:"),
            "{template}: {}",
            run.transcript()
        );
        assert!(run.stderr.contains("template not found"), "{}", run.stderr);
        assert!(!run.stderr.contains("TOP-SECRET"), "{}", run.stderr);
        assert!(!dir.path().join("out.html").exists(), "{template}");
    }
}

#[test]
fn templates_cannot_recurse_or_repeat_without_bound() {
    for (template, message) in [
        (
            "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
            "recursion limit exceeded",
        ),
        ("{{ \"x\" * 1000000000 }}", "repeated string is too large"),
        ("{{ [1] * 1000000000 }}", "repeated sequence is too large"),
        (
            "{% for i in range(1000000000) %}{% endfor %}",
            "range has too many elements",
        ),
    ] {
        let (dir, run) = report_with_template(template);
        assert_eq!(run.code, 2, "{template}: {}", run.transcript());
        assert!(
            run.stderr.contains(message) && run.stderr.contains(" --> t.html:1:"),
            "{template}: {}",
            run.transcript()
        );
        assert!(!dir.path().join("out.html").exists(), "{template}");
    }
}

/// Rhai's `sort` and `dedup` ignore every error of their comparator; the stop must hold
/// all the same.
fn comparator_rules() -> [Hostile; 3] {
    [
        Hostile {
            id: "S903",
            name: "sort-loop",
            body: "let a = [3, 2, 1];\na.sort(|x, y| { loop {} });\n",
        },
        Hostile {
            id: "S904",
            name: "sort-recursion",
            body: "fn deeper(n) { let a = [5, 4, 3, 2, 1, 0, 9, 8, 7, 6]; a.sort(|x, y| { deeper(n + 1); x - y }); }\ndeeper(0);\n",
        },
        Hostile {
            id: "S905",
            name: "dedup-loop",
            body: "let a = [1, 1, 2];\na.dedup(|x, y| { loop {} });\n",
        },
    ]
}

#[test]
fn a_comparator_cannot_hide_the_time_limit() {
    let hostile = comparator_rules();
    let dir = folder(&hostile);
    let started = Instant::now();
    let run = check(dir.path(), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-timeout", ANY_LINE),
            (&hostile[1], "rule-timeout", ANY_LINE),
            (&hostile[2], "rule-timeout", ANY_LINE),
        ],
    );
}

// Known faults. Each test states the behaviour the sandbox should have; they fail today
// and are ignored until the engine is changed (see docs/security.md).

#[test]
fn sleep_cannot_outlast_the_time_limit() {
    let hostile = [Hostile {
        id: "S901",
        name: "sleep",
        body: "sleep(3600);\n",
    }];
    let dir = folder(&hostile);
    let started = Instant::now();
    let run = check(dir.path(), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_contained(&run, &[(&hostile[0], "rule-error", "sleep(")]);
}

#[test]
fn sleep_with_a_huge_float_does_not_panic() {
    let hostile = [Hostile {
        id: "S902",
        name: "sleep-float",
        body: "sleep(1e300);\n",
    }];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(&run, &[(&hostile[0], "rule-error", "sleep(")]);
}

#[test]
fn a_stop_inside_a_comparator_points_at_the_call() {
    // The comparer hides the stop and the script ends normally, so the stop is placed at
    // the call that hides it (the sort inside `deeper` for the recursive one).
    let hostile = comparator_rules();
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_contained(
        &run,
        &[
            (&hostile[0], "rule-timeout", "a.sort"),
            (&hostile[1], "rule-timeout", "a.sort"),
            (&hostile[2], "rule-timeout", "a.dedup"),
        ],
    );
}

#[test]
fn a_long_chain_of_closures_does_not_overflow_the_stack() {
    // Dropping the chain recurses once per closure; rules run on threads with deep stacks,
    // so the chain is simply built and dropped (it used to abort the process).
    let hostile = [Hostile {
        id: "S906",
        name: "closure-chain",
        body: "let f = || 1;\nfor i in 0..100000 { let g = f; f = || g.call() + 1; }\n",
    }];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert!(run.code == 0 || run.code == 2, "{}", run.transcript());
    assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    assert!(
        run.stdout.contains(WELL_BEHAVED_FINDING),
        "{}",
        run.transcript()
    );
}

#[test]
fn deeply_nested_arrays_do_not_overflow_the_stack() {
    let hostile = [Hostile {
        id: "S910",
        name: "nested-arrays",
        body: "let a = [1];\nlet i = 0;\nwhile i < 50000 { a = [a]; i += 1; }\n",
    }];
    let dir = folder(&hostile);
    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        "rule_timeout_ms: 30000\n",
    )
    .unwrap();
    let run = check(dir.path(), &[]);
    // Each `[a]` copies the whole nest, so the loop runs out of time long before the
    // nesting could exhaust the rule thread's deep stack.
    assert_contained(&run, &[(&hostile[0], "rule-timeout", "while")]);
}

#[test]
fn parse_json_errors_point_at_the_call() {
    // `parse_json` reads a string, not a file: the path is parsed as JSON and fails.
    let hostile = [Hostile {
        id: "S909",
        name: "json",
        body: "let x = 1;\nlet data = parse_json(\"../secret.txt\");\n",
    }];
    let dir = folder(&hostile);
    bait(dir.path());
    let run = check(dir.path(), &[]);
    assert!(!run.stdout.contains("TOP-SECRET"), "{}", run.stdout);
    assert_contained(&run, &[(&hostile[0], "rule-error", "parse_json(")]);
    assert!(
        run.stdout.contains("`parse_json` cannot read its text: ")
            && run
                .stdout
                .contains("unexpected '/' at line 1, column 3 of the text"),
        "{}",
        run.stdout
    );
}

#[test]
fn header_errors_in_crlf_files_show_their_own_line() {
    let dir = folder(&[]);
    let text = "//! id: S911\r\n//! name: crlf\r\n//! category: gap\r\n//! severity: low\r\n//! why: w\r\n//! summary: 名字\r\n//! bogus: x\r\n//! source: t\r\n\r\nlet x = 1;\r\n";
    std::fs::write(dir.path().join("rules/S911-crlf.rhai"), text).unwrap();
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stdout.contains("--> rules/S911-crlf.rhai:7:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("7 | //! bogus: x"),
        "the snippet shows another line:\n{}",
        run.stdout
    );
}

#[test]
fn the_documented_package_function_compiles() {
    // `package` is a reserved word in Rhai, so the function is `reviewed_package`, and the
    // reference says so.
    let api = std::fs::read_to_string(common::root().join("docs/rule-api.md")).unwrap();
    assert!(api.contains("`reviewed_package()`") && !api.contains("`package()`"));
    let hostile = [Hostile {
        id: "S912",
        name: "package",
        body: "let p = reviewed_package();\n",
    }];
    let dir = folder(&hostile);
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}

/// Runs the check under an address-space cap, so that a runaway allocation ends the
/// process instead of exhausting the machine.
#[cfg(unix)]
fn check_with_memory_cap(dir: &Path, kib: u64) -> Run {
    let script =
        format!("ulimit -v {kib} && exec \"$0\" check ws --rules rules --no-standard-rules",);
    let (run, killed) = run_program(
        std::ffi::OsStr::new("sh"),
        dir,
        &["-c", &script, concord().to_str().unwrap()],
        &[],
    );
    assert!(!killed, "concord did not finish within {HANG:?}");
    run
}

#[cfg(unix)]
#[test]
fn a_template_cannot_exhaust_memory() {
    // Fuel counts instructions, and doubling a list or a string 64 times takes few of
    // them; the counted heap ends the run at the memory ceiling instead, set low here so
    // that the test is quick.
    for template in [
        "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
        "{% set ns = namespace(s=\"x\") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    ] {
        let dir = folder(&[]);
        std::fs::write(dir.path().join("t.html"), template).unwrap();
        std::fs::write(
            dir.path().join("ws/concord.yaml"),
            "limits:\n  memory_mib: 256\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("out.html"), "the old report\n").unwrap();
        let script = "ulimit -v 4194304 && exec \"$0\" report ws --rules rules --no-standard-rules --template t.html -o out.html";
        let (run, killed) = run_program(
            std::ffi::OsStr::new("sh"),
            dir.path(),
            &["-c", script, concord().to_str().unwrap()],
            &[],
        );
        assert!(!killed, "concord did not finish within {HANG:?}");
        assert_eq!(run.code, 2, "{template}: {}", run.transcript());
        assert!(
            run.stderr.contains(
                "error: Concord's memory passed its limit of 256 MiB while rendering the template `t.html`"
            ) && run.stderr.contains("`limits.memory_mib`"),
            "{template}: {}",
            run.transcript()
        );
        // The run ended mid-render: the old report is still whole.
        let old = std::fs::read_to_string(dir.path().join("out.html")).unwrap();
        assert_eq!(old, "the old report\n", "{template}");
    }
}

#[cfg(unix)]
#[test]
fn currying_is_refused_because_it_copies_outside_the_limits() {
    // Curried arguments are copied outside Rhai's size limits, so doubling a function
    // pointer grew memory exponentially within a few operations; `curry` does not compile.
    let hostile = [Hostile {
        id: "S907",
        name: "curry",
        body: "let f = Fn(\"x\");\nlet i = 0;\nwhile i < 64 { f = f.curry(f); i += 1; }\n",
    }];
    let dir = folder(&hostile);
    let run = check_with_memory_cap(dir.path(), 4 << 20);
    assert_contained(&run, &[(&hostile[0], "rule-compile", "f.curry(f)")]);
    assert!(
        run.stdout.contains("`curry` is not available to rules"),
        "{}",
        run.transcript()
    );
}

#[cfg(unix)]
#[test]
fn findings_cannot_exhaust_memory() {
    // Findings are kept by the host, outside the script's values, but they are allocated
    // on the rule's thread and count towards its memory, checked at every operation.
    let hostile = [Hostile {
        id: "S908",
        name: "big-findings",
        body: "let s = \"x\";\nfor i in 0..19 { s += s; }\nfor i in 0..10000 { report(\"DD\", s, #{ help: s }); }\n",
    }];
    let dir = folder(&hostile);
    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        "rule_timeout_ms: 60000\n",
    )
    .unwrap();
    let run = check_with_memory_cap(dir.path(), 4 << 20);
    assert_contained(&run, &[(&hostile[0], "rule-limit", "report(")]);
    assert!(
        run.stdout
            .contains("rule `S908` holds more than 512 MiB of values"),
        "{}",
        run.transcript()
    );
    // With a rule allowed more than the whole run, the run's own bound stops it.
    std::fs::write(
        dir.path().join("ws/concord.yaml"),
        "rule_timeout_ms: 60000\nlimits:\n  memory_mib: 256\n  rule_memory_mib: 1024\n",
    )
    .unwrap();
    let run = check_with_memory_cap(dir.path(), 4 << 20);
    assert_contained(&run, &[(&hostile[0], "rule-limit", "report(")]);
    assert!(
        run.stdout.contains(
            "rule `S908` stopped: Concord's memory passed 192 MiB, three quarters of its limit of 256 MiB"
        ),
        "{}",
        run.transcript()
    );
}
