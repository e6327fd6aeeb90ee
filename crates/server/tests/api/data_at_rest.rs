//! Personal data at rest: ID numbers and phones are stored sealed, found through their blind
//! index, and a database refuses to open under another key or none.

use serde_json::json;
use xueshi_server::app::Application;
use xueshi_server::config::AdminMfa;

use crate::helpers::*;

const PHONE: &str = "13912345678";

/// Every file under `dir` (the key file aside) that holds `needle` in clear.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if path.extension().is_none_or(|e| e != "key") {
            let bytes = std::fs::read(&path).unwrap_or_default();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// The plain SQL dump of a PostgreSQL test database, when `pg_dump` is installed.
fn pg_dump(url: &str) -> Option<String> {
    let out = std::process::Command::new("pg_dump")
        .args(["--data-only", url])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn teacher_with_phone(app: &TestApp, school: &str, n: u32) -> (String, String) {
    let number = id_number(n);
    let body = json!({ "name": "陈静", "id_number": number, "school_id": school,
                       "password": PASSWORD, "phone": PHONE });
    let created = app
        .post("/teachers", &app.city_token, body)
        .await
        .expect(201);
    (created["id"].as_str().unwrap().to_owned(), number)
}

#[tokio::test]
async fn id_numbers_and_phones_are_stored_sealed_and_still_found() {
    let app = spawn_app().await;
    let t = tree(&app, "封存").await;
    let (id, number) = teacher_with_phone(&app, &t.school, 501).await;
    // A failed login under the number is counted without writing the number down either.
    app.login_as_is(&number, "wrong-password-1").await;

    // Found by the whole number, through its index; the API still answers it in full.
    let found = app
        .api_get(&format!("/teachers?q={number}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");
    let shown = app
        .api_get(&format!("/teachers/{id}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(shown["id_number"], number.as_str());
    // Teachers log in with it.
    let token = app.login(&number, PASSWORD).await;
    app.api_get("/me", &token).await.expect(200);

    match app.config.database_url.as_deref() {
        Some(url) => {
            if let Some(dump) = pg_dump(url) {
                assert!(
                    !dump.contains(&number),
                    "pg_dump holds the ID number in clear"
                );
                assert!(!dump.contains(PHONE), "pg_dump holds the phone in clear");
                assert!(dump.contains("v1.sm4gcm."), "sealed values are in the dump");
            }
        }
        None => {
            let dir = &app.config.data_dir;
            assert!(dir.join("xueshi.db").exists());
            assert_eq!(files_holding(dir, &number), Vec::<String>::new());
            assert_eq!(files_holding(dir, PHONE), Vec::<String>::new());
            assert!(!files_holding(dir, "v1.sm4gcm.").is_empty());
        }
    }
}

#[tokio::test]
async fn a_sealed_database_refuses_to_open_without_its_key_or_with_another() {
    let app = spawn_app().await;
    let t = tree(&app, "密钥").await;
    teacher_with_phone(&app, &t.school, 502).await;
    let key_file = app.config.data_key_path();
    assert!(key_file.exists(), "the first start made a key file");

    let elsewhere = tempfile::tempdir().unwrap();
    let mut missing = app.config.clone();
    missing.data_key_file = Some(elsewhere.path().join("none.key"));
    let err = Application::build(missing)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("找不到数据密钥文件"), "{err}");
    assert!(
        !elsewhere.path().join("none.key").exists(),
        "no stray key left behind"
    );

    let other = elsewhere.path().join("other.key");
    xueshi_store::Vault::create(&other).unwrap();
    let mut wrong = app.config.clone();
    wrong.data_key_file = Some(other);
    let err = Application::build(wrong)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("数据密钥与数据库不符"), "{err}");

    // Its own key (here given as text, as from a secret store) opens it.
    let mut given = app.config.clone();
    given.data_key_file = Some(elsewhere.path().join("unused.key"));
    given.data_key = Some(xueshi_server::services::notifier::Secret(
        std::fs::read_to_string(&key_file).unwrap(),
    ));
    Application::build(given)
        .await
        .expect("opens with its own key");
}

#[tokio::test]
async fn rows_an_older_version_stored_in_clear_are_sealed_at_the_next_start() {
    let app = spawn_app().await;
    let t = tree(&app, "升级").await;
    let (id, number) = teacher_with_phone(&app, &t.school, 503).await;
    // As version 0.14 stored them: the number, the phone and the login in clear, no index.
    let mut c = app.db.pool().acquire().await.unwrap();
    for sql in [
        "UPDATE teachers SET id_number = $1, phone = $2, id_number_index = NULL WHERE id = $3",
        "UPDATE users SET username = $1 WHERE teacher_id = $3 AND $2 <> ''",
    ] {
        sqlx::query(sql)
            .bind(&number)
            .bind(PHONE)
            .bind(&id)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    drop(c);

    let restarted = Application::build(app.config.clone())
        .await
        .expect("starts");
    let db = restarted.state().db.clone();
    tokio::spawn(restarted.run_until(std::future::pending()));
    let mut c = db.pool().acquire().await.unwrap();
    let teacher = xueshi_store::repo::teachers::by_id_number(&mut c, db.vault(), &number)
        .await
        .unwrap()
        .expect("found through the index");
    assert_eq!(teacher.phone.as_deref(), Some(PHONE));
    let stored: (String, Option<String>) =
        sqlx::query_as("SELECT id_number, phone FROM teachers WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *c)
            .await
            .unwrap();
    assert!(stored.0.starts_with("v1.sm4gcm.") && stored.1.unwrap().starts_with("v1.sm4gcm."));
    let user = xueshi_store::repo::users::by_username(&mut c, db.vault(), &number)
        .await
        .unwrap()
        .expect("the login follows");
    assert_eq!(user.username, number);
    assert!(user.login.starts_with("idx:"));
}

#[tokio::test]
async fn keys_rotate_reseals_everything_while_the_server_keeps_answering() {
    let app = spawn_app().await;
    let t = tree(&app, "轮换").await;
    let (id, number) = teacher_with_phone(&app, &t.school, 504).await;

    let (ok, said) = xueshi(&app.config, &["keys", "rotate", "--algorithm", "aes256gcm"]);
    assert!(ok, "{said}");
    assert!(said.contains("重新加密 1 名教师"), "{said}");

    let stored: (String, String) =
        sqlx::query_as("SELECT id_number, phone FROM teachers WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(stored.0.starts_with("v1.aes256gcm.2."), "{}", stored.0);
    assert!(stored.1.starts_with("v1.aes256gcm.2."), "{}", stored.1);
    // The running server had only key 1: it reads key 2 from the file when it meets it.
    let shown = app
        .api_get(&format!("/teachers/{id}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(shown["id_number"], number.as_str());
    assert_eq!(shown["phone"], PHONE);
    app.login(&number, PASSWORD).await;
    let audit = app
        .api_get("/audit?target_id=2", &app.city_token)
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["action"], "keys.rotate", "{audit}");
}

#[tokio::test]
async fn authenticator_secrets_are_sealed_and_an_older_clear_one_is_sealed_at_start() {
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let secret = app.authenticators.lock().unwrap()["city"].0.clone();
    let stored = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT secret FROM user_mfa WHERE user_id = (SELECT id FROM users WHERE username = 'city')",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap()
    };
    let sealed = stored().await;
    assert!(
        sealed.starts_with("v1.sm4gcm.") && !sealed.contains(&secret),
        "{sealed}"
    );

    // As version 0.14 stored it: in clear. The next start seals it; the authenticator still works.
    sqlx::query("UPDATE user_mfa SET secret = $1")
        .bind(&secret)
        .execute(app.db.pool())
        .await
        .unwrap();
    Application::build(app.config.clone())
        .await
        .expect("starts");
    let resealed = stored().await;
    assert!(
        resealed.starts_with("v1.sm4gcm.") && resealed != sealed,
        "{resealed}"
    );
    app.login("city", PASSWORD).await;
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_logs_hold_no_id_number_and_no_phone_even_at_debug_level() {
    if test_database().await.is_some() {
        return; // the server below runs on its own SQLite directory: once is enough
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let port = free_port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_xueshi"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug")
        .env_remove("XUESHI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path().join("server.err")).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/me")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server started");
    let login = |username: String, password: &'static str| {
        let client = client.clone();
        let url = format!("{base}/auth/login");
        async move {
            client
                .post(url)
                .json(&json!({ "username": username, "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    let city: serde_json::Value = login("city_admin".into(), "xueshi2021")
        .await
        .json()
        .await
        .unwrap();
    let token = city["token"].as_str().unwrap().to_owned();
    let orgs: serde_json::Value = client
        .get(format!("{base}/orgs?kind=school"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let school = orgs["items"][0]["id"].as_str().unwrap().to_owned();
    let number = id_number(901);
    let create = || {
        client
            .post(format!("{base}/teachers"))
            .bearer_auth(&token)
            .json(
                &json!({ "name": "郑敏", "id_number": number, "school_id": school,
                           "password": PASSWORD, "phone": PHONE }),
            )
            .send()
    };
    assert_eq!(create().await.unwrap().status(), 201);
    // A duplicate (its error names the number to the caller), a search, a wrong and a right login.
    assert_eq!(create().await.unwrap().status(), 409);
    client
        .get(format!("{base}/teachers?q={number}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    login(number.clone(), "wrong-password-9").await;
    login(number.clone(), PASSWORD).await;
    server.kill().unwrap();
    server.wait().unwrap();

    let mut logs = std::fs::read(&log).unwrap();
    logs.extend(std::fs::read(dir.path().join("server.err")).unwrap());
    assert!(logs.len() > 1000, "debug logging was on");
    let text = String::from_utf8_lossy(&logs);
    for secret in [number.as_str(), PHONE] {
        let at = text.find(secret);
        assert!(
            at.is_none(),
            "{secret} in the logs: …{}…",
            &text[at.unwrap().saturating_sub(300)..(at.unwrap() + 100).min(text.len())]
        );
    }
}
