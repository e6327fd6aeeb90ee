//! Who may do what, and to whom: the one place scopes are decided (SPEC §1).
//!
//! Callers first ask [`role_allows`] (a role that may never act gets 403 before anything is
//! looked up), then a scope question about the loaded target (outside the scope is 404).

use crate::enums::{OrgKind, Role};
use crate::review::ReviewLevel;

/// The logged-in user, with the facts about their organisation that scopes need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub org_id: String,
    /// The district of the actor's organisation (itself for a district), if any.
    pub district_id: Option<String>,
    pub teacher_id: Option<String>,
}

/// Where an organisation sits in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgPlace {
    pub id: String,
    pub kind: OrgKind,
    pub parent_id: Option<String>,
    pub district_id: Option<String>,
    /// 局属: reviewed and managed by the city, not the district it stands in.
    pub city_affiliated: bool,
}

/// Actions whose permission depends on the role alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CreateOrg,
    UpdateOrg,
    CreateUser,
    ViewTeachers,
    CreateTeacher,
    UpdateTeacher,
    /// Correcting a teacher's name or ID number (SPEC §7: districts and the city).
    CorrectIdentity,
    EditPolicy,
    ViewAudit,
    /// Platform courses and their completions (city and districts).
    ManageCourses,
    /// Training events and their attendance (every organiser).
    OrganizeTraining,
    /// 取消学时登记: district (own district) or city.
    RevokeRecord,
    RunVerification,
    /// Reports of a year: summaries, shortfalls, the private-school allowance (schools,
    /// districts, the city).
    ViewReports,
    /// The provincial export with full ID numbers (districts and the city).
    ExportProvincial,
    /// Checking the teachers against the provincial roster (schools, districts, the city).
    Reconcile,
    /// Publishing announcements and keeping consultation contacts (districts and the city).
    PublishNotices,
    /// Moving a teacher to another school at once (districts and the city).
    TransferTeacher,
    /// Asking for a teacher of one's school to be moved to another (school administrators:
    /// they may not move teachers across schools themselves).
    RequestTransfer,
    /// Approving or rejecting a transfer request (districts and the city).
    DecideTransfer,
    /// Asking for one's own name or ID number to be corrected (teachers, 五(二)1).
    RequestCorrection,
    /// Approving or rejecting a school's application to register (五(二)2: districts and the
    /// city).
    DecideSchoolApplication,
    /// Reading a teacher's ledger (学时记录): the teacher themself, or an administrator with
    /// the teacher in scope. Not providers, who see only the attendance they registered.
    ReadLedger,
}

pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        CreateOrg | UpdateOrg => matches!(role, DistrictAdmin | CityAdmin),
        CreateUser => matches!(role, SchoolAdmin | DistrictAdmin | CityAdmin),
        ViewAudit => matches!(role, SchoolAdmin | DistrictAdmin | CityAdmin | Auditor),
        ViewTeachers | CreateTeacher | UpdateTeacher => {
            matches!(role, SchoolAdmin | DistrictAdmin | CityAdmin)
        }
        CorrectIdentity => matches!(role, DistrictAdmin | CityAdmin),
        EditPolicy | RunVerification => role == CityAdmin,
        ManageCourses | RevokeRecord => matches!(role, DistrictAdmin | CityAdmin),
        OrganizeTraining => matches!(
            role,
            SchoolAdmin | DistrictAdmin | CityAdmin | ProviderAdmin
        ),
        ViewReports | Reconcile => matches!(role, SchoolAdmin | DistrictAdmin | CityAdmin),
        ExportProvincial | PublishNotices => matches!(role, DistrictAdmin | CityAdmin),
        TransferTeacher | DecideTransfer => matches!(role, DistrictAdmin | CityAdmin),
        RequestTransfer => role == SchoolAdmin,
        RequestCorrection => role == Teacher,
        DecideSchoolApplication => matches!(role, DistrictAdmin | CityAdmin),
        ReadLedger => matches!(role, Teacher | SchoolAdmin | DistrictAdmin | CityAdmin),
    }
}

/// The rows a list shows to an actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A district's own schools and providers and their teachers; city-affiliated schools excepted.
    District(String),
    School(String),
    Teacher(String),
    /// A provider's own organisation and events.
    Provider(String),
    /// No rows: the auditor outside the audit log.
    Nothing,
}

pub fn scope(actor: &Actor) -> Scope {
    match actor.role {
        Role::CityAdmin => Scope::All,
        Role::DistrictAdmin => Scope::District(actor.org_id.clone()),
        Role::SchoolAdmin => Scope::School(actor.org_id.clone()),
        Role::ProviderAdmin => Scope::Provider(actor.org_id.clone()),
        Role::Teacher => Scope::Teacher(actor.teacher_id.clone().unwrap_or_default()),
        Role::Auditor => Scope::Nothing,
    }
}

/// The audit entries an actor reads: the auditor all of them, everyone else what their
/// scope covers.
pub fn audit_scope(actor: &Actor) -> Scope {
    match actor.role {
        Role::Auditor => Scope::All,
        _ => scope(actor),
    }
}

/// Whether a school (or a provider) belongs to a district's own scope.
fn in_district(district_id: &str, org: &OrgPlace) -> bool {
    org.district_id.as_deref() == Some(district_id) && !org.city_affiliated
}

/// May the actor see this organisation? Everyone but the auditor sees the city and their own
/// organisation.
pub fn sees_org(actor: &Actor, org: &OrgPlace) -> bool {
    // The auditor reads the audit log and nothing else.
    if actor.role == Role::Auditor {
        return false;
    }
    if org.kind == OrgKind::City || org.id == actor.org_id {
        return true;
    }
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => in_district(&actor.org_id, org),
        // Schools, their teachers and providers see their own district (its contacts and
        // notices are theirs: `home_district`).
        Role::SchoolAdmin | Role::Teacher | Role::ProviderAdmin => {
            org.kind == OrgKind::District && actor.district_id.as_deref() == Some(&org.id)
        }
        Role::Auditor => false,
    }
}

/// May the actor change this organisation (rename, archive, hang orgs or admins under it)?
/// A district may not archive itself: that is the city's decision.
pub fn manages_org(actor: &Actor, org: &OrgPlace) -> bool {
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => org.kind != OrgKind::District && in_district(&actor.org_id, org),
        _ => false,
    }
}

/// May the actor create an organisation of `kind` under `parent`, city-affiliated or not?
pub fn may_create_org(
    actor: &Actor,
    kind: OrgKind,
    parent: &OrgPlace,
    city_affiliated: bool,
) -> bool {
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => {
            matches!(kind, OrgKind::School | OrgKind::Provider)
                && !city_affiliated
                && parent.id == actor.org_id
        }
        _ => false,
    }
}

/// Which organisation kind an administrator role belongs to.
pub fn org_kind_for_role(role: Role) -> OrgKind {
    match role {
        Role::Teacher | Role::SchoolAdmin => OrgKind::School,
        Role::DistrictAdmin => OrgKind::District,
        Role::CityAdmin => OrgKind::City,
        Role::ProviderAdmin => OrgKind::Provider,
        Role::Auditor => OrgKind::City,
    }
}

/// May the actor create an administrator account of `role` for `org`? Inside the scope only:
/// a school admin for their own school, a district admin for itself and its schools and
/// providers, the city for all.
pub fn may_create_admin(actor: &Actor, role: Role, org: &OrgPlace) -> bool {
    if role == Role::Teacher {
        return false;
    }
    if role == Role::Auditor {
        return actor.role == Role::CityAdmin && org.kind == OrgKind::City;
    }
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => {
            (role == Role::DistrictAdmin && org.id == actor.org_id)
                || in_district(&actor.org_id, org)
        }
        Role::SchoolAdmin => role == Role::SchoolAdmin && org.id == actor.org_id,
        _ => false,
    }
}

/// May the actor reset the password or second factor of a user of `role` in `org`? Only
/// from a level above (API.md): a school for its teachers, a district for its own schools'
/// and providers' staff and teachers, the city for everyone. Never one's own account.
pub fn may_reset_credentials(actor: &Actor, user_id: &str, role: Role, org: &OrgPlace) -> bool {
    if user_id == actor.user_id {
        return false;
    }
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => {
            matches!(
                role,
                Role::Teacher | Role::SchoolAdmin | Role::ProviderAdmin
            ) && in_district(&actor.org_id, org)
        }
        Role::SchoolAdmin => role == Role::Teacher && org.id == actor.org_id,
        _ => false,
    }
}

/// May the actor see this teacher? `school` is the teacher's current school.
pub fn sees_teacher(actor: &Actor, teacher_id: &str, school: &OrgPlace) -> bool {
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => in_district(&actor.org_id, school),
        Role::SchoolAdmin => school.id == actor.org_id,
        Role::Teacher => actor.teacher_id.as_deref() == Some(teacher_id),
        Role::ProviderAdmin | Role::Auditor => false,
    }
}

/// May the actor download every certificate of `org` as one ZIP? A school's: those who see
/// it and its teachers (its administrators, its district unless city-affiliated, the city);
/// a district's: that district and the city.
pub fn may_download_certificates(actor: &Actor, org: &OrgPlace) -> bool {
    role_allows(actor.role, Action::ViewTeachers)
        && match org.kind {
            OrgKind::School => sees_org(actor, org),
            OrgKind::District => {
                actor.role == Role::CityAdmin
                    || (actor.role == Role::DistrictAdmin && org.id == actor.org_id)
            }
            OrgKind::City | OrgKind::Provider => false,
        }
}

/// May the actor place teachers in this school (create them there, or receive a transfer)?
pub fn may_staff_school(actor: &Actor, school: &OrgPlace) -> bool {
    school.kind == OrgKind::School
        && match actor.role {
            Role::CityAdmin => true,
            Role::DistrictAdmin => in_district(&actor.org_id, school),
            Role::SchoolAdmin => school.id == actor.org_id,
            _ => false,
        }
}

/// May the actor ask for a teacher of `from` (their current school) to be transferred? Its own
/// administrator only: the school that knows the teacher is leaving.
pub fn may_request_transfer(actor: &Actor, from: &OrgPlace) -> bool {
    actor.role == Role::SchoolAdmin && actor.org_id == from.id
}

/// May the actor decide a transfer request into `to`? The receiving school's district (the
/// city for a city-affiliated school), which will manage the teacher from then on; the city
/// any.
pub fn may_decide_transfer(actor: &Actor, to: &OrgPlace) -> bool {
    above_school(actor, to)
}

/// The level above a school: its district, or the city for a city-affiliated school; the
/// city for any.
fn above_school(actor: &Actor, school: &OrgPlace) -> bool {
    match actor.role {
        Role::CityAdmin => true,
        Role::DistrictAdmin => in_district(&actor.org_id, school),
        _ => false,
    }
}

/// May the actor decide a teacher's correction request, the teacher being of `school`? Those
/// who may correct the teacher's identity themselves: the school's district, or the city for
/// a city-affiliated school (the city may decide any).
pub fn may_decide_correction(actor: &Actor, school: &OrgPlace) -> bool {
    role_allows(actor.role, Action::CorrectIdentity) && above_school(actor, school)
}

/// May the actor decide a school's application to register in `district_id`? The district
/// itself, or the city for any district (五(二)2: 区教育局审核).
pub fn may_decide_school_application(actor: &Actor, district_id: &str) -> bool {
    role_allows(actor.role, Action::DecideSchoolApplication)
        && match actor.role {
            Role::CityAdmin => true,
            Role::DistrictAdmin => actor.org_id == district_id,
            _ => false,
        }
}

/// May the actor run events (and courses) in the name of `organizer`? Its own organisation;
/// the city for any; a district for its own schools and providers too.
pub fn may_organize(actor: &Actor, organizer: &OrgPlace) -> bool {
    organizer.id == actor.org_id
        || match actor.role {
            Role::CityAdmin => true,
            Role::DistrictAdmin => in_district(&actor.org_id, organizer),
            _ => false,
        }
}

/// May an event of `organizer` credit a teacher of `school`? A school trains only its own
/// teachers (校本培训), a district only its district's; the city and providers anyone.
pub fn may_credit(organizer: &OrgPlace, school: &OrgPlace) -> bool {
    match organizer.kind {
        OrgKind::School => school.id == organizer.id,
        OrgKind::District => in_district(&organizer.id, school),
        OrgKind::City | OrgKind::Provider => true,
    }
}

/// The district whose scope the actor's organisation (`own`) stands in: a district admin's
/// own district; a school's or provider's district unless city-affiliated (局属, the city's
/// alone); none for the city. Its notices and consultation contacts are the actor's.
pub fn home_district(actor: &Actor, own: &OrgPlace) -> Option<String> {
    match actor.role {
        Role::CityAdmin => None,
        Role::DistrictAdmin => Some(actor.org_id.clone()),
        _ => own
            .district_id
            .clone()
            .filter(|d| in_district(d, own) && own.kind != OrgKind::District),
    }
}

/// May the actor read an announcement published by `publisher` (the city or a district)?
/// The city's reach everyone; a district's reach its own scope; the city reads all.
pub fn hears_notice(actor: &Actor, own: &OrgPlace, publisher: &OrgPlace) -> bool {
    actor.role == Role::CityAdmin
        || publisher.kind == OrgKind::City
        || home_district(actor, own).as_deref() == Some(publisher.id.as_str())
}

/// May the actor keep the consultation contacts (答疑联系人) of `org`? A district its own;
/// the city its own and every district's.
pub fn manages_contacts(actor: &Actor, org: &OrgPlace) -> bool {
    matches!(org.kind, OrgKind::City | OrgKind::District)
        && match actor.role {
            Role::CityAdmin => true,
            Role::DistrictAdmin => org.id == actor.org_id,
            _ => false,
        }
}

/// May the actor review, at `level`, a declaration of a teacher of `school`? The school's own
/// administrator first; then the district's, or the city's for a city-affiliated school.
pub fn may_review(actor: &Actor, school: &OrgPlace, level: ReviewLevel) -> bool {
    match level {
        ReviewLevel::School => actor.role == Role::SchoolAdmin && actor.org_id == school.id,
        ReviewLevel::Second if school.city_affiliated => actor.role == Role::CityAdmin,
        ReviewLevel::Second => {
            actor.role == Role::DistrictAdmin
                && school.district_id.as_deref() == Some(actor.org_id.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: &str, district: Option<&str>) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            org_id: org.into(),
            district_id: district.map(Into::into),
            teacher_id: (role == Role::Teacher).then(|| "t1".to_owned()),
        }
    }

    fn school(id: &str, district: &str, city_affiliated: bool) -> OrgPlace {
        OrgPlace {
            id: id.into(),
            kind: OrgKind::School,
            parent_id: Some(district.into()),
            district_id: Some(district.into()),
            city_affiliated,
        }
    }

    #[test]
    fn the_school_reviews_first_then_its_district_or_the_city_for_city_affiliated_schools() {
        use ReviewLevel::*;
        let cases = [
            (Role::SchoolAdmin, "s1", false, School, true),
            (Role::SchoolAdmin, "s2", false, School, false),
            (Role::SchoolAdmin, "s1", false, Second, false),
            (Role::DistrictAdmin, "d1", false, School, false),
            (Role::DistrictAdmin, "d1", false, Second, true),
            (Role::DistrictAdmin, "d2", false, Second, false),
            (Role::DistrictAdmin, "d1", true, Second, false),
            (Role::CityAdmin, "c", true, Second, true),
            (Role::CityAdmin, "c", false, Second, false),
            (Role::CityAdmin, "c", true, School, false),
            (Role::SchoolAdmin, "s1", true, School, true),
        ];
        for (role, org, affiliated, level, allowed) in cases {
            assert_eq!(
                may_review(
                    &actor(role, org, None),
                    &school("s1", "d1", affiliated),
                    level
                ),
                allowed,
                "{role} {org} affiliated={affiliated} {level:?}"
            );
        }
    }

    #[test]
    fn credentials_are_reset_from_a_level_above_only() {
        use Role::*;
        let s1 = school("s1", "d1", false);
        let affiliated = school("s1", "d1", true);
        let district = OrgPlace {
            kind: OrgKind::District,
            ..school("d1", "d1", false)
        };
        let cases = [
            (SchoolAdmin, "s1", Teacher, &s1, true),
            (SchoolAdmin, "s1", SchoolAdmin, &s1, false),
            (SchoolAdmin, "s2", Teacher, &s1, false),
            (DistrictAdmin, "d1", Teacher, &s1, true),
            (DistrictAdmin, "d1", SchoolAdmin, &s1, true),
            (DistrictAdmin, "d1", SchoolAdmin, &affiliated, false),
            (DistrictAdmin, "d2", SchoolAdmin, &s1, false),
            (DistrictAdmin, "d1", DistrictAdmin, &district, false),
            (CityAdmin, "c", DistrictAdmin, &district, true),
            (CityAdmin, "c", Teacher, &affiliated, true),
            (Teacher, "s1", Teacher, &s1, false),
            (Auditor, "c", Teacher, &s1, false),
            (ProviderAdmin, "p", Teacher, &s1, false),
        ];
        for (role, org, target, place, allowed) in cases {
            let a = actor(role, org, None);
            assert_eq!(
                may_reset_credentials(&a, "other", target, place),
                allowed,
                "{role} {org} → {target} in {}",
                place.id
            );
        }
        let city = actor(CityAdmin, "c", None);
        assert!(!may_reset_credentials(&city, &city.user_id, CityAdmin, &s1));
    }

    #[test]
    fn only_the_city_creates_an_auditor_and_the_auditor_reads_only_the_audit() {
        let city_org = OrgPlace {
            id: "c".into(),
            kind: OrgKind::City,
            parent_id: None,
            district_id: None,
            city_affiliated: false,
        };
        let city = actor(Role::CityAdmin, "c", None);
        assert!(may_create_admin(&city, Role::Auditor, &city_org));
        assert!(!may_create_admin(
            &city,
            Role::Auditor,
            &school("s1", "d1", false)
        ));
        let district = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(!may_create_admin(&district, Role::Auditor, &city_org));
        let auditor = actor(Role::Auditor, "c", None);
        for action in [
            Action::CreateOrg,
            Action::CreateUser,
            Action::ViewTeachers,
            Action::EditPolicy,
            Action::RunVerification,
            Action::ViewReports,
            Action::OrganizeTraining,
        ] {
            assert!(!role_allows(Role::Auditor, action), "{action:?}");
        }
        assert!(role_allows(Role::Auditor, Action::ViewAudit));
        assert_eq!(scope(&auditor), Scope::Nothing);
        assert_eq!(audit_scope(&auditor), Scope::All);
        assert!(!sees_org(&auditor, &school("s1", "d1", false)));
    }

    #[test]
    fn each_role_sees_the_city_its_own_organisation_and_what_lies_below_or_its_district() {
        let org = |id: &str, kind, district: Option<&str>| OrgPlace {
            id: id.into(),
            kind,
            parent_id: district.map(Into::into),
            district_id: district.map(Into::into),
            city_affiliated: false,
        };
        let city = org("c", OrgKind::City, None);
        let d1 = org("d1", OrgKind::District, Some("d1"));
        let d2 = org("d2", OrgKind::District, Some("d2"));
        let s1 = school("s1", "d1", false);
        let s2 = school("s2", "d1", false);
        let affiliated = school("s3", "d1", true);
        let p1 = org("p1", OrgKind::Provider, Some("d1"));
        let orgs = [&city, &d1, &d2, &s1, &s2, &affiliated, &p1];
        // (actor, the organisations it sees, in the order of `orgs`)
        let table = [
            (actor(Role::CityAdmin, "c", None), [true; 7]),
            (
                actor(Role::DistrictAdmin, "d1", Some("d1")),
                [true, true, false, true, true, false, true],
            ),
            (
                actor(Role::SchoolAdmin, "s1", Some("d1")),
                [true, true, false, true, false, false, false],
            ),
            (
                actor(Role::Teacher, "s1", Some("d1")),
                [true, true, false, true, false, false, false],
            ),
            (
                actor(Role::ProviderAdmin, "p1", Some("d1")),
                [true, true, false, false, false, false, true],
            ),
            (actor(Role::Auditor, "c", None), [false; 7]),
        ];
        for (who, expected) in table {
            for (o, expected) in orgs.iter().zip(expected) {
                assert_eq!(sees_org(&who, o), expected, "{:?} sees {}", who.role, o.id);
            }
        }
    }

    #[test]
    fn certificates_are_downloaded_in_bulk_from_the_level_that_sees_the_teachers() {
        let d1 = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: Some("c".into()),
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        let s1 = school("s1", "d1", false);
        let s2 = school("s2", "d1", false);
        let affiliated = school("s3", "d1", true);
        let orgs = [&d1, &s1, &s2, &affiliated];
        // (actor, what it may download, in the order of `orgs`)
        let table = [
            (actor(Role::CityAdmin, "c", None), [true, true, true, true]),
            (
                actor(Role::DistrictAdmin, "d1", Some("d1")),
                [true, true, true, false],
            ),
            (actor(Role::DistrictAdmin, "d2", Some("d2")), [false; 4]),
            (
                actor(Role::SchoolAdmin, "s1", Some("d1")),
                [false, true, false, false],
            ),
            (actor(Role::Teacher, "s1", Some("d1")), [false; 4]),
            (actor(Role::ProviderAdmin, "p1", Some("d1")), [false; 4]),
            (actor(Role::Auditor, "c", None), [false; 4]),
        ];
        for (who, expected) in table {
            for (o, expected) in orgs.iter().zip(expected) {
                assert_eq!(
                    may_download_certificates(&who, o),
                    expected,
                    "{:?} {} downloads {}",
                    who.role,
                    who.org_id,
                    o.id
                );
            }
        }
    }

    #[test]
    fn a_teacher_sees_only_themself() {
        let t = actor(Role::Teacher, "s1", Some("d1"));
        let s1 = school("s1", "d1", false);
        assert!(sees_teacher(&t, "t1", &s1));
        assert!(!sees_teacher(&t, "t2", &s1));
    }

    #[test]
    fn a_school_admin_sees_teachers_whose_current_school_is_theirs() {
        let a = actor(Role::SchoolAdmin, "s1", Some("d1"));
        assert!(sees_teacher(&a, "t9", &school("s1", "d1", false)));
        assert!(!sees_teacher(&a, "t9", &school("s2", "d1", false)));
    }

    #[test]
    fn a_district_sees_its_schools_but_not_city_affiliated_ones() {
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(sees_teacher(&d, "t", &school("s1", "d1", false)));
        assert!(!sees_teacher(&d, "t", &school("s2", "d1", true)));
        assert!(!sees_teacher(&d, "t", &school("s3", "d2", false)));
        assert!(sees_org(&d, &school("s1", "d1", false)));
        assert!(!sees_org(&d, &school("s2", "d1", true)));
    }

    #[test]
    fn the_city_sees_everything() {
        let c = actor(Role::CityAdmin, "c", None);
        assert!(sees_teacher(&c, "t", &school("s2", "d1", true)));
        assert!(manages_org(&c, &school("s2", "d1", true)));
    }

    #[test]
    fn roles_that_may_never_act_are_refused_first() {
        assert!(!role_allows(Role::Teacher, Action::CreateTeacher));
        assert!(!role_allows(Role::ProviderAdmin, Action::ViewTeachers));
        assert!(!role_allows(Role::DistrictAdmin, Action::EditPolicy));
        assert!(role_allows(Role::CityAdmin, Action::EditPolicy));
        assert!(!role_allows(Role::SchoolAdmin, Action::CreateOrg));
    }

    #[test]
    fn a_ledger_is_read_by_its_teacher_and_administrators_only() {
        for (role, reads) in [
            (Role::Teacher, true),
            (Role::SchoolAdmin, true),
            (Role::DistrictAdmin, true),
            (Role::CityAdmin, true),
            (Role::ProviderAdmin, false),
            (Role::Auditor, false),
        ] {
            assert_eq!(role_allows(role, Action::ReadLedger), reads, "{role}");
        }
    }

    #[test]
    fn only_the_city_creates_districts_and_city_affiliated_schools() {
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        let parent = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: Some("c".into()),
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        assert!(may_create_org(&d, OrgKind::School, &parent, false));
        assert!(!may_create_org(&d, OrgKind::School, &parent, true));
        assert!(!may_create_org(&d, OrgKind::District, &parent, false));
        let other = OrgPlace {
            id: "d2".into(),
            district_id: Some("d2".into()),
            ..parent
        };
        assert!(!may_create_org(&d, OrgKind::School, &other, false));
    }

    #[test]
    fn admins_are_created_inside_the_scope_only() {
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(may_create_admin(
            &d,
            Role::SchoolAdmin,
            &school("s1", "d1", false)
        ));
        assert!(!may_create_admin(
            &d,
            Role::SchoolAdmin,
            &school("s3", "d2", false)
        ));
        assert!(!may_create_admin(
            &d,
            Role::Teacher,
            &school("s1", "d1", false)
        ));
        let s = actor(Role::SchoolAdmin, "s1", Some("d1"));
        assert!(may_create_admin(
            &s,
            Role::SchoolAdmin,
            &school("s1", "d1", false)
        ));
        assert!(!may_create_admin(
            &s,
            Role::SchoolAdmin,
            &school("s2", "d1", false)
        ));
    }

    #[test]
    fn a_district_cannot_archive_itself() {
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        let own = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: Some("c".into()),
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        assert!(!manages_org(&d, &own));
    }

    #[test]
    fn an_organiser_credits_only_the_teachers_it_may_train() {
        let s1 = school("s1", "d1", false);
        let d1 = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: None,
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        let city = OrgPlace {
            id: "c".into(),
            kind: OrgKind::City,
            parent_id: None,
            district_id: None,
            city_affiliated: false,
        };
        assert!(may_credit(&s1, &s1));
        assert!(!may_credit(&s1, &school("s2", "d1", false)));
        assert!(may_credit(&d1, &s1));
        assert!(!may_credit(&d1, &school("s3", "d2", false)));
        assert!(!may_credit(&d1, &school("s4", "d1", true)));
        assert!(may_credit(&city, &school("s3", "d2", false)));
    }

    #[test]
    fn a_district_organises_for_its_own_schools_but_not_others() {
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(may_organize(&d, &school("s1", "d1", false)));
        assert!(!may_organize(&d, &school("s3", "d2", false)));
        let s = actor(Role::SchoolAdmin, "s1", Some("d1"));
        assert!(may_organize(&s, &school("s1", "d1", false)));
        assert!(!may_organize(&s, &school("s2", "d1", false)));
    }

    #[test]
    fn only_districts_and_the_city_revoke_records() {
        assert!(role_allows(Role::DistrictAdmin, Action::RevokeRecord));
        assert!(role_allows(Role::CityAdmin, Action::RevokeRecord));
        assert!(!role_allows(Role::SchoolAdmin, Action::RevokeRecord));
        assert!(!role_allows(Role::Teacher, Action::RevokeRecord));
    }

    #[test]
    fn reports_and_exports_are_for_administrators_and_full_numbers_for_districts_and_the_city() {
        for role in [Role::SchoolAdmin, Role::DistrictAdmin, Role::CityAdmin] {
            assert!(role_allows(role, Action::ViewReports));
            assert!(role_allows(role, Action::Reconcile));
        }
        for role in [Role::Teacher, Role::ProviderAdmin] {
            assert!(!role_allows(role, Action::ViewReports));
            assert!(!role_allows(role, Action::Reconcile));
        }
        assert!(role_allows(Role::DistrictAdmin, Action::ExportProvincial));
        assert!(role_allows(Role::CityAdmin, Action::ExportProvincial));
        assert!(!role_allows(Role::SchoolAdmin, Action::ExportProvincial));
        assert!(!role_allows(Role::SchoolAdmin, Action::PublishNotices));
        assert!(role_allows(Role::DistrictAdmin, Action::PublishNotices));
    }

    #[test]
    fn a_district_notice_reaches_its_scope_and_a_city_notice_everyone() {
        let city = OrgPlace {
            id: "c".into(),
            kind: OrgKind::City,
            parent_id: None,
            district_id: None,
            city_affiliated: false,
        };
        let d1 = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: Some("c".into()),
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        let s1 = school("s1", "d1", false);
        let affiliated = school("s2", "d1", true);
        let other = school("s3", "d2", false);
        let teacher = actor(Role::Teacher, "s1", Some("d1"));
        assert!(hears_notice(&teacher, &s1, &city));
        assert!(hears_notice(&teacher, &s1, &d1));
        assert_eq!(home_district(&teacher, &s1).as_deref(), Some("d1"));
        let t2 = actor(Role::Teacher, "s2", Some("d1"));
        assert!(
            !hears_notice(&t2, &affiliated, &d1),
            "局属 schools are the city's"
        );
        assert_eq!(home_district(&t2, &affiliated), None);
        let t3 = actor(Role::SchoolAdmin, "s3", Some("d2"));
        assert!(!hears_notice(&t3, &other, &d1));
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(hears_notice(&d, &d1, &d1));
        let c = actor(Role::CityAdmin, "c", None);
        assert!(hears_notice(&c, &city, &d1));
    }

    /// Who stands above the school `s` of district d2, and above `affiliated`, a
    /// city-affiliated school there: (actor, school, whether they do).
    fn above_school_cases<'a>(
        s: &'a OrgPlace,
        affiliated: &'a OrgPlace,
    ) -> Vec<(Actor, &'a OrgPlace, bool)> {
        use Role::*;
        [
            (DistrictAdmin, "d2", s, true),
            (DistrictAdmin, "d1", s, false),
            (DistrictAdmin, "d2", affiliated, false),
            (CityAdmin, "c", affiliated, true),
            (CityAdmin, "c", s, true),
            (SchoolAdmin, "s2", s, false),
            (Teacher, "s2", s, false),
            (Auditor, "c", s, false),
        ]
        .into_iter()
        .map(|(role, org, place, allowed)| (actor(role, org, None), place, allowed))
        .collect()
    }

    #[test]
    fn a_school_requests_a_transfer_and_the_receiving_district_decides_it() {
        use Role::*;
        let from = school("s1", "d1", false);
        let to = school("s2", "d2", false);
        let to_affiliated = school("s3", "d2", true);
        let requests = [
            (SchoolAdmin, "s1", true),
            (SchoolAdmin, "s2", false),
            (DistrictAdmin, "d1", false),
            (CityAdmin, "c", false),
            (Teacher, "s1", false),
        ];
        for (role, org, allowed) in requests {
            let a = actor(role, org, Some("d1"));
            assert_eq!(may_request_transfer(&a, &from), allowed, "{role} {org}");
            assert_eq!(
                role_allows(role, Action::RequestTransfer),
                role == SchoolAdmin,
                "{role}"
            );
        }
        for (a, place, allowed) in above_school_cases(&to, &to_affiliated) {
            assert_eq!(
                may_decide_transfer(&a, place),
                allowed,
                "{a:?} → {}",
                place.id
            );
        }
        for role in [SchoolAdmin, Teacher, ProviderAdmin, Auditor] {
            assert!(!role_allows(role, Action::TransferTeacher), "{role}");
            assert!(!role_allows(role, Action::DecideTransfer), "{role}");
        }
    }

    #[test]
    fn a_teacher_asks_for_a_correction_and_the_district_or_the_city_decides() {
        use Role::*;
        assert!(role_allows(Teacher, Action::RequestCorrection));
        for role in [
            SchoolAdmin,
            DistrictAdmin,
            CityAdmin,
            Auditor,
            ProviderAdmin,
        ] {
            assert!(!role_allows(role, Action::RequestCorrection), "{role}");
        }
        let s = school("s2", "d2", false);
        let affiliated = school("s3", "d2", true);
        for (a, place, allowed) in above_school_cases(&s, &affiliated) {
            assert_eq!(
                may_decide_correction(&a, place),
                allowed,
                "{a:?} → {}",
                place.id
            );
        }
    }

    #[test]
    fn a_school_applies_to_its_district_and_the_district_or_the_city_decides() {
        use Role::*;
        let cases = [
            (DistrictAdmin, "d1", "d1", true),
            (DistrictAdmin, "d2", "d1", false),
            (CityAdmin, "c", "d1", true),
            (SchoolAdmin, "s1", "d1", false),
            (Teacher, "s1", "d1", false),
            (ProviderAdmin, "p1", "d1", false),
            (Auditor, "c", "d1", false),
        ];
        for (role, org, district, allowed) in cases {
            let a = actor(role, org, None);
            assert_eq!(
                may_decide_school_application(&a, district),
                allowed,
                "{role} {org} → {district}"
            );
        }
    }

    #[test]
    fn a_district_keeps_its_own_contacts_and_the_city_any() {
        let d1 = OrgPlace {
            id: "d1".into(),
            kind: OrgKind::District,
            parent_id: Some("c".into()),
            district_id: Some("d1".into()),
            city_affiliated: false,
        };
        let d2 = OrgPlace {
            id: "d2".into(),
            district_id: Some("d2".into()),
            ..d1.clone()
        };
        let d = actor(Role::DistrictAdmin, "d1", Some("d1"));
        assert!(manages_contacts(&d, &d1));
        assert!(!manages_contacts(&d, &d2));
        assert!(!manages_contacts(&d, &school("s1", "d1", false)));
        let c = actor(Role::CityAdmin, "c", None);
        assert!(manages_contacts(&c, &d2));
        let s = actor(Role::SchoolAdmin, "s1", Some("d1"));
        assert!(!manages_contacts(&s, &d1));
    }
}
