//! `xueshi bench floor`: the two floors the surge load test compares the platform with
//! (scripts/bench/surge.sh) — an axum hello-world, and one indexed primary-key read through
//! the same database pool the server opens — so that every figure reads as a share of what
//! this machine's HTTP stack and database can do at all.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use xueshi_store::Db;
use xueshi_store::repo::sql::Sql;

use crate::config::Config;

async fn hello() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "hello": "world" }))
}

/// One teacher's name by primary key, as JSON.
async fn primary_key(
    State(db): State<Db>,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, StatusCode> {
    let mut c = db
        .pool()
        .acquire()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let mut q = Sql::new("SELECT name FROM teachers WHERE id = ");
    q.bind(id.as_str());
    let row = q
        .fetch_optional(&mut c)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let name: String =
        xueshi_store::Row::try_get(&row, "name").map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(axum::Json(serde_json::json!({ "name": name })))
}

pub async fn run(config: Config, bind: &str) -> anyhow::Result<()> {
    let db = crate::app::open_db(&config).await?;
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/pk/{id}", get(primary_key))
        .with_state(db);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    println!("floors on http://{bind}: /hello and /pk/{{teacher id}}");
    axum::serve(listener, app).await?;
    Ok(())
}
