use sqlx::AnyConnection;
use xueshi_domain::{OrgStatus, Role, TeacherStatus};
use xueshi_vault::Vault;

use super::scope::{District, Placement, push_scope};
use super::sql::Sql;
use crate::StoreResult;
use crate::models::{USER_COLUMNS, User};
use crate::sealed::{login_key, open_field};

/// The users who may act — staff of an active organisation, teachers who have not
/// departed — aliased `u`, with their organisation `o`; callers append `AND …`. Login and
/// every authenticated request apply the rule through this one function.
pub(crate) fn push_active_users(q: &mut Sql) {
    q.push(
        "users u JOIN orgs o ON o.id = u.org_id \
         LEFT JOIN teachers t ON t.id = u.teacher_id WHERE o.status = ",
    )
    .bind_code(OrgStatus::Active)
    .push(" AND ((u.teacher_id IS NULL AND u.role <> ")
    .bind_code(Role::Teacher)
    .push(") OR t.status <> ")
    .bind_code(TeacherStatus::Departed)
    .push(")");
}

/// The district of the organisation of `user_id`, if that user may act (see [`ACTIVE_USERS`]);
/// `None` when they may not.
pub async fn active_district(
    c: &mut AnyConnection,
    user_id: &str,
) -> StoreResult<Option<Option<String>>> {
    let mut q = Sql::new("SELECT o.district_id AS org_district_id FROM ");
    push_active_users(&mut q);
    q.push(" AND u.id = ").bind(user_id);
    q.fetch_optional(c)
        .await?
        .map(|row| Ok(sqlx::Row::try_get(&row, "org_district_id")?))
        .transpose()
}

pub async fn insert(c: &mut AnyConnection, u: &User) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO users (id, username, password_hash, role, org_id, teacher_id, created_at, \
         must_change_password) VALUES (",
    );
    q.bind(u.id.as_str())
        .push(", ")
        .bind(u.login.as_str())
        .push(", ");
    q.bind(u.password_hash.as_str())
        .push(", ")
        .bind(u.role.as_str())
        .push(", ");
    q.bind(u.org_id.as_str())
        .push(", ")
        .bind(u.teacher_id.clone())
        .push(", ");
    q.bind(u.created_at)
        .push(", ")
        .bind(i64::from(u.must_change_password))
        .push(")");
    q.execute(c).await?;
    Ok(())
}

/// A new password hash; `must_change` when someone else chose it (an administrator's reset).
pub async fn set_password(
    c: &mut AnyConnection,
    user_id: &str,
    password_hash: &str,
    must_change: bool,
) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE users SET password_hash = ");
    q.bind(password_hash)
        .push(", must_change_password = ")
        .bind(i64::from(must_change))
        .push(" WHERE id = ")
        .bind(user_id);
    q.execute(c).await?;
    Ok(())
}

/// The registered phone of a teacher's login, for forgot-password codes.
pub async fn phone(c: &mut AnyConnection, v: &Vault, user_id: &str) -> StoreResult<Option<String>> {
    let mut q = Sql::new(
        "SELECT t.id, t.phone FROM users u JOIN teachers t ON t.id = u.teacher_id WHERE u.id = ",
    );
    q.bind(user_id);
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let teacher_id: String = sqlx::Row::try_get(&row, "id")?;
    sqlx::Row::try_get::<Option<String>, _>(&row, "phone")?
        .map(|p| open_field(v, &teacher_id, "phone", &p))
        .transpose()
}

pub async fn get(c: &mut AnyConnection, v: &Vault, id: &str) -> StoreResult<Option<User>> {
    let mut q = Sql::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = "));
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| User::from_row(&r, v))
        .transpose()
}

/// The user who logs in as `username` (for a teacher: their ID number).
pub async fn by_username(
    c: &mut AnyConnection,
    v: &Vault,
    username: &str,
) -> StoreResult<Option<User>> {
    let mut q = Sql::new(format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.username = "
    ));
    q.bind(login_key(v, username));
    q.fetch_optional(c)
        .await?
        .map(|r| User::from_row(&r, v))
        .transpose()
}

/// Keeps a teacher's login in step with their ID number and school.
pub async fn sync_teacher_login(
    c: &mut AnyConnection,
    v: &Vault,
    teacher_id: &str,
    id_number: &str,
    org_id: &str,
) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE users SET username = ");
    q.bind(login_key(v, id_number))
        .push(", org_id = ")
        .bind(org_id)
        .push(" WHERE teacher_id = ")
        .bind(teacher_id);
    q.execute(c).await?;
    Ok(())
}

/// Any one username, to tell an empty database from a used one.
pub async fn any_username(c: &mut AnyConnection) -> StoreResult<Option<String>> {
    let q = Sql::new("SELECT username FROM users LIMIT 1");
    Ok(q.fetch_optional(c)
        .await?
        .map(|r| sqlx::Row::get(&r, "username")))
}

/// A staff account with its organisation's name, for the accounts page.
pub struct StaffRow {
    pub user: User,
    pub org_name: String,
    pub has_authenticator: bool,
}

/// The administrator accounts (every role but teacher) of the organisations in `scope`, by
/// organisation and username; at most `limit`.
pub async fn list_staff(
    c: &mut AnyConnection,
    v: &Vault,
    scope: &xueshi_domain::authz::Scope,
    limit: i64,
) -> StoreResult<Vec<StaffRow>> {
    let mut q = Sql::new(format!(
        "SELECT {USER_COLUMNS}, o.name AS org_name, \
         (SELECT COUNT(*) FROM user_mfa m WHERE m.user_id = u.id AND m.confirmed_at IS NOT NULL) \
         AS authenticators FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.role <> "
    ));
    q.bind_code(Role::Teacher);
    // A district's own organisation has itself as its district.
    let at_org = Placement {
        school: Some("o.id"),
        district: District::Columns {
            district: "o.district_id",
            city_affiliated: "o.city_affiliated",
        },
        teacher: None,
        provider: None,
    };
    push_scope(&mut q, scope, &[at_org]);
    q.push(" ORDER BY o.name, u.username LIMIT ").bind(limit);
    let rows = q.fetch_all(c).await?;
    rows.iter()
        .map(|row| {
            Ok(StaffRow {
                user: User::from_row(row, v)?,
                org_name: sqlx::Row::try_get(row, "org_name")?,
                has_authenticator: sqlx::Row::try_get::<i64, _>(row, "authenticators")? > 0,
            })
        })
        .collect()
}
