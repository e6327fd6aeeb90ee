//! The domain's enums are spelled once, in `xueshi_domain::enums`: the store binds their
//! codes (`Sql::bind_code`, `bind_codes`) rather than writing them into SQL, so that no query
//! silently stops matching when a code changes. This test reads the sources of the store and
//! the server and fails on a quoted code in them.

use std::fs;
use std::path::Path;

use xueshi_domain::*;

fn every_code() -> Vec<&'static str> {
    let mut codes = Vec::new();
    macro_rules! add {
        ($($t:ty),+) => { $(codes.extend(<$t>::ALL.iter().map(|v| v.as_str()));)+ };
    }
    add!(
        Category,
        ActivityType,
        Source,
        Role,
        OrgKind,
        Ownership,
        SchoolType,
        OrgStatus,
        TeacherStatus,
        RecordStatus,
        DeclarationStatus,
        ReasonCode,
        TransferStatus,
        CorrectionStatus,
        SchoolApplicationStatus,
        ReviewLevel,
        Decision,
        ReadingStatus
    );
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The source files of the store's queries: tests (files or in-file modules) aside.
fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            let text = fs::read_to_string(&path).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap().to_owned();
            found.push((path.display().to_string(), text));
        }
    }
}

/// Quoted words that are not the domain's codes though they look alike.
const NOT_CODES: &[&str] = &[
    // PostgreSQL's default schema, in `information_schema` queries.
    "table_schema = 'public'",
];

#[test]
fn no_enum_code_is_written_into_the_stores_sql() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    // The store, and the server's benchmarks, which write their test data in bulk SQL.
    sources(&crates.join("store/src"), &mut files);
    sources(&crates.join("server/src"), &mut files);
    assert!(files.len() > 100, "the sources were not found");
    let codes = every_code();
    let mut found = Vec::new();
    for (path, text) in &files {
        for (n, line) in text.lines().enumerate() {
            if NOT_CODES.iter().any(|allowed| line.contains(allowed)) {
                continue;
            }
            for code in &codes {
                if line.contains(&format!("'{code}'")) {
                    found.push(format!("{path}:{}: '{code}'", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "bind these codes (Sql::bind_code) instead:\n{}",
        found.join("\n")
    );
}
