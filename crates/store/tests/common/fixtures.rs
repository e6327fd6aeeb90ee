//! Rows for store tests: a city, its district and a school, their teachers and their hours.

use sqlx::AnyConnection;
use xueshi_domain::{
    ActivityType, Category, DeclarationStatus, Hours, OrgKind, OrgStatus, RecordStatus, Role,
    Source, TeacherStatus,
};
use xueshi_store::models::{Course, Declaration, Org, Record, Teacher, User};
use xueshi_store::repo::orgs;

pub fn org(id: &str, name: &str, kind: OrgKind, parent: Option<&str>) -> Org {
    Org {
        id: id.into(),
        name: name.into(),
        kind,
        parent_id: parent.map(Into::into),
        district_id: (kind != OrgKind::City).then(|| "d".into()),
        ownership: None,
        school_type: None,
        city_affiliated: false,
        status: OrgStatus::Active,
        created_at: 0,
    }
}

/// The city `c`, its district `d` and the school `s`.
pub async fn city_district_school(c: &mut AnyConnection) {
    orgs::insert(c, &org("c", "广州市", OrgKind::City, None))
        .await
        .unwrap();
    orgs::insert(c, &org("d", "天河区", OrgKind::District, Some("c")))
        .await
        .unwrap();
    orgs::insert(c, &org("s", "天河小学", OrgKind::School, Some("d")))
        .await
        .unwrap();
}

/// A teacher of the school `s`.
pub fn teacher(id: &str, id_number: &str) -> Teacher {
    Teacher {
        id: id.into(),
        name: "陈伟".into(),
        id_number: id_number.into(),
        school_id: "s".into(),
        phone: None,
        status: TeacherStatus::Active,
        departed_on: None,
        created_at: 0,
        user_id: None,
    }
}

pub fn user(id: &str, username: &str) -> User {
    User {
        id: id.into(),
        username: username.into(),
        login: username.into(),
        password_hash: "x".into(),
        role: Role::SchoolAdmin,
        org_id: "s".into(),
        teacher_id: None,
        created_at: 0,
        must_change_password: false,
    }
}

pub fn course(id: &str) -> Course {
    Course {
        id: id.into(),
        title: "心理健康教育".into(),
        year: 2030,
        category: Category::Public,
        activity_type: ActivityType::RemoteTraining,
        hours: Hours::from_whole(30),
        owner_org_id: "c".into(),
        created_at: 0,
    }
}

/// An effective professional record of 2030, 24 hours, registered by an organiser.
pub fn record(id: &str, teacher_id: &str) -> Record {
    Record {
        id: id.into(),
        teacher_id: teacher_id.into(),
        year: 2030,
        category: Category::Professional,
        activity_type: ActivityType::TrainingCourse,
        title: "课堂教学改进".into(),
        hours: Hours::from_whole(24),
        source: Source::Organizer,
        status: RecordStatus::Approved,
        course_id: None,
        training_id: None,
        declaration_id: None,
        start_date: Some("2030-03-05".into()),
        end_date: Some("2030-03-07".into()),
        created_by: None,
        created_at: 0,
        revoke_reason: None,
    }
}

/// A declaration of 2030 at the school `s`, 16 hours, in `status`.
pub fn declaration(id: &str, teacher_id: &str, status: DeclarationStatus) -> Declaration {
    Declaration {
        id: id.into(),
        teacher_id: teacher_id.into(),
        school_id: "s".into(),
        district_id: Some("d".into()),
        city_affiliated: false,
        year: 2030,
        category: Category::Professional,
        activity_type: ActivityType::TrainingCourse,
        title: "信息技术应用能力提升".into(),
        title_normalized: "信息技术应用能力提升".into(),
        organizer: "广州市教育研究院".into(),
        start_date: "2030-04-01".into(),
        end_date: "2030-04-02".into(),
        hours: Hours::from_whole(16),
        approved_hours: None,
        status,
        foreign_certificate: false,
        certificate_states_hours: true,
        submitted_at: None,
        queued_at: 0,
        created_at: 0,
        updated_at: 0,
        record_id: None,
        teacher_name: "陈伟".into(),
        record_status: None,
    }
}
