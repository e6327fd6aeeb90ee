//! `xueshi audit export` archives the entries before a date, with their chain, and
//! `xueshi audit verify --archive` refuses an archive edited, cut short or extended.

use crate::helpers::*;

fn verify_archive(app: &TestApp, file: &std::path::Path) -> (bool, String) {
    xueshi(
        &app.config,
        &["audit", "verify", "--archive", file.to_str().unwrap()],
    )
}

fn rewrite(file: &std::path::Path, edit: impl FnOnce(&mut Vec<String>)) -> std::path::PathBuf {
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    edit(&mut lines);
    let out = file.with_extension(format!("edited{}", lines.len()));
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    out
}

#[tokio::test]
async fn an_archive_holds_the_chain_and_refuses_every_change() {
    let app = spawn_app().await;
    tree(&app, "归档").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    // Everything up to tomorrow (the command itself refuses dates within 180 days).
    let tomorrow = xueshi_store::now_ms() + 86_400_000;
    xueshi_server::cli::audit::write_archive(&app.db, "tomorrow", tomorrow, &file)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "{text}");
    assert!(lines.last().unwrap().starts_with("{\"archive\":"), "{text}");
    let (ok, said) = verify_archive(&app, &file);
    assert!(ok && said.contains("归档完好"), "{said}");
    // Nothing was removed, and the export is itself audited.
    let (ok, said) = xueshi(&app.config, &["audit", "verify"]);
    assert!(ok, "{said}");
    let audit = app
        .api_get("/audit?action=audit.export", &app.city_token)
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["action"], "audit.export", "{audit}");

    let edited = rewrite(&file, |l| {
        l[1] = l[1].replacen("\"action\":\"", "\"action\":\"x", 1)
    });
    let (ok, said) = verify_archive(&app, &edited);
    assert!(
        !ok && said.contains("第 2 行") && said.contains("被改动"),
        "{said}"
    );
    let cut = rewrite(&file, |l| {
        l.remove(1);
    });
    let (ok, said) = verify_archive(&app, &cut);
    assert!(!ok && said.contains("不相接"), "{said}");
    let truncated = rewrite(&file, |l| {
        l.remove(l.len() - 2);
    });
    let (ok, said) = verify_archive(&app, &truncated);
    assert!(!ok && said.contains("摘要与内容不符"), "{said}");
    let no_summary = rewrite(&file, |l| {
        l.pop();
    });
    let (ok, said) = verify_archive(&app, &no_summary);
    assert!(!ok && said.contains("缺少摘要行"), "{said}");
    let forged = rewrite(&file, |l| {
        let last = l.len() - 1;
        l[last] = l[last].replacen("\"before\":\"tomorrow\"", "\"before\":\"later\"", 1);
    });
    let (ok, said) = verify_archive(&app, &forged);
    assert!(!ok && said.contains("密封值不符"), "{said}");

    // An existing archive is never overwritten; a date within 180 days is refused.
    let (ok, said) = xueshi(
        &app.config,
        &[
            "audit",
            "export",
            "--before",
            "2000-01-01",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(!ok && said.contains("不会被覆盖"), "{said}");
    let (ok, said) = xueshi(&app.config, &["audit", "export", "--before", "2999-01-01"]);
    assert!(!ok && said.contains("至少保留 180 天"), "{said}");
}
