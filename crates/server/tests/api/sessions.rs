//! Session limits, kept in the database and read with the server's clock: idle (teachers 30
//! minutes, every other role 15) and absolute (12 hours).

use std::time::Duration;

use crate::helpers::{PASSWORD, id_number, spawn_app, spawn_app_with, tree};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_teachers_session_ends_after_thirty_idle_minutes() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let token = app.login(&id_number(1), PASSWORD).await;
    // Activity keeps it alive…
    for _ in 0..3 {
        app.clock.advance(29 * MINUTE);
        app.api_get("/me", &token).await.expect(200);
    }
    // …thirty idle minutes end it.
    app.clock.advance(31 * MINUTE);
    app.api_get("/me", &token)
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn an_administrators_session_ends_after_fifteen_idle_minutes() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    app.clock.advance(14 * MINUTE);
    app.api_get("/me", &t.school_token).await.expect(200);
    app.clock.advance(16 * MINUTE);
    app.api_get("/me", &t.school_token)
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn idle_limits_are_settings() {
    let app = spawn_app_with(|c| {
        c.admin_idle_minutes = 3;
        c.idle_minutes = 60;
    })
    .await;
    let t = tree(&app, "越秀").await;
    app.teacher(&t.school, "李芳", 2).await;
    let teacher = app.login(&id_number(2), PASSWORD).await;
    app.clock.advance(4 * MINUTE);
    app.api_get("/me", &t.school_token)
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/me", &teacher).await.expect(200);
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_login_however_active() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    app.teacher(&t.school, "王强", 3).await;
    let token = app.login(&id_number(3), PASSWORD).await;
    for _ in 0..(12 * 60 / 20 - 1) {
        app.clock.advance(20 * MINUTE);
        app.api_get("/me", &token).await.expect(200);
    }
    app.clock.advance(21 * MINUTE);
    app.api_get("/me", &token)
        .await
        .expect_error(401, "unauthenticated");
}

/// Activity is written in batches (one transaction every two seconds, not one per request),
/// so what every server of a cluster reads is at most that late; this server already counts it.
#[tokio::test]
async fn activity_reaches_the_database_in_a_batch_within_seconds() {
    let app = spawn_app().await;
    let token = app.city_token.clone();
    let hash = xueshi_server::auth::sessions::token_hash(&token);
    let last_seen = || async {
        let mut c = app.db.pool().acquire().await.unwrap();
        let mut q = xueshi_store::repo::sql::Sql::new(
            "SELECT last_seen_at FROM sessions WHERE token_hash = ",
        );
        q.bind(hash.as_str());
        let row = q.fetch_optional(&mut c).await.unwrap().unwrap();
        xueshi_store::Row::try_get::<i64, _>(&row, "last_seen_at").unwrap()
    };
    let before = last_seen().await;
    app.clock.advance(10 * MINUTE);
    app.api_get("/me", &app.city_token).await.expect(200);
    // Idle for 14 more minutes by this server's count (15 is the limit), whatever is written.
    app.clock.advance(14 * MINUTE);
    app.api_get("/me", &app.city_token).await.expect(200);
    let mut written = before;
    for _ in 0..50 {
        written = last_seen().await;
        if written > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        written >= before + (10 * MINUTE).as_millis() as i64,
        "{before} → {written}"
    );
}
