//! `--format html` opened by a real browser: Debian's Chromium, headless (scripts/test
//! installs it). The page must open, show the summary, and draw every path picture (the test
//! adds a script to a copy of the page that measures each SVG as laid out); the page itself
//! carries no script and loads nothing from elsewhere, and hostile names stay text.

use std::path::Path;
use std::process::Command;

use super::support::run;
use super::terminal_output::{hostile_snapshot, REASON};

const FLEET: [&str; 4] = [
    "fixtures/fleet/123456789012-us-east-1.json",
    "fixtures/fleet/123456789012-eu-west-1.json",
    "fixtures/fleet/210987654321-us-east-1.json",
    "fixtures/fleet/210987654321-eu-west-1.json",
];

fn html_of(snapshots: &[&str]) -> String {
    let mut args = vec!["audit"];
    for snapshot in snapshots {
        args.extend(["--snapshot", snapshot]);
    }
    args.extend(["--format", "html"]);
    let out = run(&args);
    assert!(matches!(out.code, 0 | 3 | 4), "{}", out.stderr);
    out.stdout
}

/// Chromium, headless, on `page`; returns its stdout.
fn chromium(args: &[&str], page: &Path) -> String {
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("chromium is needed (scripts/test installs it): {e}"));
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of `data-NAME` on the body of a dumped DOM.
fn body_attribute(dom: &str, name: &str) -> usize {
    let key = format!("data-{name}=\"");
    let start = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {key} in the DOM"))
        + key.len();
    dom[start..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .expect("a number")
}

#[test]
#[ignore = "needs Debian's chromium (scripts/test installs it)"]
fn the_report_opens_in_chromium_with_its_summary_and_pictures() {
    let html = html_of(&FLEET);
    // Self-contained: no script, nothing fetched.
    assert!(!html.contains("<script"), "the page carries no script");
    assert!(
        !html.contains(" src=") && !html.contains(" href="),
        "nothing from elsewhere"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    // What the browser shows.
    let dom = chromium(&["--dump-dom"], &page);
    assert!(dom.contains("<h2>Summary</h2>"), "{dom}");
    let (_, report) = {
        let mut args = vec!["audit"];
        for snapshot in FLEET {
            args.extend(["--snapshot", snapshot]);
        }
        args.extend(["--format", "json"]);
        let out = run(&args);
        (
            out.code,
            serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    let workloads = report["summary"]["workloads"].as_u64().unwrap();
    assert!(dom.contains(&format!("{workloads} workloads")), "{dom}");
    let root_causes = report["root_causes"].as_array().unwrap();
    for cause in root_causes {
        assert!(dom.contains(cause["code"].as_str().unwrap()));
    }

    // Every picture is laid out with a size and its boxes (measured in the browser).
    let probe = dir.path().join("probe.html");
    let script = r#"<script>
const pictures = [...document.querySelectorAll('svg.path')];
let drawn = 0;
for (const svg of pictures) {
  const box = svg.getBBox();
  if (box.width > 0 && box.height > 0 && svg.querySelectorAll('rect').length > 0) drawn++;
}
document.body.setAttribute('data-pictures', String(pictures.length));
document.body.setAttribute('data-drawn', String(drawn));
</script></body>"#;
    std::fs::write(&probe, html.replace("</body>", script)).unwrap();
    let probed = chromium(&["--dump-dom"], &probe);
    let pictures = body_attribute(&probed, "pictures");
    assert_eq!(pictures as u64, workloads, "a picture per workload");
    assert_eq!(
        body_attribute(&probed, "drawn"),
        pictures,
        "every picture drawn"
    );

    // And a screenshot has something on it.
    let shot = dir.path().join("report.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
        &page,
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "a blank screenshot is a few kB: {size} bytes"
    );
}

#[test]
fn hostile_names_stay_text_in_the_page() {
    let snapshot = hostile_snapshot("rtb-<img src=x onerror=alert(1)>", REASON);
    let html = html_of(&[snapshot.path().to_str().unwrap()]);
    assert!(!html.contains("<img"), "markup in a name is escaped");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains('\u{1b}'), "no terminal escapes in the page");
}
