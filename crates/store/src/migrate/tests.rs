//! Migrations that convert data, tried on a database left at the version before them: on
//! SQLite always, on PostgreSQL too when `XUESHI_TEST_DATABASE_URL` names a server.

use std::ops::RangeInclusive;

use sqlx::{AnyConnection, Connection, Executor, Row};

use super::MIGRATIONS;

async fn apply(c: &mut AnyConnection, versions: RangeInclusive<i64>) {
    let postgres = c.backend_name() == "PostgreSQL";
    for m in MIGRATIONS.iter().filter(|m| versions.contains(&m.version)) {
        let sql = if postgres { m.postgres } else { m.sqlite };
        c.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", m.name));
    }
}

/// A fresh empty database of each backend under test.
async fn databases() -> Vec<AnyConnection> {
    sqlx::any::install_default_drivers();
    let mut sqlite = AnyConnection::connect("sqlite::memory:").await.unwrap();
    sqlite.execute("PRAGMA foreign_keys = ON").await.unwrap();
    let mut found = vec![sqlite];
    if let Some(base) = std::env::var("XUESHI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let name = format!("xueshi_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AnyConnection::connect(&base).await.unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        let (prefix, _) = base.rsplit_once('/').expect("the URL names a database");
        found.push(
            AnyConnection::connect(&format!("{prefix}/{name}"))
                .await
                .unwrap(),
        );
    }
    found
}

#[tokio::test]
async fn stored_carry_over_records_become_the_previous_years_carry_out() {
    for mut c in databases().await {
        apply(&mut c, 1..=5).await;
        c.execute(
            "INSERT INTO orgs (id, name, kind, created_at, updated_at) \
             VALUES ('city', '广州市教育局', 'city', 0, 0); \
             INSERT INTO teachers (id, name, id_number, school_id, created_at, updated_at) \
             VALUES ('t1', '甲', '1', 'city', 0, 0), ('t2', '乙', '2', 'city', 0, 0); \
             INSERT INTO verification_results VALUES \
             (2030, 't1', 'city', 300, 600, 180, 0, 1080, 1, 180, 0), \
             (2030, 't2', 'city', 300, 500, 180, 0, 980, 1, 80, 0); \
             INSERT INTO records (id, teacher_id, year, category, activity_type, title, hours, \
             source, status, created_at, updated_at) VALUES \
             ('carry-2031-t1', 't1', 2031, 'professional', 'other', '2030年度专业科目结转学时', 180, 'carry_over', 'approved', 0, 0), \
             ('carry-2031-t2', 't2', 2031, 'professional', 'other', '2030年度专业科目结转学时', 75, 'carry_over', 'approved', 0, 0), \
             ('r1', 't1', 2031, 'elective', 'other', '培训', 20, 'organizer', 'approved', 0, 0)",
        )
        .await
        .unwrap();

        apply(&mut c, 6..=6).await;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM records ORDER BY id")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert_eq!(ids, ["r1"], "carry-over records leave the ledger");
        let rows = sqlx::query(
            "SELECT teacher_id, CAST(carry_out AS BIGINT) AS carry_out FROM verification_results \
             ORDER BY teacher_id",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        let carry: Vec<(String, i64)> = rows
            .iter()
            .map(|r| (r.get("teacher_id"), r.get("carry_out")))
            .collect();
        assert_eq!(
            carry,
            [("t1".to_owned(), 180), ("t2".to_owned(), 75)],
            "the record's hours win where the two ever differed"
        );
        // Results no longer reference teachers (they are derived from them).
        c.execute("INSERT INTO verification_results VALUES (2030, 'nobody', 'city', 0, 0, 0, 0, 0, 0, 0, 0)")
            .await
            .unwrap();
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn accounts_keep_their_users_and_sessions_and_admit_the_auditor() {
    for mut c in databases().await {
        let sqlite = c.backend_name() != "PostgreSQL";
        apply(&mut c, 1..=13).await;
        c.execute(
            "INSERT INTO orgs (id, name, kind, created_at, updated_at) \
             VALUES ('city', '广州市教育局', 'city', 0, 0); \
             INSERT INTO teachers (id, name, id_number, school_id, created_at, updated_at) \
             VALUES ('t1', '甲', '1', 'city', 0, 0); \
             INSERT INTO users (id, username, password_hash, role, org_id, teacher_id, created_at) \
             VALUES ('u1', '1', 'h', 'teacher', 'city', 't1', 5), \
             ('u2', 'admin', 'h', 'city_admin', 'city', NULL, 6); \
             INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) \
             VALUES ('s1', 'u1', 'bearer', 100, 200);",
        )
        .await
        .unwrap();
        // As the runner does on SQLite: foreign keys off while the users table is rebuilt.
        if sqlite {
            c.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        }
        apply(&mut c, 14..=14).await;
        if sqlite {
            let broken = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&mut c)
                .await
                .unwrap();
            assert!(broken.is_empty());
            c.execute("PRAGMA foreign_keys = ON").await.unwrap();
        }
        let users =
            sqlx::query("SELECT id, teacher_id, must_change_password FROM users ORDER BY id")
                .fetch_all(&mut c)
                .await
                .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users[0].get::<Option<String>, _>("teacher_id").as_deref(),
            Some("t1")
        );
        assert_eq!(users[0].get::<i64, _>("must_change_password"), 0);
        let session = sqlx::query("SELECT last_seen_at, next_step FROM sessions")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(session.get::<i64, _>("last_seen_at"), 100);
        assert_eq!(session.get::<Option<String>, _>("next_step"), None);
        c.execute(
            "INSERT INTO users (id, username, password_hash, role, org_id, created_at) \
             VALUES ('u3', 'auditor', 'h', 'auditor', 'city', 7)",
        )
        .await
        .unwrap();
        // References to users still hold after the rebuild.
        let orphan = c
            .execute(
                "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) \
                      VALUES ('s2', 'nobody', 'bearer', 1, 2)",
            )
            .await;
        assert!(orphan.is_err(), "a session of no user is refused");
    }
}
