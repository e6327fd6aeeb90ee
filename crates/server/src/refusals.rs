//! Refused actions are audited: a 403 answering a signed-in user's request that would have
//! changed something (a mutating method) is written to the audit log, with who, from where,
//! what and why. Refusals before anyone is identified (a cross-site request) are not: anyone
//! could write those by the thousand.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::error::ErrorCode;
use crate::services::{Ctx, Place, record};
use crate::state::AppState;

/// Where the session extractor leaves who is acting, for this layer to read after the answer.
#[derive(Clone, Default)]
pub struct Witness(Arc<Mutex<Option<Ctx>>>);

impl Witness {
    /// Called by the session extractor once the user is known.
    pub fn saw(parts: &Parts, ctx: &Ctx) {
        if let Some(w) = parts.extensions.get::<Witness>()
            && let Ok(mut seen) = w.0.lock()
        {
            *seen = Some(ctx.clone());
        }
    }

    fn take(&self) -> Option<Ctx> {
        self.0.lock().ok()?.take()
    }
}

pub async fn audit_refusals(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let witness = Witness::default();
    let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
    req.extensions_mut().insert(witness.clone());
    let response = next.run(req).await;
    if response.status() == StatusCode::FORBIDDEN
        && let Some(ctx) = witness.take()
    {
        let code = response
            .extensions()
            .get::<ErrorCode>()
            .map_or("forbidden", |c| c.0);
        if let Err(e) = write(&state, &ctx, &method, &path, code).await {
            tracing::error!(error = %e, "could not audit a refused request");
        }
    }
    response
}

async fn write(
    state: &AppState,
    ctx: &Ctx,
    method: &str,
    path: &str,
    code: &str,
) -> xueshi_store::StoreResult<()> {
    let mut tx = state.db.begin().await?;
    let request = format!("{method} {path}");
    record(
        &mut tx,
        state.db.vault(),
        ctx,
        "access.denied",
        ("request", &request),
        &Place::nowhere(),
        json!({ "code": code, "role": ctx.actor.role }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
