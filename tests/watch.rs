//! `concord watch`: a save triggers a second run that says what changed, a broken save
//! shows its located error without ending the watch, the next good save recovers, and
//! Ctrl-C ends it cleanly.

mod common;

use common::{concord, run_in};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Waits until the output holds `needle` `count` times, or fails after 30 s.
fn wait_for(output: &Arc<Mutex<String>>, needle: &str, count: usize) {
    let started = Instant::now();
    while output.lock().unwrap().matches(needle).count() < count {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {count}× `{needle}` in:\n{}",
            output.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_save_reruns_the_check_and_ctrl_c_ends_the_watch() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_in(dir.path(), &["init", "ws"]).code, 0);
    let mut child = Command::new(concord())
        .args(["watch", "ws", "--debounce", "100"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = output.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    wait_for(&output, "waiting for changes", 1);
    assert!(output.lock().unwrap().contains("0 findings"));

    let agencies = dir.path().join("ws/agencies.yaml");
    let good = std::fs::read_to_string(&agencies).unwrap();
    std::fs::write(&agencies, format!("{good}  - {{ id: X, name: broken\n")).unwrap();
    wait_for(&output, "waiting for changes", 2);
    {
        let text = output.lock().unwrap();
        assert!(text.contains("[watch] change: ws/agencies.yaml"), "{text}");
        assert!(text.contains("--> ws/agencies.yaml:24:5"), "{text}");
        assert!(text.contains("the watch goes on"), "{text}");
    }

    std::fs::write(&agencies, &good).unwrap();
    wait_for(&output, "waiting for changes", 3);
    let rule = dir
        .path()
        .join("ws/rules/L001-instrument-without-source.rhai");
    let text = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(&rule, text.replace("i.source != ()", "true == false")).unwrap();
    wait_for(&output, "waiting for changes", 4);
    {
        let text = output.lock().unwrap();
        assert_eq!(
            text.matches("0 findings").count(),
            2,
            "recovered after the fix: {text}"
        );
        assert!(
            text.contains("[watch] change: ws/rules/L001-instrument-without-source.rhai"),
            "{text}"
        );
        assert!(
            text.contains("2 findings: 0 high, 0 medium, 2 low"),
            "the edited rule ran: {text}"
        );
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "a mistake never ends the watch"
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Ctrl-C did not end the watch"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(output.lock().unwrap().ends_with("[watch] stopped\n"));
}

#[test]
fn with_report_a_save_rewrites_the_report_and_writing_it_triggers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_in(dir.path(), &["init", "ws"]).code, 0);
    let mut child = Command::new(concord())
        .args([
            "watch",
            "ws",
            "--report",
            "ws/report.md",
            "--debounce",
            "100",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let output = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = output.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    wait_for(&output, "waiting for changes", 1);
    let report = dir.path().join("ws/report.md");
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("0 | 0 | 0 |")
    );

    let instruments = dir.path().join("ws/instruments.yaml");
    let text = std::fs::read_to_string(&instruments).unwrap();
    std::fs::write(
        &instruments,
        text.replace("    source: example package, measure 1\n", ""),
    )
    .unwrap();
    wait_for(&output, "waiting for changes", 2);
    let rewritten = std::fs::read_to_string(&report).unwrap();
    assert!(
        rewritten.contains("L001"),
        "the report shows the new finding"
    );
    // The report lies inside the watched folder; writing it must not start another run.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        output.lock().unwrap().matches("[watch] change:").count(),
        1,
        "{}",
        output.lock().unwrap()
    );

    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert_eq!(status.code(), Some(0));
}
