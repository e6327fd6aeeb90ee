//! The test harness: every test gets its own server on a free port and its own fresh
//! database — SQLite in a temporary directory, or a new PostgreSQL database when
//! `XUESHI_TEST_DATABASE_URL` names a server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use xueshi_domain::{Role, check_char};
use xueshi_server::app::Application;
use xueshi_server::config::{AdminMfa, Config};
use xueshi_server::services::reminders::{Notifier, Outbound, Sending};
use xueshi_store::models::User;
use xueshi_store::{Db, now_ms, repo};

pub const PASSWORD: &str = "correct-horse-42";

/// A notifier that keeps what it is given, for tests to read.
#[derive(Default)]
pub struct Outbox(Mutex<Vec<Outbound>>);

impl Notifier for Outbox {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a> {
        self.0.lock().unwrap().push(message.clone());
        Box::pin(async { Ok(()) })
    }
}

impl Outbox {
    /// Everything sent so far.
    pub fn all(&self) -> Vec<Outbound> {
        self.0.lock().unwrap().clone()
    }

    /// The password-reset codes sent so far (not reminders), waiting a moment for one sent
    /// in the background.
    pub async fn messages(&self) -> Vec<Outbound> {
        for _ in 0..50 {
            let mut sent = self.0.lock().unwrap().clone();
            sent.retain(|m| m.title.contains("验证码"));
            if !sent.is_empty() {
                return sent;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Vec::new()
    }
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub files: xueshi_files::FileStore,
    pub client: reqwest::Client,
    /// A logged-in city administrator.
    pub city_token: String,
    pub city_id: String,
    /// The server's clock: time-based rules are tested by moving it, not by sleeping.
    pub clock: xueshi_server::clock::Clock,
    /// What the server sent to people's phones.
    pub outbox: Arc<Outbox>,
    /// The metrics listener's port, when the test asked for one.
    pub metrics_port: Option<u16>,
    /// Each enrolled user's authenticator: its secret and the last step a code was used for.
    pub authenticators: Mutex<HashMap<String, (String, i64)>>,
    _dir: tempfile::TempDir,
    /// What the app was built with (another server over the same data can be built from it).
    pub config: Config,
    /// The test's own PostgreSQL database, dropped with the app.
    pg_database: Option<TestDatabase>,
}

/// A database made for one test: the server URL to reach it from, and its name.
pub struct TestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for TestApp {
    /// A full run makes some 150 databases; left behind, their autovacuum visits alone
    /// slow the machine down.
    fn drop(&mut self) {
        let Some(TestDatabase { admin_url, name }) = self.pg_database.take() else {
            return;
        };
        // Its own thread and runtime: a test's runtime may be single-threaded and is busy
        // dropping this app.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .map(drop)
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("note: the test database was not dropped: {e}");
        }
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        self.body
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        assert_eq!(self.code(), code, "unexpected error: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "an error always has a message: {}",
            self.body
        );
        self.body
    }
}

pub async fn test_database() -> Option<TestDatabase> {
    let base = std::env::var("XUESHI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!("xueshi_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("the test PostgreSQL server is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("a test database can be created");
    Some(TestDatabase {
        admin_url: base,
        name,
    })
}

impl TestDatabase {
    /// Drops the database (for one a test made beside its app's).
    pub async fn drop_now(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }

    pub fn url(&self) -> String {
        let (prefix, _) = self
            .admin_url
            .rsplit_once('/')
            .expect("the URL names a database");
        format!("{prefix}/{}", self.name)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test app whose configuration `adjust` changes first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pg_database = test_database().await;
    let mut config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: pg_database.as_ref().map(TestDatabase::url),
        // Tests call as fast as the machine goes, faster than any person; the limit's own
        // tests set it.
        user_rate: 0,
        // Most tests are about what administrators do, not how they sign in; the sign-in
        // tests (and the browser test) require the second factor.
        admin_mfa: Some(AdminMfa::Off),
        // OCR costs a core-second a file: only the reading tests read.
        evidence_reading: false,
        ..Config::default()
    };
    adjust(&mut config);
    let outbox = Arc::new(Outbox::default());
    let app = Application::build_with(config.clone(), outbox.clone())
        .await
        .expect("the application builds");
    let clock = app.state().clock.clone();
    let metrics_port = app.metrics_port();
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    let files = app.state().files.clone();
    tokio::spawn(app.run_until(std::future::pending()));

    let mut c = db.pool().acquire().await.unwrap();
    let city = repo::orgs::city(&mut c).await.unwrap();
    let admin = User {
        id: uuid::Uuid::now_v7().to_string(),
        username: "city".into(),
        login: "city".into(),
        password_hash: xueshi_server::auth::password::hash(PASSWORD).await.unwrap(),
        role: Role::CityAdmin,
        org_id: city.id.clone(),
        teacher_id: None,
        created_at: now_ms(),
        must_change_password: false,
    };
    repo::users::insert(&mut c, &admin).await.unwrap();
    drop(c);

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut app = TestApp {
        address,
        db,
        files,
        client,
        city_token: String::new(),
        city_id: city.id,
        clock,
        outbox,
        metrics_port,
        authenticators: Mutex::default(),
        config,
        _dir: dir,
        pg_database,
    };
    app.city_token = app.login("city", PASSWORD).await;
    app
}

/// A valid resident ID number, different for each `n`.
pub fn id_number(n: u32) -> String {
    let first17 = format!(
        "44010619{:02}{:02}{:02}{:03}",
        70 + n % 30,
        1 + n % 12,
        1 + n % 28,
        n % 1000
    );
    format!("{first17}{}", check_char(&first17))
}

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("the server answers");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(
            Method::POST,
            &format!("/api/v1{path}"),
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(
            Method::PATCH,
            &format!("/api/v1{path}"),
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(
            Method::PUT,
            &format!("/api/v1{path}"),
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn api_get(&self, path: &str, token: &str) -> Answer {
        self.get(&format!("/api/v1{path}"), token).await
    }

    /// Logs in through every sign-in step: a password the test's administrator chose is
    /// taken as changed already, and a second factor, when required, is enrolled or passed
    /// (the sign-in tests use [`TestApp::login_as_is`] to see each step).
    pub async fn try_login(&self, username: &str, password: &str) -> Answer {
        self.settle_password(username).await;
        let answer = self.login_as_is(username, password).await;
        match answer.body["next"].as_str() {
            Some("mfa_enroll" | "mfa_verify") => self.pass_mfa(&answer.body).await,
            _ => answer,
        }
    }

    /// Completes the second factor of a pending login answer.
    pub async fn pass_mfa(&self, pending: &Value) -> Answer {
        let token = pending["token"].as_str().unwrap();
        let username = pending["user"]["username"].as_str().unwrap().to_owned();
        if pending["next"] == "mfa_enroll" {
            let enrolment = self
                .post("/auth/mfa/enroll", token, json!({}))
                .await
                .expect(200);
            let secret = enrolment["secret"].as_str().unwrap().to_owned();
            self.authenticators
                .lock()
                .unwrap()
                .insert(username.clone(), (secret, 0));
        }
        let code = self.next_code(&username);
        self.post("/auth/mfa/verify", token, json!({ "code": code }))
            .await
    }

    /// The authenticator's code for `username`, moving the clock to the next 30-second step
    /// when this one's code was used already (a code is accepted once).
    pub fn next_code(&self, username: &str) -> String {
        let mut authenticators = self.authenticators.lock().unwrap();
        let (secret, last_step) = authenticators.get_mut(username).expect("an enrolled user");
        let step = |now: i64| now / 30_000;
        if step(self.clock.now_ms()) <= *last_step {
            let wait = 30_000 - self.clock.now_ms() % 30_000;
            self.clock.advance(std::time::Duration::from_millis(
                u64::try_from(wait).unwrap(),
            ));
        }
        *last_step = step(self.clock.now_ms());
        xueshi_server::auth::totp::code_at(secret, self.clock.now_ms()).unwrap()
    }

    /// Takes the password of `username` as chosen by its owner (no change owed).
    pub async fn settle_password(&self, username: &str) {
        let mut c = self.db.pool().acquire().await.unwrap();
        let folded = username.trim().to_uppercase();
        let user = match repo::users::by_username(&mut c, self.db.vault(), username.trim())
            .await
            .unwrap()
        {
            Some(user) => Some(user),
            None => repo::users::by_username(&mut c, self.db.vault(), &folded)
                .await
                .unwrap(),
        };
        if let Some(user) = user {
            repo::users::set_password(&mut c, &user.id, &user.password_hash, false)
                .await
                .unwrap();
        }
    }

    pub async fn login_as_is(&self, username: &str, password: &str) -> Answer {
        let body = json!({ "username": username, "password": password });
        self.call(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self.try_login(username, password).await.expect(200);
        body["token"].as_str().expect("a token").to_owned()
    }

    pub async fn district(&self, name: &str) -> String {
        let body = json!({ "name": name, "kind": "district", "parent_id": self.city_id });
        self.post("/orgs", &self.city_token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn school(&self, district_id: &str, name: &str) -> String {
        let body = json!({
            "name": name, "kind": "school", "parent_id": district_id,
            "ownership": "public", "school_type": "primary"
        });
        self.post("/orgs", &self.city_token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A city-affiliated school (局属学校): the city, not its district, reviews and manages it.
    pub async fn affiliated_school(&self, parent_id: &str, name: &str) -> String {
        let body = json!({
            "name": name, "kind": "school", "parent_id": parent_id,
            "ownership": "public", "school_type": "secondary", "city_affiliated": true
        });
        self.post("/orgs", &self.city_token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates an administrator and logs them in.
    pub async fn admin(&self, username: &str, role: &str, org_id: &str) -> String {
        let body =
            json!({ "username": username, "password": PASSWORD, "role": role, "org_id": org_id });
        self.post("/users", &self.city_token, body)
            .await
            .expect(201);
        self.login(username, PASSWORD).await
    }

    /// Creates a teacher (as the city) and returns their id.
    pub async fn teacher(&self, school_id: &str, name: &str, n: u32) -> String {
        let body = json!({ "name": name, "id_number": id_number(n), "school_id": school_id, "password": PASSWORD });
        self.post("/teachers", &self.city_token, body)
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Audit actions recorded about a target, newest first.
    pub async fn audit_actions(&self, target_id: &str) -> Vec<String> {
        let body = self
            .api_get(&format!("/audit?target_id={target_id}"), &self.city_token)
            .await
            .expect(200);
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A district with one school, and a school admin and district admin logged in.
pub struct Tree {
    pub district: String,
    pub school: String,
    pub district_token: String,
    pub school_token: String,
}

pub async fn tree(app: &TestApp, tag: &str) -> Tree {
    let district = app.district(&format!("{tag}区")).await;
    let school = app.school(&district, &format!("{tag}小学")).await;
    let district_token = app
        .admin(&format!("{tag}_district"), "district_admin", &district)
        .await;
    let school_token = app
        .admin(&format!("{tag}_school"), "school_admin", &school)
        .await;
    Tree {
        district,
        school,
        district_token,
        school_token,
    }
}

impl TestApp {
    /// Waits until the background hasher has looked at every uploaded image (it is woken by
    /// each upload; ten seconds is far beyond what a test's few pictures take).
    pub async fn images_hashed(&self) {
        for _ in 0..200 {
            let mut c = self.db.pool().acquire().await.unwrap();
            let waiting: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM evidence WHERE phash_checked_at IS NULL")
                    .fetch_one(&mut *c)
                    .await
                    .unwrap();
            if waiting == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("evidence images were not hashed within 10 s");
    }
}

/// The 2021 notice's policy for `year`, with its deadlines moved to that year.
pub fn policy(year: i32) -> Value {
    json!({
        "minimums": { "public": 30, "professional": 42, "elective": 18, "total": 90 },
        "deadlines": { "declaration": format!("{year}-12-31"), "registration": format!("{year}-12-31"),
                       "school_review": format!("{}-01-09", year + 1), "district_review": format!("{}-01-13", year + 1) },
        "carry_over": { "enabled": true, "cap": null },
        "activity_caps": {}
    })
}

impl TestApp {
    pub async fn set_policy(&self, year: i32, policy: Value) {
        self.put(&format!("/policies/{year}"), &self.city_token, policy)
            .await
            .expect(200);
    }

    /// A training event of `organizer` in `year` (ending on 30 June), made with `token`.
    #[allow(clippy::too_many_arguments)] // mirrors the request's fields one to one
    pub async fn training(
        &self,
        token: &str,
        organizer: &str,
        level: &str,
        category: &str,
        activity: &str,
        hours: f64,
        year: i32,
    ) -> String {
        let body = json!({
            "title": format!("{activity}培训"), "organizer_id": organizer, "level": level, "category": category,
            "activity_type": activity, "start_date": format!("{year}-06-01"), "end_date": format!("{year}-06-30"), "hours": hours
        });
        self.post("/trainings", token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers teachers (by id) with hours on a training, as the city.
    pub async fn credit(&self, training: &str, entries: &[(&str, f64)]) -> Value {
        let entries: Vec<Value> = entries
            .iter()
            .map(|(t, h)| json!({ "teacher_id": t, "hours": h }))
            .collect();
        self.post(
            &format!("/trainings/{training}/attendance"),
            &self.city_token,
            json!({ "entries": entries }),
        )
        .await
        .expect(200)
    }

    /// A public course of `year` and its completion by `teacher` with `hours`.
    pub async fn public_course(&self, year: i32, hours: f64) -> String {
        let body = json!({ "title": "科技创新现状与发展趋势", "year": year, "category": "public", "hours": hours });
        let answer = self.post("/courses", &self.city_token, body).await;
        // One course per public topic and year: a second call finds the first.
        let id = if answer.status.as_u16() == 409 {
            answer.expect_error(409, "duplicate")["error"]["details"]["existing_id"].clone()
        } else {
            answer.expect(201)["id"].clone()
        };
        id.as_str().unwrap().to_owned()
    }

    pub async fn complete(&self, course: &str, teacher: &str, hours: f64, on: &str) -> Answer {
        let body = json!({ "teacher_id": teacher, "hours": hours, "completed_on": on });
        self.post(
            &format!("/courses/{course}/completions"),
            &self.city_token,
            body,
        )
        .await
    }

    /// Gives `teacher` public, professional and elective hours in `year`: a public course and
    /// city trainings.
    pub async fn earn(
        &self,
        teacher: &str,
        year: i32,
        public: f64,
        professional: f64,
        elective: f64,
    ) {
        if public > 0.0 {
            let course = self.public_course(year, 30.0).await;
            self.complete(&course, teacher, public, &format!("{year}-05-01"))
                .await
                .expect(200);
        }
        for (category, hours) in [("professional", professional), ("elective", elective)] {
            if hours > 0.0 {
                let t = self
                    .training(
                        &self.city_token,
                        &self.city_id,
                        "city",
                        category,
                        "training_course",
                        hours,
                        year,
                    )
                    .await;
                self.credit(&t, &[(teacher, hours)]).await;
            }
        }
    }

    pub async fn progress(&self, teacher: &str, year: i32) -> Value {
        self.api_get(
            &format!("/teachers/{teacher}/progress?year={year}"),
            &self.city_token,
        )
        .await
        .expect(200)
    }
}

/// Runs the `xueshi` command with `args` against the data and database of `config`;
/// answers whether it succeeded and what it printed (standard output, then error).
pub fn xueshi(config: &xueshi_server::config::Config, args: &[&str]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xueshi"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(&config.data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("XUESHI_DATABASE_URL");
    if let Some(url) = &config.database_url {
        cmd.env("XUESHI_DATABASE_URL", url);
    }
    if let Some(key) = &config.data_key_file {
        cmd.env("XUESHI_DATA_KEY_FILE", key);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A PDF's text as `pdftotext` reads it (`-layout` keeps the page's columns), or `None`
/// (with a note) when it is not installed and `XUESHI_REQUIRE_PDFTOTEXT` is not `1`.
pub fn pdftotext(pdf: &[u8], layout: bool) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut args = vec!["-enc", "UTF-8", "-", "-"];
    if layout {
        args.insert(0, "-layout");
    }
    let Ok(mut child) = Command::new("pdftotext")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var("XUESHI_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
            "pdftotext (poppler-utils) is required"
        );
        eprintln!("note: pdftotext is not installed; the PDF's text was not checked");
        return None;
    };
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8(out.stdout).unwrap())
}
