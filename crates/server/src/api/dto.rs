//! Response shapes of the API (API.md). Personal numbers are masked unless the caller asked
//! for one record in full.

use serde::Serialize;
use xueshi_domain::{
    IdNumber, OrgKind, OrgStatus, Ownership, Role, SchoolType, TeacherStatus, mask_phone,
};
use xueshi_store::models::{AuditEntry, Org, Page, Teacher, User};

use crate::services::time_text;

#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn from_page<S>(page: Page<S>, f: impl Fn(S) -> T) -> List<T> {
        List {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }

    pub fn try_from_page<S, E>(
        page: Page<S>,
        f: impl FnMut(S) -> Result<T, E>,
    ) -> Result<List<T>, E> {
        Ok(List {
            items: page.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: page.next_cursor,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<String>,
    pub district_id: Option<String>,
    pub ownership: Option<Ownership>,
    pub school_type: Option<SchoolType>,
    pub city_affiliated: bool,
    pub status: OrgStatus,
    pub created_at: String,
}

impl From<Org> for OrgDto {
    fn from(o: Org) -> OrgDto {
        OrgDto {
            id: o.id,
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id,
            district_id: o.district_id,
            ownership: o.ownership,
            school_type: o.school_type,
            city_affiliated: o.city_affiliated,
            status: o.status,
            created_at: time_text(o.created_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserDto {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub org_id: String,
    pub teacher_id: Option<String>,
}

impl From<User> for UserDto {
    fn from(u: User) -> UserDto {
        // A teacher's username is their ID number: shown in full only to themselves.
        UserDto {
            id: u.id,
            username: u.username,
            role: u.role,
            org_id: u.org_id,
            teacher_id: u.teacher_id,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeacherDto {
    pub id: String,
    pub name: String,
    /// Full in a single-record view, masked (`440106********123X`) in lists.
    pub id_number: String,
    pub school_id: String,
    pub status: TeacherStatus,
    pub user_id: Option<String>,
    pub phone: Option<String>,
    pub departed_on: Option<String>,
    pub created_at: String,
}

impl TeacherDto {
    pub fn full(t: Teacher) -> TeacherDto {
        TeacherDto {
            id: t.id,
            name: t.name,
            id_number: t.id_number,
            school_id: t.school_id,
            status: t.status,
            user_id: t.user_id,
            phone: t.phone,
            departed_on: t.departed_on,
            created_at: time_text(t.created_at),
        }
    }

    pub fn masked(t: Teacher) -> TeacherDto {
        let id_number = IdNumber::mask_str(&t.id_number);
        let phone = t.phone.as_deref().map(mask_phone);
        TeacherDto {
            id_number,
            phone,
            ..TeacherDto::full(t)
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditDto {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditDto {
    fn from(e: AuditEntry) -> AuditDto {
        AuditDto {
            id: e.id.to_string(),
            at: time_text(e.at),
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            ip: e.ip,
            detail: e.detail,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub user: UserDto,
    /// The sign-in step still owed (`mfa_enroll`, `mfa_verify`, `change_password`), or
    /// `null` for a full session.
    pub next: Option<crate::auth::Step>,
}

impl From<crate::services::auth::LoggedIn> for LoginResponse {
    fn from(done: crate::services::auth::LoggedIn) -> Self {
        LoginResponse {
            token: done.token,
            user: done.user.into(),
            next: done.next,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MfaVerified {
    pub token: String,
    pub user: UserDto,
    pub next: Option<crate::auth::Step>,
    /// Ten single-use codes, only on the first confirmation of an enrolment; else `null`.
    pub recovery_codes: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemporaryPassword {
    /// Shown once; the user must change it at the next login.
    pub temporary_password: String,
}
