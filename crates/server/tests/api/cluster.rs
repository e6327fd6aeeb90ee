//! Two servers on one database, as a cluster runs them: what one server caches (sessions,
//! policies, a teacher's totals) follows what the other changes, within a second.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use xueshi_server::app::Application;
use xueshi_server::clock::Clock;

use crate::declaring::scene;
use crate::helpers::{PASSWORD, TestApp, id_number, tree};

/// The bound the change feed promises (docs/deploy.md).
const WITHIN: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// A second server over the test app's database and files.
struct Twin {
    address: String,
    clock: Clock,
    client: reqwest::Client,
}

async fn twin(app: &TestApp) -> Twin {
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".into();
    let server = Application::build(config)
        .await
        .expect("the second server starts");
    let twin = Twin {
        address: format!("http://127.0.0.1:{}", server.port()),
        clock: server.state().clock.clone(),
        client: reqwest::Client::new(),
    };
    let db = server.state().db.clone();
    tokio::spawn(server.run_until(std::future::pending()));
    // Caching from the first request on, or these tests would prove nothing.
    let start = Instant::now();
    while !db.cache().is_live() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the change feed starts"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    twin
}

impl Twin {
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}/api/v1{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("the second server answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Asks until `done` holds of the answer; how long that took, or a failure past `WITHIN`.
    async fn until(
        &self,
        path: &str,
        token: &str,
        done: impl Fn(StatusCode, &Value) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            let (status, body) = self.get(path, token).await;
            if done(status, &body) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < WITHIN,
                "{path} still answers {status} {body} after {WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn unauthenticated(status: StatusCode, _: &Value) -> bool {
    status == StatusCode::UNAUTHORIZED
}

#[tokio::test]
async fn a_logout_on_one_server_ends_the_session_on_the_other() {
    let app = crate::helpers::spawn_app().await;
    let t = tree(&app, "集群甲").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let token = app.login(&id_number(1), PASSWORD).await;
    let other = twin(&app).await;
    assert_eq!(other.get("/me", &token).await.0, StatusCode::OK);
    app.post("/auth/logout", &token, json!({}))
        .await
        .expect(204);
    other.until("/me", &token, unauthenticated).await;
}

#[tokio::test]
async fn a_password_reset_on_one_server_ends_the_sessions_on_the_other() {
    let app = crate::helpers::spawn_app().await;
    let t = tree(&app, "集群乙").await;
    app.teacher(&t.school, "李娜", 2).await;
    let token = app.login(&id_number(2), PASSWORD).await;
    let other = twin(&app).await;
    let (status, me) = other.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    let user_id = me["id"].as_str().expect("the user's id").to_owned();
    app.post(
        &format!("/users/{user_id}/password-reset"),
        &t.school_token,
        json!({}),
    )
    .await
    .expect(200);
    other.until("/me", &token, unauthenticated).await;
}

#[tokio::test]
async fn idleness_is_judged_by_use_on_any_server() {
    let app = crate::helpers::spawn_app().await;
    let t = tree(&app, "集群丙").await;
    app.teacher(&t.school, "王芳", 3).await;
    let token = app.login(&id_number(3), PASSWORD).await;
    let other = twin(&app).await;
    let both = |by: Duration| {
        app.clock.advance(by);
        other.clock.advance(by);
    };
    // Cached on the second server, then used only on the first one for 40 minutes…
    assert_eq!(other.get("/me", &token).await.0, StatusCode::OK);
    for _ in 0..2 {
        both(20 * MINUTE);
        app.api_get("/me", &token).await.expect(200);
    }
    // …(the first server writes its activity in a batch within seconds)…
    tokio::time::sleep(xueshi_server::auth::touches::FLUSH_EVERY * 2).await;
    // …the session is alive on the second one too.
    both(20 * MINUTE);
    assert_eq!(other.get("/me", &token).await.0, StatusCode::OK);
    // Thirty idle minutes end it, on the server that notices and then on the other.
    both(31 * MINUTE);
    app.api_get("/me", &token)
        .await
        .expect_error(401, "unauthenticated");
    assert_eq!(other.get("/me", &token).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_submission_and_a_review_on_one_server_show_in_progress_on_the_other() {
    let s = scene("集群丁").await;
    let other = twin(&s.app).await;
    let path = format!("/teachers/{}/progress?year=2030", s.teacher);
    let (status, before) = other.get(&path, &s.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["pending_hours"], 0);
    let id = s.app.submitted(&s.token, "集群课程", 1).await;
    let waited = other
        .until(&path, &s.token, |_, p| p["pending_hours"] == 24)
        .await;
    for token in [&s.tree.school_token, &s.tree.district_token] {
        s.app
            .review(token, &id, json!({ "decision": "approve" }))
            .await
            .expect(200);
    }
    other
        .until(&path, &s.token, |_, p| {
            p["categories"]["professional"]["hours"] == 24 && p["pending_hours"] == 0
        })
        .await;
    // And the server that made the change answers it at once.
    let own = s.app.progress(&s.teacher, 2030).await;
    assert_eq!(own["categories"]["professional"]["hours"], 24);
    eprintln!("the submission reached the other server after {waited:?}");
}

#[tokio::test]
async fn a_policy_change_on_one_server_shows_on_the_other() {
    let s = scene("集群戊").await;
    let other = twin(&s.app).await;
    let path = format!("/teachers/{}/progress?year=2030", s.teacher);
    let (_, before) = other.get(&path, &s.token).await;
    assert_eq!(before["total"]["required"], 90);
    let mut changed = crate::helpers::policy(2030);
    changed["minimums"]["total"] = json!(100);
    s.app.set_policy(2030, changed).await;
    other
        .until(&path, &s.token, |_, p| p["total"]["required"] == 100)
        .await;
}

/// A verification job leased to a server that is gone: `lease_until` past (killed) or 0
/// (given back at a graceful shutdown).
async fn orphan_job(app: &TestApp, lease_until: i64) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let me = app.api_get("/me", &app.city_token).await.expect(200);
    let params = json!({
        "year": 2030, "ip": "127.0.0.1",
        "actor": { "user_id": me["id"], "role": "city_admin", "org_id": app.city_id,
                   "district_id": null, "teacher_id": null },
    });
    let mut tx = app.db.begin().await.unwrap();
    xueshi_store::repo::jobs::insert(&mut tx, &id, "verification", None, &params)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'running', lease_owner = 'gone', lease_until = $1, attempts = 1 WHERE id = $2")
        .bind(lease_until)
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job_status(app: &TestApp, id: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let job = app
            .api_get(&format!("/jobs/{id}"), &app.city_token)
            .await
            .expect(200);
        if job["status"] == "done" || job["status"] == "failed" || start.elapsed() > within {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_job_whose_server_died_is_finished_by_another() {
    let app = crate::helpers::spawn_app().await;
    let t = tree(&app, "集群己").await;
    let teacher = app.teacher(&t.school, "赵", 6).await;
    app.set_policy(2030, crate::helpers::policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    // Its lease ran out a moment ago: the server holding it stopped renewing.
    let expired = orphan_job(&app, xueshi_store::now_ms() - 1).await;
    // Another server still holds this one (and renews it): it is left alone.
    let held = orphan_job(&app, xueshi_store::now_ms() + 60_000).await;
    let job = job_status(&app, &expired, Duration::from_secs(5)).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["result"]["passed"], 1);
    let job = job_status(&app, &held, Duration::from_millis(1500)).await;
    assert_eq!(job["status"], "running", "{job}");
    // Given back at that server's graceful shutdown: taken at once.
    let mut tx = app.db.begin().await.unwrap();
    xueshi_store::repo::jobs::release_all(&mut tx, "gone")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let job = job_status(&app, &held, Duration::from_secs(5)).await;
    assert_eq!(job["status"], "done", "{job}");
}

#[tokio::test]
async fn a_job_interrupted_three_times_fails_instead_of_killing_a_fourth_server() {
    let app = crate::helpers::spawn_app().await;
    let id = orphan_job(&app, 0).await;
    sqlx::query("UPDATE jobs SET attempts = 3 WHERE id = $1")
        .bind(&id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let job = job_status(&app, &id, Duration::from_secs(5)).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"], "任务多次中断，请重新发起");
}

#[tokio::test]
async fn a_draining_server_fails_its_health_check_and_still_answers_then_closes() {
    let app = crate::helpers::spawn_app().await;
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".into();
    config.drain_secs = 2;
    let server = Application::build(config).await.expect("starts");
    let base = format!("http://127.0.0.1:{}", server.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let health = || client.get(format!("{base}/healthz")).send();
    assert_eq!(health().await.unwrap().status(), StatusCode::OK);
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let draining = health().await.unwrap();
    assert_eq!(draining.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        draining.json::<Value>().await.unwrap()["status"],
        "draining"
    );
    // Requests that still arrive are answered while the balancer moves away…
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&app.city_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // …then the listener closes and the server ends.
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the server ends after draining")
        .unwrap()
        .unwrap();
    assert!(health().await.is_err(), "nothing listens any more");
}
