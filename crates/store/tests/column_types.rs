//! One integer type for one concept: on PostgreSQL no table keeps an INTEGER column (the
//! shared SQL layer reads every integer as 64 bits, and a flag must not decode differently
//! by table). SQLite has one integer affinity, so there is nothing to check there.

mod common;

use sqlx::Row;

#[tokio::test]
async fn every_integer_column_is_bigint() {
    if !std::env::var("XUESHI_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return;
    }
    let test = common::open().await;
    let rows = sqlx::query(
        "SELECT table_name || '.' || column_name AS col FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type IN ('integer', 'smallint') \
         ORDER BY 1",
    )
    .fetch_all(test.db.pool())
    .await
    .unwrap();
    let narrow: Vec<String> = rows.iter().map(|r| r.get("col")).collect();
    assert!(narrow.is_empty(), "INTEGER columns left: {narrow:?}");
}
