use std::sync::Mutex;

use serde_json::json;
use time::macros::date;
use xueshi_server::services::reminders::{self, Notifier, Outbound, Sending};
use xueshi_store::Row;

use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};
use crate::reports::declaration;

/// Keeps what would have gone out by SMS.
#[derive(Default)]
struct Outbox(Mutex<Vec<Outbound>>);

impl Notifier for Outbox {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a> {
        self.0.lock().unwrap().push(message.clone());
        Box::pin(async { Ok(()) })
    }
}

/// (user_id, kind, title, body) of every notification, oldest first.
async fn notifications(app: &TestApp) -> Vec<(String, String, String, String)> {
    let mut c = app.db.pool().acquire().await.unwrap();
    xueshi_store::repo::sql::Sql::new(
        "SELECT user_id, kind, title, body FROM notifications ORDER BY id",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    app.api_get("/me", token).await.expect(200)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const DAYS: [u32; 3] = [30, 7, 1];

#[tokio::test]
async fn teachers_short_of_a_minimum_are_reminded_before_the_declaration_deadline() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    app.set_policy(2030, policy(2030)).await;
    let body = json!({ "name": "短缺", "id_number": id_number(1), "school_id": t.school,
        "password": PASSWORD, "phone": "13812345678" });
    let short = app
        .post("/teachers", &app.city_token, body)
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = app.teacher(&t.school, "达标", 2).await;
    app.earn(&short, 2030, 30.0, 40.0, 18.0).await;
    app.earn(&done, 2030, 30.0, 42.0, 18.0).await;
    let outbox = Outbox::default();

    let early = reminders::run_due(&app.db, &outbox, &DAYS, date!(2030 - 11 - 30))
        .await
        .unwrap();
    assert!(early.is_empty(), "more than 30 days ahead");
    let sent: Vec<_> = reminders::run_due(&app.db, &outbox, &DAYS, date!(2030 - 12 - 24))
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.run.deadline == "declaration")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (
            sent[0].run.deadline,
            sent[0].run.days_before,
            sent[0].notified
        ),
        ("declaration", 7, 1)
    );
    let teacher = app.login(&id_number(1), PASSWORD).await;
    let all = notifications(&app).await;
    assert_eq!(all.len(), 1, "only the teacher who is short");
    let (user, kind, title, body) = &all[0];
    assert_eq!(user, &user_id(&app, &teacher).await);
    assert_eq!(kind, "reminder.declaration");
    assert_eq!(title, "2030年度个人学时申报将于2030-12-31截止");
    assert!(body.contains("还有7天"), "{body}");
    assert!(body.contains("专业科目2学时"), "{body}");
    assert!(body.contains("总学时2学时"), "{body}");
    assert!(
        !body.contains("公需科目"),
        "met categories are not listed: {body}"
    );
    let sms = outbox.0.lock().unwrap().clone();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].phone.as_deref(), Some("13812345678"));

    // Later the same day, or from another server: already sent.
    let again = reminders::run_due(&app.db, &outbox, &DAYS, date!(2030 - 12 - 24))
        .await
        .unwrap();
    assert!(again.is_empty());
    // The next reminder is the one the day before.
    let last = reminders::run_due(&app.db, &outbox, &DAYS, date!(2030 - 12 - 30))
        .await
        .unwrap();
    assert_eq!(last[0].run.days_before, 1);
    assert!(notifications(&app).await[1].3.contains("还有1天"));
}

#[tokio::test]
async fn several_servers_send_a_reminder_once() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    app.set_policy(2030, policy(2030)).await;
    for n in 1..=3 {
        app.teacher(&t.school, &format!("教师{n}"), n).await;
    }
    let (a, b) = (Outbox::default(), Outbox::default());
    let day = date!(2030 - 12 - 01);
    let (x, y) = tokio::join!(
        reminders::run_due(&app.db, &a, &DAYS, day),
        reminders::run_due(&app.db, &b, &DAYS, day)
    );
    let runs = x.unwrap().len() + y.unwrap().len();
    assert_eq!(runs, 1, "one server wins the claim");
    assert_eq!(notifications(&app).await.len(), 3);
}

#[tokio::test]
async fn reviewers_with_pending_declarations_are_reminded_before_their_deadlines() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let idle = tree(&app, "花都").await;
    app.set_policy(2030, policy(2030)).await;
    let affiliated = app.affiliated_school(&app.city_id, "市属中学").await;
    let teacher = app.teacher(&t.school, "甲", 1).await;
    let city_teacher = app.teacher(&affiliated, "乙", 2).await;
    app.teacher(&idle.school, "丙", 3).await;
    declaration(&app, &teacher, 2030, "submitted").await;
    declaration(&app, &teacher, 2030, "submitted").await;
    declaration(&app, &teacher, 2030, "school_approved").await;
    declaration(&app, &city_teacher, 2030, "school_approved").await;
    declaration(&app, &teacher, 2030, "draft").await;
    let outbox = Outbox::default();

    let sent = reminders::run_due(&app.db, &outbox, &DAYS, date!(2031 - 01 - 08))
        .await
        .unwrap();
    let runs: Vec<_> = sent
        .iter()
        .map(|s| (s.run.deadline, s.run.days_before, s.notified))
        .collect();
    assert_eq!(
        runs,
        [("school_review", 1, 1), ("district_review", 7, 2)],
        "the school admin; the district admin and the city admin"
    );
    let all = notifications(&app).await;
    let school = user_id(&app, &t.school_token).await;
    let district = user_id(&app, &t.district_token).await;
    let for_school: Vec<_> = all.iter().filter(|n| n.0 == school).collect();
    assert_eq!(for_school.len(), 1);
    assert_eq!(for_school[0].1, "reminder.school_review");
    assert!(
        for_school[0]
            .3
            .contains("您有 2 条2030年度学时申报待学校初审"),
        "{}",
        for_school[0].3
    );
    assert!(for_school[0].3.contains("还有1天"));
    let for_district: Vec<_> = all.iter().filter(|n| n.0 == district).collect();
    assert!(
        for_district[0].3.contains("您有 1 条"),
        "{}",
        for_district[0].3
    );
    let city = user_id(&app, &app.city_token).await;
    assert!(
        all.iter()
            .any(|n| n.0 == city && n.1 == "reminder.district_review")
    );
    let quiet = user_id(&app, &idle.school_token).await;
    assert!(
        all.iter().all(|n| n.0 != quiet),
        "nothing pending, no reminder"
    );
    assert!(
        outbox.0.lock().unwrap().is_empty(),
        "reviewers are told in the app"
    );
}
