//! Announcements (通知公告) and consultation contacts (答疑联系人): shown on every home page,
//! published by the city and districts.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{Action, role_allows};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::{AppError, AppResult};
use crate::services::announcements::{self, Publish};
use crate::services::{Ctx, time_text};
use crate::state::AppState;

pub struct NoticeView {
    pub id: String,
    pub title: String,
    pub org: String,
    pub date: String,
    pub body: String,
}

/// What the home pages show: the latest notices and the contacts to call.
pub struct HomeExtras {
    pub notices: Vec<NoticeView>,
    pub contacts: Vec<(String, String, String)>,
    pub contacts_org: String,
    /// The caller's unread messages (站内消息), newest first, and how many there are.
    pub messages: Vec<MessageView>,
    pub unread: i64,
}

/// An unread message on the home page, with 知道了 to mark it read.
pub struct MessageView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub at: String,
}

async fn notices(state: &AppState, ctx: &Ctx, limit: i64) -> AppResult<Vec<NoticeView>> {
    let (items, _) = announcements::list(&state.db, ctx, None, Some(limit)).await?;
    Ok(items
        .into_iter()
        .map(|(a, _)| NoticeView {
            id: a.id,
            title: a.title,
            org: a.org_name,
            date: time_text(a.created_at).chars().take(10).collect(),
            body: a.body,
        })
        .collect())
}

pub async fn home_extras(state: &AppState, ctx: &Ctx) -> AppResult<HomeExtras> {
    let contacts = announcements::contacts(&state.db, ctx, None).await;
    let (contacts, contacts_org) = match contacts {
        Ok(c) => (
            c.contacts
                .into_iter()
                .map(|c| (c.name, c.phone, c.hours))
                .collect(),
            c.org_name,
        ),
        Err(AppError::NotFound | AppError::Forbidden) => (Vec::new(), String::new()),
        Err(other) => return Err(other),
    };
    let (unread_page, unread) =
        crate::services::notifications::list(&state.db, ctx, true, None, Some(5)).await?;
    let messages = unread_page
        .items
        .into_iter()
        .map(|n| MessageView {
            at: super::shown_time(n.created_at, false),
            id: n.id,
            title: n.title,
            body: n.body,
        })
        .collect();
    Ok(HomeExtras {
        notices: notices(state, ctx, 3).await?,
        contacts,
        contacts_org,
        messages,
        unread,
    })
}

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    csrf: String,
}

/// 知道了: marks one of the caller's messages read and goes back home.
pub async fn read_message(
    State(state): State<AppState>,
    user: WebUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<ReadForm>,
) -> Result<Response, super::PageError> {
    super::forms::check_csrf(&user, &form.csrf)?;
    crate::services::notifications::mark_read(&state.db, &user.me.ctx, &id).await?;
    Ok(axum::response::Redirect::to("/home#messages").into_response())
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    items: Vec<NoticeView>,
    can_publish: bool,
    contact_rows: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    user: WebUser,
    flash: Option<String>,
    errors: FormErrors,
) -> AppResult<NoticesPage> {
    let items = notices(state, &user.me.ctx, 100).await?;
    let can_publish = role_allows(user.me.ctx.actor.role, Action::PublishNotices);
    let mut contact_rows = Vec::new();
    if can_publish {
        let own = Some(user.me.ctx.actor.org_id.as_str());
        if let Ok(c) = announcements::contacts(&state.db, &user.me.ctx, own).await {
            contact_rows = c
                .contacts
                .into_iter()
                .map(|c| (c.name, c.phone, c.hours))
                .collect();
        }
        // Room for three more.
        contact_rows.extend(std::iter::repeat_n(
            (String::new(), String::new(), String::new()),
            3,
        ));
    }
    Ok(NoticesPage {
        can_publish,
        layout: user.layout,
        flash,
        errors,
        items,
        contact_rows,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(
        &page(&state, user, flash, FormErrors::default()).await?,
    )?)
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: String,
    title: String,
    body: String,
}

pub async fn publish(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<PublishForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    match announcements::publish(
        &state.db,
        &user.me.ctx,
        Publish {
            title: form.title,
            body: form.body,
        },
    )
    .await
    {
        Ok(_) => Ok(done("/notices", "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = page(&state, user, None, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// The contacts form: repeated name, phone and hours fields, read in order.
pub async fn save_contacts(
    State(state): State<AppState>,
    user: WebUser,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let field = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .collect::<Vec<_>>()
    };
    check_csrf(&user, field("csrf").first().map_or("", String::as_str))?;
    let (names, phones, hours) = (field("name"), field("phone"), field("hours"));
    let contacts = names
        .iter()
        .zip(&phones)
        .zip(&hours)
        .filter(|((n, p), h)| !(n.is_empty() && p.is_empty() && h.is_empty()))
        .map(|((n, p), h)| announcements::ContactDto {
            name: n.clone(),
            phone: p.clone(),
            hours: h.clone(),
        })
        .collect();
    let org = user.me.ctx.actor.org_id.clone();
    match announcements::put_contacts(
        &state.db,
        &user.me.ctx,
        &org,
        announcements::PutContacts { contacts },
    )
    .await
    {
        Ok(_) => Ok(done("/notices", "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = page(&state, user, None, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
