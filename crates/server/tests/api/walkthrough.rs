//! A timed walkthrough, not a test: a school administrator reviews 50 declarations in the
//! browser the way the screens lead — open the first item, decide, and the next one opens —
//! returning with the notice's wording the ten that share a file with another teacher's
//! (five files, each handed in twice), approving the rest. It reports the actions and the seconds per item (the screens' own
//! time, without a person's reading). Run it with
//! `cargo test -p xueshi-server --test api walkthrough -- --ignored --nocapture`
//! (figures in docs/benchmarks.md).

use std::time::Instant;

use thirtyfour::prelude::*;

use crate::declaring::form;
use crate::e2e::{browser, login, wait_for};
use crate::helpers::{PASSWORD, id_number, policy, spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

#[tokio::test]
#[ignore = "a timed walkthrough; run it on purpose"]
async fn walkthrough_a_school_admin_reviews_fifty_declarations() {
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "海珠").await;
    app.set_policy(2030, policy(2030)).await;
    let mut tokens = Vec::new();
    for n in 1..=5 {
        app.teacher(&t.school, &format!("教师{n}号"), n).await;
        tokens.push(app.login(&id_number(n), PASSWORD).await);
    }
    // Ten each, on different days; the last teacher's five reuse the first's files.
    for i in 0..50u32 {
        let token = &tokens[(i / 10) as usize];
        let day = 1 + (i % 10) * 3;
        let seed = if i >= 45 { i - 45 + 1 } else { i + 1 };
        let body = form(
            &format!("第{}期专题培训", i + 1),
            &format!("2030-03-{day:02}"),
            &format!("2030-03-{:02}", day + 2),
        );
        let id = app.ready(token, body, seed).await;
        app.submit(token, &id).await.expect(200);
    }
    app.images_hashed().await;

    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "海珠_school").await.unwrap();
    let started = Instant::now();
    let mut actions = 0;
    d.goto(format!("{}/review", app.address)).await.unwrap();
    wait_for(&d, "50 份待审核").await;
    d.find(By::Css("table.queue tbody a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    actions += 1;
    let mut returned = 0;
    for item in 0..50 {
        wait_for(&d, "证明材料").await;
        let warned = d
            .find(By::Css("#warnings [data-kind=same_evidence]"))
            .await
            .is_ok();
        if warned {
            // Open the panel's fields, pick the notice's wording, return it.
            d.find(By::Css("#decide summary"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            d.find(By::Css("#template option[data-reason=copy_not_original]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            d.find(By::Css("#decide button[value=return]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            actions += 3;
            returned += 1;
        } else {
            d.find(By::Css("#decide button[value=approve]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            actions += 1;
        }
        let expected = if item == 49 {
            "审核结果已保存"
        } else {
            "已打开队列中的下一份"
        };
        wait_for(&d, expected).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "walkthrough: 50 declarations ({returned} returned as copies, {} approved) in {seconds:.1} s: \
         {:.2} s and {:.2} actions per item",
        50 - returned,
        seconds / 50.0,
        f64::from(actions) / 50.0
    );
    assert_eq!(
        returned, 10,
        "both sides of the five shared files were found"
    );
    d.quit().await.unwrap();
}
