//! The server-rendered web UI (askama templates). Sessions are an HttpOnly, SameSite=Strict
//! cookie holding the same kind of token as the API's bearer tokens; every form carries a
//! CSRF token.

mod csrf;
mod pages;

use axum::Router;
use axum::http::header;
use axum::routing::get;

use crate::state::AppState;

pub use csrf::csrf_for_session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::start))
        .route("/login", axum::routing::post(pages::login))
        .route("/logout", axum::routing::post(pages::logout))
        .route("/home", get(pages::home))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}
