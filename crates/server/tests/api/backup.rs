//! `xueshi backup` copies a running server's database and evidence with a sealed manifest and
//! never the key; `backup --verify` and `restore` refuse a changed or incomplete backup, and a
//! restored server answers what the source did.

use std::path::Path;

use xueshi_server::app::Application;

use crate::declaring::*;
use crate::helpers::*;

fn every_file(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            out.push(p);
        }
    }
    out
}

/// An empty restore target beside `app`: a data directory (and, on PostgreSQL, a database)
/// holding nothing but the source's key file in its configuration.
async fn empty_target(
    app: &TestApp,
) -> (
    tempfile::TempDir,
    Option<TestDatabase>,
    xueshi_server::config::Config,
) {
    let target = tempfile::tempdir().unwrap();
    let extra_db = match app.config.database_url {
        Some(_) => test_database().await,
        None => None,
    };
    let mut restored = app.config.clone();
    restored.data_dir = target.path().join("data");
    restored.database_url = extra_db.as_ref().map(|d| d.url());
    restored.data_key_file = Some(app.config.data_key_path());
    restored.evidence_dir = None;
    (target, extra_db, restored)
}

#[tokio::test]
async fn a_backup_of_a_running_server_restores_to_the_same_answers_and_refuses_tampering() {
    let s = scene("备份").await;
    let app = &s.app;
    let declaration = app
        .ready(&s.token, form("备份培训", "2030-03-01", "2030-03-02"), 7)
        .await;
    let detail = app
        .api_get(&format!("/declarations/{declaration}"), &s.token)
        .await
        .expect(200);
    let sha = detail["evidence"][0]["sha256"].as_str().unwrap().to_owned();
    let teachers = app.api_get("/teachers", &app.city_token).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .len();

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("b1");
    let dir_s = dir.to_str().unwrap();
    let (ok, text) = xueshi(&app.config, &["backup", "--out", dir_s]);
    assert!(ok, "{text}");
    // The key is not in it, in name or in content.
    let key = std::fs::read_to_string(app.config.data_key_path()).unwrap();
    let index_line = key.lines().find(|l| l.starts_with("index ")).unwrap();
    let index = index_line.split_whitespace().last().unwrap();
    for file in every_file(&dir) {
        assert_ne!(file.extension().and_then(|e| e.to_str()), Some("key"));
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(index.len()).any(|w| w == index.as_bytes()),
            "{}",
            file.display()
        );
    }
    let (ok, text) = xueshi(&app.config, &["backup", "--verify", dir_s]);
    assert!(ok, "{text}");

    // Restore into an empty target that has only the key file, and serve from it.
    let (_target, extra_db, restored) = empty_target(app).await;
    let (ok, text) = xueshi(&restored, &["restore", "--from", dir_s]);
    assert!(ok, "{text}");
    assert!(text.contains("审计链完整"), "{text}");
    {
        let server = Application::build(restored.clone())
            .await
            .expect("the restored data opens");
        let db = server.state().db.clone();
        let files = server.state().files.clone();
        let mut c = db.pool().acquire().await.unwrap();
        let page = xueshi_store::repo::teachers::list(
            &mut c,
            db.vault(),
            &xueshi_domain::authz::Scope::All,
            &Default::default(),
        )
        .await
        .unwrap();
        assert_eq!(page.items.len(), teachers);
        let stored = files.get(&xueshi_files::evidence_key(&sha)).await.unwrap();
        assert_eq!(xueshi_files::sha256_hex(&stored), sha);
        drop(c);
        db.close().await;
    }
    // A second restore into the now-used target is refused.
    let (ok, text) = xueshi(&restored, &["restore", "--from", dir_s]);
    assert!(!ok && text.contains("只能恢复到空"), "{text}");
    if let Some(d) = extra_db {
        d.drop_now().await;
    }

    // A changed file, a missing file or a changed manifest is refused.
    let evidence = every_file(&dir.join("evidence")).pop().unwrap();
    let original = std::fs::read(&evidence).unwrap();
    std::fs::write(&evidence, b"forged").unwrap();
    let (ok, text) = xueshi(&app.config, &["backup", "--verify", dir_s]);
    assert!(!ok && text.contains("校验和不符"), "{text}");
    std::fs::remove_file(&evidence).unwrap();
    let (ok, text) = xueshi(&app.config, &["backup", "--verify", dir_s]);
    assert!(!ok && text.contains("备份不完整"), "{text}");
    std::fs::write(&evidence, &original).unwrap();
    let manifest = dir.join("manifest.json");
    let edited =
        std::fs::read_to_string(&manifest)
            .unwrap()
            .replacen("\"format\": 1", "\"format\": 2", 1);
    std::fs::write(&manifest, edited).unwrap();
    let (ok, text) = xueshi(&app.config, &["backup", "--verify", dir_s]);
    assert!(!ok && text.contains("签名不符"), "{text}");
}

#[tokio::test]
async fn a_backup_taken_while_teachers_submit_restores_every_acknowledged_write_with_its_evidence()
{
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    let s = scene("负载备份").await;
    let app = &s.app;
    // Declarations whose submission was answered 200, in order.
    let submitted = Mutex::new(Vec::<String>::new());
    let stop = AtomicBool::new(false);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("b");
    let writer = async {
        let mut seed = 100;
        while !stop.load(Ordering::Relaxed) && seed < 400 {
            seed += 1;
            let title = format!("负载培训{seed}");
            let id = app.submitted(&s.token, &title, seed).await;
            submitted.lock().unwrap().push(id);
        }
    };
    let backup = async {
        while submitted.lock().unwrap().len() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let before: Vec<String> = submitted.lock().unwrap().clone();
        let (config, dir_s) = (app.config.clone(), dir.to_str().unwrap().to_owned());
        let result =
            tokio::task::spawn_blocking(move || xueshi(&config, &["backup", "--out", &dir_s]))
                .await
                .unwrap();
        // Let the writer go on a little after the copy, then stop it.
        let after = submitted.lock().unwrap().len();
        while submitted.lock().unwrap().len() < after + 2 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        stop.store(true, Ordering::Relaxed);
        (before, result)
    };
    let ((), (before, (ok, text))) = tokio::join!(writer, backup);
    assert!(ok, "{text}");
    let all = submitted.into_inner().unwrap();
    assert!(
        all.len() > before.len() + 1,
        "writes went on during and after the backup"
    );

    let (_target, extra_db, restored) = empty_target(app).await;
    let (ok, text) = xueshi(&restored, &["restore", "--from", dir.to_str().unwrap()]);
    assert!(ok && text.contains("审计链完整"), "{text}");
    let server = Application::build(restored).await.expect("opens");
    let (db, files) = (server.state().db.clone(), server.state().files.clone());
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM declarations")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let statuses: std::collections::HashMap<String, String> = rows.into_iter().collect();
    // Every submission answered before the backup began is in it, as submitted; nothing in
    // it is from outside what the writer did.
    for id in &before {
        assert_eq!(
            statuses.get(id).map(String::as_str),
            Some("submitted"),
            "{id}"
        );
    }
    // (At most one more: a declaration being written when the copy was taken.)
    let unknown = statuses.keys().filter(|id| !all.contains(id)).count();
    assert!(unknown <= 1, "{unknown} declarations the writer never made");
    // Every evidence row of the copy has its file, with its checksum.
    let evidence: Vec<(String, String)> =
        sqlx::query_as("SELECT storage_key, sha256 FROM evidence")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert!(evidence.len() >= before.len());
    for (key, sha) in evidence {
        let bytes = files.get(&key).await.unwrap();
        assert_eq!(xueshi_files::sha256_hex(&bytes), sha, "{key}");
    }
    db.close().await;
    if let Some(d) = extra_db {
        d.drop_now().await;
    }
}
