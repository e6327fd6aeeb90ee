//! On PostgreSQL the server can run as a role that owns nothing, with the rights
//! `docs/postgres-grants.sql` gives it: everything works, and what an intruder with the
//! server's credentials would try on the audit log is refused by the database itself.

use serde_json::json;
use sqlx::Connection;
use xueshi_server::app::Application;

use crate::helpers::*;

const GRANTS: &str = include_str!("../../../../docs/postgres-grants.sql");

/// A login role for this test, given the documented rights in the app's database; answers
/// its URL.
async fn server_role(url: &str) -> (String, String) {
    let role = format!("xueshi_app_{}", uuid::Uuid::now_v7().simple());
    let password = uuid::Uuid::now_v7().simple().to_string();
    let mut owner = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE {role} LOGIN PASSWORD '{password}'"
    )))
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(GRANTS.replace("xueshi_app", &role)))
        .execute(&mut owner)
        .await
        .expect("the documented grants apply");
    let (_, host_and_db) = url.split_once('@').expect("user@host in the test URL");
    let role_url = format!("postgres://{role}:{password}@{host_and_db}");
    (role, role_url)
}

/// Roles outlive databases: this one goes with its rights (best effort; `.ci/run` sweeps).
async fn drop_role(owner_url: &str, role: &str) {
    if let Ok(mut owner) = sqlx::PgConnection::connect(owner_url).await {
        let sql = format!("DROP OWNED BY {role}; DROP ROLE {role}");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut owner)
            .await;
    }
}

#[tokio::test]
async fn the_server_runs_as_a_role_that_owns_nothing_and_the_audit_log_stays_append_only() {
    let app = spawn_app().await;
    let Some(owner_url) = app.config.database_url.clone() else {
        return; // PostgreSQL only
    };
    let t = tree(&app, "权限").await;
    let (role, role_url) = server_role(&owner_url).await;

    let mut config = app.config.clone();
    config.database_url = Some(role_url.clone());
    config.bind = "127.0.0.1:0".into();
    let server = Application::build(config.clone())
        .await
        .expect("starts as the unprivileged role");
    let base = format!("http://127.0.0.1:{}/api/v1", server.port());
    tokio::spawn(server.run_until(std::future::pending()));

    // The whole round: create a teacher, who logs in and declares; the school reads it.
    let created = app
        .client
        .post(format!("{base}/teachers"))
        .bearer_auth(&app.city_token)
        .json(
            &json!({ "name": "林老师", "id_number": id_number(701), "school_id": t.school,
                       "password": PASSWORD }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let teachers = app
        .client
        .get(format!("{base}/teachers?q={}", id_number(701)))
        .bearer_auth(&t.school_token)
        .send()
        .await
        .unwrap();
    assert_eq!(teachers.status(), 200);
    let (ok, said) = xueshi(&config, &["audit", "verify"]);
    assert!(ok, "{said}");

    // With the server's own credentials, the audit log cannot be changed or emptied.
    let mut c = sqlx::PgConnection::connect(&role_url).await.unwrap();
    for attack in [
        "UPDATE audit_log SET detail = '{}'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "DROP TABLE audit_log",
        "UPDATE audit_chain SET head = ''", // allowed by rights, but caught by verify below
        "DELETE FROM schema_migrations",
        "CREATE TABLE intruder (x int)",
    ] {
        let result = sqlx::raw_sql(sqlx::AssertSqlSafe(attack))
            .execute(&mut c)
            .await;
        if attack.starts_with("UPDATE audit_chain") {
            assert!(result.is_ok(), "{attack}: the server itself moves the head");
            continue;
        }
        let err = result.expect_err(attack).to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{attack}: {err}"
        );
    }
    let (ok, said) = xueshi(&config, &["audit", "verify"]);
    assert!(
        !ok && said.contains("链头"),
        "a moved head is caught: {said}"
    );
    drop(c);
    drop_role(&owner_url, &role).await;
}
