//! The layers hold: handlers (`api/`, `web/`) reach the store only through `services`,
//! services know nothing of the handlers, and the pages nothing of the JSON API (what both
//! need, such as a download's headers, lives in `downloads`). A file that breaks any of it
//! fails these tests.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                found.push((path, text));
            }
        }
    }
    assert!(!found.is_empty(), "no sources under src/{dir}");
    found
}

fn offenders(dirs: &[&str], forbidden: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for dir in dirs {
        for (path, text) in sources(dir) {
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if forbidden.iter().any(|f| code.contains(f)) {
                    bad.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    bad
}

#[test]
fn handlers_reach_the_store_only_through_services() {
    let bad = offenders(&["api", "web"], &["xueshi_store::repo"]);
    assert!(
        bad.is_empty(),
        "repo used outside services:\n{}",
        bad.join("\n")
    );
}

#[test]
fn services_do_not_depend_on_handlers() {
    let bad = offenders(&["services"], &["crate::api::", "crate::web::"]);
    assert!(
        bad.is_empty(),
        "services reaching into handlers:\n{}",
        bad.join("\n")
    );
}

#[test]
fn pages_do_not_depend_on_the_json_api() {
    let bad = offenders(&["web"], &["crate::api::"]);
    assert!(
        bad.is_empty(),
        "pages reaching into the API:\n{}",
        bad.join("\n")
    );
}
