//! README.md cannot drift from what is tested. Every fenced block in README.md is preceded by a
//! marker line:
//! - `<!-- snippet: file PATH -->`: the block is the file PATH of this repository, verbatim
//!   (the file is what the tests compile and run: c-examples/quickstart.c in
//!   tests/c/run_c_tests.sh, examples/quickstart.rs by `cargo test --all-targets`,
//!   python/examples/quickstart.py in tests/readme_snippets.sh);
//! - `<!-- snippet: NAME -->`: a command block that tests/readme_snippets.sh (sourced by
//!   tests/c/run_c_tests.sh) extracts from README.md and runs as it stands; this test checks that
//!   the script has a `run_snippet NAME` for it.
//!
//! It also checks the first screen (what docs/ it links) and that README's links into the
//! repository name files that exist.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One fenced block of README.md and the marker before it.
struct Block {
    line: usize,
    marker: Option<String>,
    body: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with("```") {
            let start = i;
            let marker = (start > 0)
                .then(|| lines[start - 1].trim())
                .and_then(|l| l.strip_prefix("<!-- snippet: "))
                .and_then(|l| l.strip_suffix(" -->"))
                .map(str::to_owned);
            i += 1;
            let mut body = String::new();
            while i < lines.len() && !lines[i].starts_with("```") {
                body.push_str(lines[i]);
                body.push('\n');
                i += 1;
            }
            assert!(i < lines.len(), "README.md:{}: unterminated code block", start + 1);
            out.push(Block { line: start + 1, marker, body });
        }
        i += 1;
    }
    out
}

#[test]
fn every_readme_block_is_a_tested_snippet() {
    let readme = read("README.md");
    let runner = read("tests/readme_snippets.sh");
    let all = blocks(&readme);
    assert!(all.len() >= 10, "README.md has {} code blocks", all.len());
    let mut names = BTreeSet::new();
    for block in &all {
        let marker = block.marker.as_deref().unwrap_or_else(|| {
            panic!("README.md:{}: code block without a `<!-- snippet: ... -->` line", block.line)
        });
        if let Some(path) = marker.strip_prefix("file ") {
            let file = read(path);
            assert!(
                file == block.body,
                "README.md:{}: the block differs from {path}; copy the file into README.md",
                block.line
            );
        } else {
            assert!(names.insert(marker), "README.md:{}: snippet {marker} twice", block.line);
            assert!(
                runner
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("run_snippet {marker} "))
                        || l.trim() == format!("run_snippet {marker}")),
                "README.md:{}: snippet {marker} is not run by tests/readme_snippets.sh",
                block.line
            );
        }
    }
    for file in
        ["c-examples/quickstart.c", "examples/quickstart.rs", "python/examples/quickstart.py"]
    {
        let marker = format!("file {file}");
        assert!(
            all.iter().any(|b| b.marker.as_deref() == Some(marker.as_str())),
            "README.md does not show {file}"
        );
    }
}

#[test]
fn the_two_commands_are_the_demo_and_the_ci_test_command() {
    let readme = read("README.md");
    let two = blocks(&readme)
        .into_iter()
        .find(|b| b.marker.as_deref() == Some("two-commands"))
        .expect("README.md has the two-commands block");
    assert_eq!(two.body, "bash c-examples/run-demo.sh\nbash tests/run_all.sh\n");
    assert!(read(".ci/run").lines().any(|l| l == "bash tests/run_all.sh"));
}

#[test]
fn the_first_screen_has_what_a_newcomer_needs() {
    let readme = read("README.md");
    let first: String = readme.lines().take(66).collect::<Vec<_>>().join("\n");
    for needle in [
        "**Status:**",
        "**License:**",
        "**Prerequisites:**",
        "## The two commands",
        "## Build just the library",
        "build/lib/liblwm2m_bootstrap.a",
        "## Point the demo at your own servers",
        "## What is supported",
        "docs/dtls.md",
        "docs/persistence.md",
        "docs/architecture.md",
    ] {
        assert!(first.contains(needle), "README.md's first screen lacks {needle:?}");
    }
    assert!(Path::new(ROOT).join("LICENSE").is_file());
    assert!(read("Cargo.toml").lines().any(|l| l == "license = \"Apache-2.0\""));
    assert!(read("LICENSE").contains("Apache License\n                           Version 2.0"));
}

/// Links like `[text](docs/x.md)` and `[text](LICENSE)` in README.md and docs/*.md name files of
/// the repository (anchors are not checked). docs/architecture.md is written separately and may
/// not be here yet.
#[test]
fn links_name_files_that_exist() {
    let mut pages = vec![("README.md".to_owned(), Path::new(ROOT).to_path_buf())];
    for entry in std::fs::read_dir(Path::new(ROOT).join("docs")).expect("docs/") {
        let path = entry.expect("docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = format!("docs/{}", path.file_name().unwrap().to_string_lossy());
            pages.push((name, Path::new(ROOT).join("docs")));
        }
    }
    let mut checked = 0;
    for (page, dir) in &pages {
        let text = read(page);
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let path = dir.join(target.split('#').next().unwrap_or(target));
            if !path.ends_with("docs/architecture.md") {
                assert!(path.exists(), "{page} links {target}, which is absent");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} links checked");
}
