//! Shell completions, man pages and `--version`, checked by the programs that read them: bash,
//! zsh and fish load the completion scripts and complete with them; groff renders the man
//! pages with every warning on.
//!
//! The shells and groff are `#[ignore]`d tests: `scripts/test` installs zsh, fish and groff and
//! runs them (`--include-ignored`), and there a missing program fails the test.

use std::path::Path;
use std::process::Command;

use super::support::{audit_json, run};

/// Writes `pullpath completions SHELL` to a file in `dir`.
fn completion_script(shell: &str, dir: &Path) -> std::path::PathBuf {
    let generated = run(&["completions", shell]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    assert!(!generated.stdout.is_empty());
    let path = dir.join(format!("pullpath.{shell}"));
    std::fs::write(&path, generated.stdout).expect("script written");
    path
}

/// Runs `program args…`; panics (naming how to install it) when the program is missing.
fn output_of(program: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed for this test (scripts/test installs it): {e}")
        });
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_version_names_the_schema_version_reports_carry() {
    let version = run(&["--version"]);
    assert_eq!(version.code, 0);
    let (_, report) = audit_json("healthy-nat.json");
    let schema = report["schema_version"].as_u64().expect("schema_version");
    assert_eq!(
        version.stdout.trim(),
        format!(
            "pullpath {} (report schema version {schema})",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn bash_completes_commands_and_options() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = completion_script("bash", dir.path());
    let complete = |words: &str, current: usize| {
        let program = format!(
            "source '{}' && COMP_WORDS=({words}) && COMP_CWORD={current} && COMP_LINE='{words}' && COMP_POINT=${{#COMP_LINE}} && _pullpath pullpath && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let (ok, stdout, stderr) = output_of("bash", &["-c", &program]);
        assert!(ok, "bash: {stderr}");
        stdout
    };
    let commands = complete("pullpath ''", 1);
    for command in [
        "audit",
        "collect",
        "explain",
        "diagnose",
        "what-if",
        "completions",
        "man",
    ] {
        assert!(
            commands.lines().any(|l| l == command),
            "{command} in {commands}"
        );
    }
    let options = complete("pullpath audit --fo", 2);
    assert!(options.lines().any(|l| l == "--format"), "{options}");
    assert!(options.lines().any(|l| l == "--fail-on"), "{options}");
}

#[test]
#[ignore = "needs zsh (scripts/test installs it)"]
fn zsh_loads_the_completion_function() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = completion_script("zsh", dir.path());
    let (ok, _, stderr) = output_of("zsh", &["-n", script.to_str().unwrap()]);
    assert!(ok, "zsh -n: {stderr}");
    // compinit registers the script's #compdef line: pullpath completes with _pullpath.
    let program = format!(
        "fpath=('{}' $fpath); autoload -Uz compinit; compinit -u -d '{}/zcompdump'; print -r -- $_comps[pullpath]",
        dir.path().display(),
        dir.path().display()
    );
    std::fs::rename(&script, dir.path().join("_pullpath")).expect("renamed");
    let (ok, stdout, stderr) = output_of("zsh", &["-f", "-c", &program]);
    assert!(ok, "zsh: {stderr}");
    assert_eq!(stdout.trim(), "_pullpath", "{stderr}");
}

#[test]
#[ignore = "needs fish (scripts/test installs it)"]
fn fish_completes_commands_and_options() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = completion_script("fish", dir.path());
    let (ok, _, stderr) = output_of("fish", &["--no-execute", script.to_str().unwrap()]);
    assert!(ok, "fish --no-execute: {stderr}");
    let complete = |line: &str| {
        let program = format!("source '{}'; complete -C '{line}'", script.display());
        let (ok, stdout, stderr) = output_of("fish", &["--no-config", "-c", &program]);
        assert!(ok, "fish: {stderr}");
        stdout
    };
    let commands = complete("pullpath ");
    for command in ["audit", "what-if", "completions", "man"] {
        assert!(
            commands
                .lines()
                .any(|l| l.split('\t').next() == Some(command)),
            "{command} in {commands}"
        );
    }
    let options = complete("pullpath audit --for");
    assert!(
        options.lines().any(|l| l.starts_with("--format")),
        "{options}"
    );
}

#[test]
#[ignore = "needs groff (scripts/test installs it)"]
fn every_man_page_renders_without_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("pages")
        .map(|e| e.expect("entry").path())
        .collect();
    pages.sort();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for page in [
        "pullpath.1",
        "pullpath-audit.1",
        "pullpath-what-if.1",
        "pullpath-man.1",
    ] {
        assert!(names.iter().any(|n| n == page), "{page} in {names:?}");
    }
    for page in &pages {
        // -k: the pages are UTF-8 (preconv, as man runs it); -ww: every warning.
        let (ok, _, stderr) = output_of(
            "groff",
            &["-k", "-man", "-ww", "-z", page.to_str().unwrap()],
        );
        assert!(ok && stderr.is_empty(), "{}: {stderr}", page.display());
    }
    // The printed page is the top-level one, and lists the commands.
    let printed = run(&["man"]);
    assert_eq!(printed.code, 0);
    let top = std::fs::read_to_string(dir.path().join("pullpath.1")).expect("page");
    assert_eq!(printed.stdout, top);
    let path = dir.path().join("pullpath.1");
    let (ok, text, stderr) = output_of(
        "groff",
        &["-k", "-man", "-Tutf8", "-P", "-c", path.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    for command in ["audit", "what-if", "completions"] {
        assert!(text.contains(command), "{command} in the page");
    }
}

#[test]
fn man_refuses_a_directory_that_is_not_one() {
    let refused = run(&["man", "--dir", "fixtures/scenarios/healthy-nat.json"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("--dir"), "{}", refused.stderr);
}
