//! Demo data for `serve --demo`: Guangzhou's districts, schools of every kind, a provider,
//! administrators at each level, ~50 teachers with valid ID numbers and the year policies.
//! Only ever written into an empty database.

use serde_json::json;
use xueshi_domain::{ActivityType, Category, Hours, RecordStatus, Source};
use xueshi_domain::{
    OrgKind, OrgStatus, Ownership, Policy, Role, SchoolType, TeacherStatus, check_char, time_rules,
};
use xueshi_store::models::{Course, Org, Record, Teacher, User};
use xueshi_store::repo::{audit, courses, orgs, policies, records, teachers, users, verification};
use xueshi_store::{Db, Tx, now_ms};

use crate::auth::password;

pub const DEMO_PASSWORD: &str = "xueshi2021";

/// Guangzhou's 11 districts with the area code of their ID numbers.
pub const DISTRICTS: &[(&str, &str)] = &[
    ("越秀区", "440104"),
    ("海珠区", "440105"),
    ("荔湾区", "440103"),
    ("天河区", "440106"),
    ("白云区", "440111"),
    ("黄埔区", "440112"),
    ("番禺区", "440113"),
    ("花都区", "440114"),
    ("南沙区", "440115"),
    ("从化区", "440117"),
    ("增城区", "440118"),
];

const SURNAMES: &[&str] = &["陈", "李", "黄", "张", "梁", "林", "刘", "吴", "何", "郭"];
const GIVEN: &[&str] = &[
    "伟", "芳", "静", "敏", "丽", "强", "磊", "婷", "洁", "军", "燕", "晓明", "嘉欣", "志强",
    "文华",
];

pub struct DemoLogin {
    pub role: &'static str,
    pub username: String,
    pub who: String,
}

/// Seeds an empty database and returns the logins to print, or `None` if it was not empty.
/// The setting that marks a database filled by [`seed`].
const DEMO_SETTING: &str = "demo_data";

/// Whether the database is empty (the demo will fill it) or holds the demo's data.
pub async fn is_demo_database(config: &crate::config::Config) -> anyhow::Result<bool> {
    let db = crate::app::open_db(config).await?;
    let mut c = db.pool().acquire().await?;
    let fresh = users::any_username(&mut c).await?.is_none();
    let demo = xueshi_store::repo::settings::get(&mut c, DEMO_SETTING)
        .await?
        .is_some();
    drop(c);
    db.close().await;
    Ok(fresh || demo)
}

pub async fn seed(db: &Db) -> anyhow::Result<Option<Vec<DemoLogin>>> {
    let mut tx = db.begin().await?;
    let city = orgs::city(&mut tx).await?;
    let any_user: Option<String> = sqlx_any_user(&mut tx).await?;
    if any_user.is_some() {
        return Ok(None);
    }
    let hash = password::hash(DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut seeder = Seeder {
        db: db.clone(),
        tx,
        hash,
        logins: Vec::new(),
        serial: 0,
    };
    seeder
        .admin("city_admin", Role::CityAdmin, &city, "市级管理员")
        .await?;

    let mut districts = Vec::new();
    for (name, area) in DISTRICTS {
        districts.push((
            seeder
                .org(name, OrgKind::District, &city, None, false)
                .await?,
            *area,
        ));
    }
    let schools: &[(usize, &str, Ownership, SchoolType)] = &[
        (
            3,
            "天河区第一实验小学",
            Ownership::Public,
            SchoolType::Primary,
        ),
        (
            3,
            "天河区华景中学",
            Ownership::Public,
            SchoolType::Secondary,
        ),
        (
            3,
            "天河区育才民办学校",
            Ownership::Private,
            SchoolType::NineYear,
        ),
        (
            3,
            "天河区晨光幼儿园",
            Ownership::Public,
            SchoolType::Kindergarten,
        ),
        (0, "越秀区东山小学", Ownership::Public, SchoolType::Primary),
        (
            0,
            "越秀区培英民办中学",
            Ownership::Private,
            SchoolType::Secondary,
        ),
        (
            6,
            "番禺区职业技术学校",
            Ownership::Public,
            SchoolType::Vocational,
        ),
        (
            6,
            "番禺区启智学校",
            Ownership::Public,
            SchoolType::SpecialEducation,
        ),
    ];
    let mut all_schools = Vec::new();
    for (district, name, ownership, school_type) in schools {
        let (parent, area) = &districts[*district];
        let school = seeder
            .org(
                name,
                OrgKind::School,
                parent,
                Some((*ownership, *school_type)),
                false,
            )
            .await?;
        all_schools.push((school, *area));
    }
    for name in ["广州市第一示范中学", "广州市外国语实验学校"] {
        let (parent, area) = &districts[0];
        let school = seeder
            .org(
                name,
                OrgKind::School,
                parent,
                Some((Ownership::Public, SchoolType::Secondary)),
                true,
            )
            .await?;
        all_schools.push((school, area));
    }
    let provider = seeder
        .org(
            "广州市教师继续教育培训中心",
            OrgKind::Provider,
            &city,
            None,
            false,
        )
        .await?;

    seeder
        .admin(
            "tianhe_admin",
            Role::DistrictAdmin,
            &districts[3].0,
            "天河区管理员",
        )
        .await?;
    seeder
        .admin(
            "yuexiu_admin",
            Role::DistrictAdmin,
            &districts[0].0,
            "越秀区管理员",
        )
        .await?;
    seeder
        .admin(
            "panyu_admin",
            Role::DistrictAdmin,
            &districts[6].0,
            "番禺区管理员",
        )
        .await?;
    seeder
        .admin(
            "tianhe_school_admin",
            Role::SchoolAdmin,
            &all_schools[0].0,
            "天河区第一实验小学管理员",
        )
        .await?;
    seeder
        .admin(
            "private_school_admin",
            Role::SchoolAdmin,
            &all_schools[2].0,
            "天河区育才民办学校管理员",
        )
        .await?;
    seeder
        .admin(
            "city_school_admin",
            Role::SchoolAdmin,
            &all_schools[8].0,
            "广州市第一示范中学管理员",
        )
        .await?;
    seeder
        .admin(
            "provider_admin",
            Role::ProviderAdmin,
            &provider,
            "培训中心管理员",
        )
        .await?;

    let mut teachers = Vec::new();
    for i in 0..50 {
        let (school, area) = &all_schools[i % all_schools.len()];
        let teacher = seeder.teacher(i, school, area).await?;
        teachers.push(teacher.id.clone());
        if i < 3 {
            seeder.logins.push(DemoLogin {
                role: "teacher",
                username: teacher.id_number.clone(),
                who: format!("教师 {}（{}）", teacher.name, school.name),
            });
        }
    }

    let current = time_rules::business_date(time::OffsetDateTime::now_utc()).year();
    for year in [2021, current] {
        policies::upsert(&mut seeder.tx, &policy_for(year)).await?;
    }
    seeder.hours(&city, &teachers, 2021).await?;
    seeder.hours(&city, &teachers, current).await?;
    seeder.notices(&city, &districts[3].0, current).await?;
    // 2021 has been verified, as after the notice's deadlines.
    verification::run_year(&mut seeder.tx, &policy_for(2021)).await?;
    let entry = audit::NewAudit {
        ip: Some("cli"),
        action: "demo.seed",
        target_type: "org",
        target_id: &city.id,
        detail: json!({ "teachers": 50 }),
        ..Default::default()
    };
    audit::insert(&mut seeder.tx, db.vault(), &entry).await?;
    xueshi_store::repo::settings::get_or_create(&mut seeder.tx, DEMO_SETTING, || "1".into())
        .await?;
    seeder.tx.commit().await?;
    Ok(Some(seeder.logins))
}

/// The 2021 notice's policy, moved to `year` with its deadlines.
fn policy_for(year: i32) -> Policy {
    let mut p = Policy::guangzhou_2021();
    let shift = |d: time::Date, to: i32| {
        d.replace_year(d.year() + to - 2021)
            .expect("Dec 31 and Jan dates exist every year")
    };
    p.year = year;
    let d = &mut p.deadlines;
    d.declaration = shift(d.declaration, year);
    d.registration = shift(d.registration, year);
    d.school_review = shift(d.school_review, year);
    d.district_review = shift(d.district_review, year);
    p
}

async fn sqlx_any_user(tx: &mut Tx) -> anyhow::Result<Option<String>> {
    Ok(users::any_username(tx).await?)
}

struct Seeder {
    db: Db,
    tx: Tx,
    hash: String,
    logins: Vec<DemoLogin>,
    serial: u32,
}

impl Seeder {
    async fn org(
        &mut self,
        name: &str,
        kind: OrgKind,
        parent: &Org,
        school: Option<(Ownership, SchoolType)>,
        city_affiliated: bool,
    ) -> anyhow::Result<Org> {
        let id = uuid::Uuid::now_v7().to_string();
        let district_id = match (kind, parent.kind) {
            (OrgKind::District, _) => Some(id.clone()),
            (_, OrgKind::District) => Some(parent.id.clone()),
            _ => None,
        };
        let org = Org {
            id,
            name: name.to_owned(),
            kind,
            parent_id: Some(parent.id.clone()),
            district_id,
            ownership: school.map(|s| s.0),
            school_type: school.map(|s| s.1),
            city_affiliated,
            status: OrgStatus::Active,
            created_at: now_ms(),
        };
        orgs::insert(&mut self.tx, &org).await?;
        Ok(org)
    }

    /// The year's two public-course topics and a platform course, with completions that
    /// leave some teachers done, some short and some without hours.
    async fn hours(&mut self, city: &Org, teachers: &[String], year: i32) -> anyhow::Result<()> {
        let topics = [
            ("科技创新现状与发展趋势", Category::Public, 30),
            ("人工智能发展与产业应用", Category::Public, 30),
            (
                "新课程标准与课堂教学改革（网络研修）",
                Category::Professional,
                48,
            ),
            ("教师心理健康与压力管理", Category::Elective, 20),
        ];
        let mut courses = Vec::new();
        for (title, category, hours) in topics {
            let course = Course {
                id: uuid::Uuid::now_v7().to_string(),
                title: title.to_owned(),
                year,
                category,
                activity_type: ActivityType::RemoteTraining,
                hours: Hours::from_whole(hours),
                owner_org_id: city.id.clone(),
                created_at: now_ms(),
            };
            let topic = xueshi_domain::public_topic(course.category, &course.title);
            courses::insert(&mut self.tx, &course, topic.as_deref()).await?;
            courses.push(course);
        }
        for (i, teacher) in teachers.iter().enumerate() {
            // Teachers 0, 3, 6 … finished everything; 1, 4 … only a public course; 2, 5 … nothing.
            let done: &[usize] = match i % 3 {
                0 => &[0, 2, 3],
                1 => &[1],
                _ => &[],
            };
            for &c in done {
                let course = &courses[c];
                let source = if course.category == Category::Public {
                    Source::PublicCourse
                } else {
                    Source::PlatformTraining
                };
                let record = Record {
                    id: uuid::Uuid::now_v7().to_string(),
                    teacher_id: teacher.clone(),
                    year,
                    category: course.category,
                    activity_type: course.activity_type,
                    title: course.title.clone(),
                    hours: course.hours,
                    source,
                    status: RecordStatus::Approved,
                    course_id: Some(course.id.clone()),
                    training_id: None,
                    declaration_id: None,
                    start_date: None,
                    end_date: Some(format!("{year}-06-30")),
                    created_by: None,
                    created_at: now_ms(),
                    revoke_reason: None,
                };
                records::insert(&mut self.tx, &record).await?;
            }
        }
        Ok(())
    }

    /// A city notice, and the Tianhe district's notice and consultation contacts.
    async fn notices(&mut self, city: &Org, tianhe: &Org, year: i32) -> anyhow::Result<()> {
        use xueshi_store::repo::announcements::{self, Announcement, Contact};
        let notices = [
            (
                city,
                "city_admin",
                format!("关于做好{year}年度中小学教师继续教育学时验证工作的通知"),
                format!(
                    "各区教育局、局属各单位：{year}年度学时申报和组织单位登记截止时间为{year}年12月31日，请及时完成，过期不录。"
                ),
            ),
            (
                tianhe,
                "tianhe_admin",
                format!("天河区{year}年度学时申报答疑安排"),
                "申报中遇到问题，请先向本校继续教育管理员咨询，再联系区教师发展中心答疑联系人。"
                    .to_owned(),
            ),
        ];
        for (org, author, title, body) in notices {
            let author = users::by_username(&mut self.tx, self.db.vault(), author)
                .await?
                .map(|u| u.id)
                .unwrap_or_default();
            let notice = Announcement {
                id: uuid::Uuid::now_v7().to_string(),
                org_id: org.id.clone(),
                org_name: org.name.clone(),
                title,
                body,
                created_by: author,
                created_at: now_ms(),
            };
            announcements::insert(&mut self.tx, &notice).await?;
        }
        let contacts = [
            Contact {
                name: "王老师".into(),
                phone: "020-38000001".into(),
                hours: "工作日 9:00-12:00，14:30-17:30".into(),
            },
            Contact {
                name: "李老师".into(),
                phone: "020-38000002".into(),
                hours: "工作日 9:00-17:30".into(),
            },
        ];
        announcements::replace_contacts(&mut self.tx, &tianhe.id, &contacts, now_ms()).await?;
        Ok(())
    }

    async fn admin(
        &mut self,
        username: &str,
        role: Role,
        org: &Org,
        who: &str,
    ) -> anyhow::Result<()> {
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.to_owned(),
            login: username.to_owned(),
            password_hash: self.hash.clone(),
            role,
            org_id: org.id.clone(),
            teacher_id: None,
            created_at: now_ms(),
            must_change_password: false,
        };
        users::insert(&mut self.tx, &user).await?;
        self.logins.push(DemoLogin {
            role: role.as_str(),
            username: username.to_owned(),
            who: who.to_owned(),
        });
        Ok(())
    }

    async fn teacher(&mut self, i: usize, school: &Org, area: &str) -> anyhow::Result<Teacher> {
        self.serial += 1;
        let birth = format!(
            "{:04}{:02}{:02}",
            1970 + (i % 30),
            1 + i % 12,
            1 + (i * 7) % 28
        );
        let first17 = format!("{area}{birth}{:03}", 100 + self.serial);
        let id_number = format!("{first17}{}", check_char(&first17));
        let name = format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
        );
        let now = now_ms();
        let teacher = Teacher {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            id_number: id_number.clone(),
            school_id: school.id.clone(),
            phone: Some(format!("1380000{:04}", i)),
            status: TeacherStatus::Active,
            departed_on: None,
            created_at: now,
            user_id: None,
        };
        teachers::insert(&mut self.tx, self.db.vault(), &teacher).await?;
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            login: xueshi_store::sealed::login_key(self.db.vault(), &id_number),
            username: id_number,
            password_hash: self.hash.clone(),
            role: Role::Teacher,
            org_id: school.id.clone(),
            teacher_id: Some(teacher.id.clone()),
            created_at: now,
            must_change_password: false,
        };
        users::insert(&mut self.tx, &user).await?;
        Ok(teacher)
    }
}

pub fn print_logins(logins: &[DemoLogin]) {
    println!("已导入演示数据。演示账号（密码均为 {DEMO_PASSWORD}）：");
    for login in logins {
        println!("  {:<15} {:<22} {}", login.role, login.username, login.who);
    }
}
