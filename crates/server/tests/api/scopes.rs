//! Every list answers with exactly what `domain::authz` lets the caller see: two districts,
//! a second school, a city-affiliated school and a provider, a teacher and a declaration in
//! each school, events of every organiser and a verified year; for each role, each list
//! endpoint is compared with the authz predicate applied to the same objects. A list the
//! role may not read at all answers 403, and then the predicate must see nothing.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use xueshi_domain::Role;
use xueshi_domain::authz::{self, Action, Actor, OrgPlace};

use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};

struct Caller {
    name: &'static str,
    token: String,
    actor: Actor,
}

async fn place(app: &TestApp, id: &str) -> OrgPlace {
    let org = app
        .api_get(&format!("/orgs/{id}"), &app.city_token)
        .await
        .expect(200);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    OrgPlace {
        id: id.to_owned(),
        kind: org["kind"].as_str().unwrap().parse().unwrap(),
        parent_id: text(&org["parent_id"]),
        district_id: text(&org["district_id"]),
        city_affiliated: org["city_affiliated"] == true,
    }
}

async fn caller(
    app: &TestApp,
    name: &'static str,
    token: String,
    role: Role,
    org: &OrgPlace,
    teacher_id: Option<&str>,
) -> Caller {
    let me = app.api_get("/me", &token).await.expect(200);
    Caller {
        name,
        token,
        actor: Actor {
            user_id: me["user"]["id"].as_str().unwrap_or_default().to_owned(),
            role,
            org_id: org.id.clone(),
            district_id: org.district_id.clone(),
            teacher_id: teacher_id.map(str::to_owned),
        },
    }
}

/// The ids a list answers, or `None` for a 403.
async fn listed(app: &TestApp, path: &str, token: &str, key: &str) -> Option<BTreeSet<String>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let answer = app.api_get(&format!("{path}{sep}limit=500"), token).await;
    if answer.status.as_u16() == 403 {
        return None;
    }
    let body = answer.expect(200);
    assert!(
        body["next_cursor"].is_null(),
        "{path}: one page holds them all"
    );
    Some(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[key].as_str().unwrap().to_owned())
            .collect(),
    )
}

fn check(list: &str, who: &str, got: Option<BTreeSet<String>>, expected: BTreeSet<String>) {
    match got {
        None => assert!(
            expected.is_empty(),
            "{list} refused {who}, who may see {expected:?}"
        ),
        Some(got) => assert_eq!(got, expected, "{list} as {who}"),
    }
}

#[tokio::test]
async fn every_list_shows_each_role_exactly_what_authz_lets_it_see() {
    let app = spawn_app().await;
    app.set_policy(2030, policy(2030)).await;
    let a = tree(&app, "甲").await;
    let b = tree(&app, "乙").await;
    let a2 = app.school(&a.district, "甲区第二小学").await;
    let affiliated = app.affiliated_school(&a.district, "局属中学").await;
    let provider = app
        .post(
            "/orgs",
            &app.city_token,
            json!({ "name": "教师培训中心", "kind": "provider", "parent_id": a.district }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let orgs = [
        app.city_id.clone(),
        a.district.clone(),
        b.district.clone(),
        a.school.clone(),
        a2.clone(),
        b.school.clone(),
        affiliated.clone(),
        provider.clone(),
    ];
    let mut places = std::collections::HashMap::new();
    for id in &orgs {
        places.insert(id.clone(), place(&app, id).await);
    }

    // A teacher and a submitted declaration in each school.
    let mut teachers = Vec::new();
    let mut declarations = Vec::new();
    for (n, school) in [&a.school, &a2, &b.school, &affiliated]
        .into_iter()
        .enumerate()
    {
        let n = n as u32 + 1;
        let id = app.teacher(school, &format!("教师{n}"), n).await;
        let token = app.login(&id_number(n), PASSWORD).await;
        let declaration = app.submitted(&token, &format!("培训{n}"), n).await;
        teachers.push((id.clone(), school.clone(), token));
        declarations.push((declaration, id, school.clone()));
    }
    // An event of every organiser.
    let mut trainings = Vec::new();
    for (organizer, level) in [
        (&app.city_id, "city"),
        (&a.district, "district"),
        (&b.district, "district"),
        (&a.school, "school"),
        (&affiliated, "school"),
        (&provider, "provider"),
    ] {
        let id = app
            .training(
                &app.city_token,
                organizer,
                level,
                "professional",
                "training_course",
                8.0,
                2030,
            )
            .await;
        trainings.push((id, organizer.clone()));
    }
    app.post(
        "/verifications/2030/run",
        &app.city_token,
        json!({ "force": true }),
    )
    .await
    .expect(200);

    let place_of = |id: &str| places[id].clone();
    let affiliated_admin = app
        .admin("scope_affiliated", "school_admin", &affiliated)
        .await;
    let provider_admin = app
        .admin("scope_provider", "provider_admin", &provider)
        .await;
    let auditor = app.admin("scope_auditor", "auditor", &app.city_id).await;
    let callers = [
        caller(
            &app,
            "city",
            app.city_token.clone(),
            Role::CityAdmin,
            &place_of(&app.city_id),
            None,
        )
        .await,
        caller(
            &app,
            "district",
            a.district_token.clone(),
            Role::DistrictAdmin,
            &place_of(&a.district),
            None,
        )
        .await,
        caller(
            &app,
            "school",
            a.school_token.clone(),
            Role::SchoolAdmin,
            &place_of(&a.school),
            None,
        )
        .await,
        caller(
            &app,
            "city-affiliated school",
            affiliated_admin,
            Role::SchoolAdmin,
            &place_of(&affiliated),
            None,
        )
        .await,
        caller(
            &app,
            "provider",
            provider_admin,
            Role::ProviderAdmin,
            &place_of(&provider),
            None,
        )
        .await,
        caller(
            &app,
            "auditor",
            auditor,
            Role::Auditor,
            &place_of(&app.city_id),
            None,
        )
        .await,
        caller(
            &app,
            "teacher",
            teachers[0].2.clone(),
            Role::Teacher,
            &place_of(&a.school),
            Some(&teachers[0].0),
        )
        .await,
    ];

    for c in &callers {
        let who = c.name;
        let actor = &c.actor;
        let sees_teacher =
            |teacher: &str, school: &str| authz::sees_teacher(actor, teacher, &place_of(school));
        let may = |action| authz::role_allows(actor.role, action);

        let visible_teachers: BTreeSet<String> = teachers
            .iter()
            .filter(|(t, s, _)| may(Action::ViewTeachers) && sees_teacher(t, s))
            .map(|(t, _, _)| t.clone())
            .collect();
        let got = listed(&app, "/teachers", &c.token, "id").await;
        check("/teachers", who, got, visible_teachers.clone());

        let expected = declarations
            .iter()
            .filter(|(_, t, s)| sees_teacher(t, s))
            .map(|(d, _, _)| d.clone())
            .collect();
        let got = listed(&app, "/declarations", &c.token, "id").await;
        check("/declarations", who, got, expected);

        let got = listed(&app, "/verifications/2030", &c.token, "teacher_id").await;
        check("/verifications/2030", who, got, visible_teachers);

        let expected = trainings
            .iter()
            .filter(|(_, o)| {
                may(Action::OrganizeTraining) && authz::may_organize(actor, &place_of(o))
            })
            .map(|(t, _)| t.clone())
            .collect();
        check(
            "/trainings",
            who,
            listed(&app, "/trainings", &c.token, "id").await,
            expected,
        );

        let expected = orgs
            .iter()
            .filter(|o| authz::sees_org(actor, &place_of(o)))
            .cloned()
            .collect();
        check(
            "/orgs",
            who,
            listed(&app, "/orgs", &c.token, "id").await,
            expected,
        );
    }
}
