//! The audit log is tamper-evident: `xueshi audit verify` walks its keyed chain and names the
//! first entry edited, removed or truncated away, even with the append-only triggers dropped.

use crate::helpers::*;

fn verify(app: &TestApp) -> (bool, String) {
    xueshi(&app.config, &["audit", "verify"])
}

fn postgres(app: &TestApp) -> bool {
    app.config.database_url.is_some()
}

/// Runs `sql` with the append-only triggers out of the way, as an attacker with the
/// database's owner rights would.
async fn tamper(app: &TestApp, sql: &str) {
    let mut c = app.db.pool().acquire().await.unwrap();
    let (off, on): (&[&str], &[&str]) = if postgres(app) {
        (
            &["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"],
            &["ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"],
        )
    } else {
        (
            &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            &[
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            ],
        )
    };
    for s in off.iter().chain([&sql]).chain(on) {
        sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&mut *c)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// A few audited changes; answers the ids of the entries, oldest first.
async fn some_history(app: &TestApp) -> Vec<i64> {
    let t = tree(app, "审计链").await;
    for n in 0..3 {
        app.teacher(&t.school, &format!("教师{n}"), 600 + n).await;
    }
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM audit_log ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    ids.into_iter().map(|(id,)| id).collect()
}

#[tokio::test]
async fn an_untouched_log_verifies_and_counts_its_entries() {
    let app = spawn_app().await;
    let ids = some_history(&app).await;
    let (ok, text) = verify(&app);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("已核验 {} 条审计记录", ids.len())),
        "{text}"
    );
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let app = spawn_app().await;
    let ids = some_history(&app).await;
    let victim = ids[ids.len() / 2];
    tamper(
        &app,
        &format!("UPDATE audit_log SET detail = '{{}}' WHERE id = {victim}"),
    )
    .await;
    let (ok, text) = verify(&app);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("第 {victim} 条记录处断开")),
        "{text}"
    );
}

#[tokio::test]
async fn a_deleted_entry_breaks_the_chain_at_the_next_one() {
    let app = spawn_app().await;
    let ids = some_history(&app).await;
    let victim = ids[ids.len() / 2];
    tamper(&app, &format!("DELETE FROM audit_log WHERE id = {victim}")).await;
    let (ok, text) = verify(&app);
    assert!(!ok, "{text}");
    let next = ids[ids.len() / 2 + 1];
    assert!(text.contains(&format!("第 {next} 条记录处断开")), "{text}");
}

#[tokio::test]
async fn an_emptied_log_is_caught_and_truncate_is_refused() {
    let app = spawn_app().await;
    some_history(&app).await;
    if postgres(&app) {
        let refused = sqlx::query("TRUNCATE audit_log")
            .execute(app.db.pool())
            .await;
        assert!(refused.is_err(), "TRUNCATE must be refused");
    }
    tamper(&app, "DELETE FROM audit_log").await;
    let (ok, text) = verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("链头与最后一条记录不符"), "{text}");
}

#[tokio::test]
async fn a_refused_change_is_audited_with_who_and_what_and_a_refused_read_is_not() {
    let app = spawn_app().await;
    let t = tree(&app, "拒绝").await;
    app.teacher(&t.school, "陈老师", 611).await;
    let token = app.login(&id_number(611), PASSWORD).await;
    let me = app.api_get("/me", &token).await.expect(200);
    let user_id = me["id"].as_str().unwrap().to_owned();
    let body = serde_json::json!({ "name": "越权区", "kind": "district" });
    app.post("/orgs", &token, body)
        .await
        .expect_error(403, "forbidden");
    app.api_get("/audit", &token)
        .await
        .expect_error(403, "forbidden");

    let audit = app
        .api_get(&format!("/audit?actor_id={user_id}"), &app.city_token)
        .await
        .expect(200);
    let refused: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "access.denied")
        .collect();
    assert_eq!(refused.len(), 1, "only the change is recorded: {audit}");
    assert_eq!(refused[0]["target_id"], "POST /api/v1/orgs");
    assert_eq!(refused[0]["detail"]["code"], "forbidden");
    assert_eq!(refused[0]["detail"]["role"], "teacher");
    let (ok, said) = verify(&app);
    assert!(ok, "{said}");
}
