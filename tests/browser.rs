//! The HTML report in a real browser: headless Chromium renders the report of `policies/`,
//! runs its script, and must show the graph, tables and charts, filter the findings, and
//! attempt no network request (every request is routed to a local proxy that records it).

mod common;

use common::{root, run_in};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The browser, or `None` with a message; in CI (where `.ci/run` installs it) its absence
/// is a failure, not a skip.
fn browser_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing; `.ci/run` installs it with apt"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// A proxy that answers nothing and records the first line of every request it receives.
struct Proxy {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, done) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut line = String::new();
                        let _ = BufReader::new(stream).read_line(&mut line);
                        seen.lock().unwrap().push(line.trim().to_owned());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy {
            port,
            requests,
            stop,
        }
    }

    /// Requests the page made. Chromium itself calls home (component updates, sign-in,
    /// network time) whatever the flags; those service hosts are set aside by name, and
    /// none of them is anything a report would load.
    fn requests(&self) -> Vec<String> {
        const BROWSER_SERVICES: [&str; 8] = [
            "update.googleapis.com",
            "accounts.google.com",
            "clients2.google.com",
            "redirector.gvt1.com",
            "edgedl.me.gvt1.com",
            "safebrowsing.googleapis.com",
            "optimizationguide-pa.googleapis.com",
            "content-autofill.googleapis.com",
        ];
        let host = |line: &str| {
            let target = line.split(' ').nth(1).unwrap_or("");
            let target = target
                .trim_start_matches("http://")
                .trim_start_matches("https://");
            let end = target.find(['/', ':']).unwrap_or(target.len());
            target[..end].to_owned()
        };
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|line| !BROWSER_SERVICES.contains(&host(line).as_str()))
            .cloned()
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Loads `url` in headless Chromium behind `proxy` and returns the DOM after scripts ran.
fn render(browser: &Path, url: &str, proxy: &Proxy) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-pings",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{}", proxy.port))
        // Even loopback goes through the proxy, so nothing can slip past it.
        .arg("--proxy-bypass-list=<-loopback>")
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut dom);
        dom
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

fn report(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("r.html");
    let policies = root().join("policies");
    let mut args = vec![
        "report",
        policies.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = run_in(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    out
}

/// The rows of the findings table in the rendered DOM, as (opening tag, hidden).
fn finding_rows(dom: &str) -> Vec<(String, bool)> {
    dom.split("<tr data-severity=")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            (tag.to_owned(), tag.contains(" hidden"))
        })
        .collect()
}

#[test]
fn chromium_renders_the_report_filters_findings_and_fetches_nothing() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = report(dir.path(), &[]);
    let url = format!("file://{}", file.display());
    let proxy = Proxy::start();

    let dom = render(&browser, &url, &proxy);
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script ran: {dom:.300}"
    );
    assert!(!dom.contains("data-blocked"), "a request was blocked");
    assert!(dom.contains("<svg id=\"graph\""));
    assert_eq!(dom.matches("<g class=\"node ").count(), 146);
    assert!(dom.matches("<path class=\"edge ").count() > 200);
    for table in [
        "findings",
        "coverage",
        "cross-impact",
        "claims",
        "by-category",
    ] {
        assert!(dom.contains(&format!("<table id=\"{table}\"")), "{table}");
    }
    assert_eq!(dom.matches("<polyline class=\"series\"").count(), 7);
    let rows = finding_rows(&dom);
    assert_eq!(rows.len(), 49);
    assert!(
        rows.iter().all(|r| !r.1),
        "nothing is hidden before filtering"
    );
    assert!(dom.contains("49 of 49 shown"));

    // The filters read the address, so a link can carry them; the same code runs on change.
    let dom = render(
        &browser,
        &format!("{url}#severity=high&category=conflict"),
        &proxy,
    );
    let rows = finding_rows(&dom);
    let shown: Vec<&String> = rows.iter().filter(|r| !r.1).map(|r| &r.0).collect();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(
        shown
            .iter()
            .all(|t| t.starts_with("\"high\"") && t.contains("data-category=\"conflict\""))
    );
    assert!(dom.contains("4 of 49 shown"));

    let dom = render(&browser, &format!("{url}#agency=ZJ"), &proxy);
    let shown: Vec<(String, bool)> = finding_rows(&dom).into_iter().filter(|r| !r.1).collect();
    assert_eq!(shown.len(), 3);
    assert!(shown.iter().all(|r| r.0.contains(" ZJ ")));

    assert_eq!(
        proxy.requests(),
        Vec::<String>::new(),
        "no request may leave the page"
    );
}

#[test]
fn the_proxy_would_see_a_request_and_the_page_policy_blocks_one_in_a_custom_template() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start();

    // Without Concord's page policy, an image from elsewhere reaches the proxy: the check
    // above is able to fail.
    std::fs::write(
        dir.path().join("leaky.html"),
        "<html><body><img src=\"http://tracker.invalid/pixel.png\"></body></html>",
    )
    .unwrap();
    let leaky = report(dir.path(), &["--template", "leaky.html"]);
    render(&browser, &format!("file://{}", leaky.display()), &proxy);
    let seen = proxy.requests();
    assert!(
        seen.iter().any(|r| r.contains("tracker.invalid")),
        "{seen:?}"
    );

    // A template that extends the built-in one keeps its policy, so the same image is
    // blocked before any request is made.
    let proxy = Proxy::start();
    std::fs::write(
        dir.path().join("extended.html"),
        "{% extends \"concord/report.html\" %}{% block footer %}<img src=\"http://tracker.invalid/pixel.png\">{% endblock %}",
    )
    .unwrap();
    let extended = report(dir.path(), &["--template", "extended.html"]);
    let dom = render(&browser, &format!("file://{}", extended.display()), &proxy);
    assert!(dom.contains("data-ready=\"yes\""));
    assert_eq!(proxy.requests(), Vec::<String>::new());
}
