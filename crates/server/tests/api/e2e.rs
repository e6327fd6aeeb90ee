//! End-to-end in a real browser (Debian's chromium and chromedriver): a teacher declares with
//! a photo on a phone-sized screen, the school and the district approve in their pages, and
//! the teacher's effective hours grow. Skipped with a note when no browser is installed,
//! unless `XUESHI_REQUIRE_BROWSER=1` (as in CI). `XUESHI_SCREENSHOTS=DIR` keeps screenshots.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use thirtyfour::prelude::*;

use xueshi_server::config::AdminMfa;

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app_with, tree};

pub(crate) struct Chromedriver(Child);

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn browser_available() -> bool {
    let found = |p: &str| std::path::Path::new(p).exists();
    if found("/usr/bin/chromium") && found("/usr/bin/chromedriver") {
        return true;
    }
    assert!(
        std::env::var("XUESHI_REQUIRE_BROWSER").is_err(),
        "XUESHI_REQUIRE_BROWSER is set but chromium/chromedriver are missing"
    );
    eprintln!("note: browser tests skipped (install chromium and chromium-driver)");
    false
}

pub(crate) async fn browser() -> (Chromedriver, WebDriver) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let guard = Chromedriver(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().unwrap().keep();
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary("/usr/bin/chromium").unwrap();
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--hide-scrollbars",
        &format!("--user-data-dir={}", profile.display()),
    ] {
        caps.add_arg(arg).unwrap();
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
        .await
        .expect("a browser session");
    (guard, driver)
}

/// Logs in through the form, and through the second factor when the server asks for it
/// (administrators: the test's authenticator gives the code).
pub(crate) async fn login(d: &WebDriver, app: &TestApp, username: &str) -> WebDriverResult<()> {
    app.settle_password(username).await;
    // A person whose login form has gone stale (页面已过期) simply tries again; so does this.
    for _ in 0..3 {
        d.delete_all_cookies().await?;
        d.goto(format!("{}/", app.address)).await?;
        d.find(By::Id("username"))
            .await?
            .send_keys(username)
            .await?;
        d.find(By::Id("password"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        d.find(By::Css("form button[type=submit]"))
            .await?
            .click()
            .await?;
        // Wait for the redirect to land, so that the next navigation is not overtaken by it.
        let mut code_sent = false;
        for _ in 0..100 {
            let path = d.current_url().await?.path().to_owned();
            if path == "/home" {
                return Ok(());
            }
            if path == "/login/mfa" && !code_sent {
                let code = app.next_code(username);
                d.find(By::Id("code")).await?.send_keys(&code).await?;
                d.find(By::Css("main form button[type=submit]"))
                    .await?
                    .click()
                    .await?;
                code_sent = true;
            }
            if let Ok(error) = d.find(By::Css("p.error")).await
                && error
                    .text()
                    .await
                    .unwrap_or_default()
                    .contains("页面已过期")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("login as {username} did not reach /home");
}

/// The page's main text once it contains `needle` (pages load after a click), or what it
/// says after five seconds.
pub(crate) async fn wait_for(d: &WebDriver, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        if let Ok(main) = d.find(By::Tag("main")).await
            && let Ok(text) = main.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// Clicks what `by` finds.
pub(crate) async fn click(d: &WebDriver, by: By) {
    d.find(by).await.unwrap().click().await.unwrap();
}

/// Types `text` into the field whose id is `id`.
pub(crate) async fn type_into(d: &WebDriver, id: &str, text: &str) {
    d.find(By::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

pub(crate) async fn screenshot(d: &WebDriver, name: &str) {
    if let Ok(dir) = std::env::var("XUESHI_SCREENSHOTS") {
        let path = PathBuf::from(dir).join(format!("{name}.png"));
        d.screenshot(&path).await.unwrap();
    }
}

/// The page never scrolls sideways at the current window width.
pub(crate) async fn fits_the_screen(d: &WebDriver) -> bool {
    let ret = d
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    ret.json() == &json!(true)
}

fn tiny_png() -> PathBuf {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 120])
    });
    let path = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .unwrap()
        .into_temp_path()
        .keep()
        .unwrap();
    img.save(&path).unwrap();
    path
}

#[tokio::test]
async fn a_declaration_goes_from_a_phone_through_both_reviews_to_effective_hours() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "天河").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    let today = xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc());
    let year = today.year();
    // Deadlines well ahead, whatever day the test runs.
    let mut p = crate::helpers::policy(year);
    p["deadlines"] = json!({ "declaration": format!("{}-12-31", year + 1), "registration": format!("{}-12-31", year + 1),
        "school_review": format!("{}-01-09", year + 2), "district_review": format!("{}-01-13", year + 2) });
    app.set_policy(year, p).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();

    // The teacher logs in on a phone and sees this year's progress.
    login(&d, &app, &id_number(1)).await.unwrap();
    let home = wait_for(&d, "学时").await;
    assert!(
        home.contains(&format!("{year}年度继续教育学时"))
            && home.contains("专业科目")
            && home.contains("0 / 42 学时"),
        "{home}"
    );
    assert!(
        fits_the_screen(&d).await,
        "the teacher's page scrolls sideways on a phone"
    );
    screenshot(&d, "teacher-phone").await;

    // … declares with a photo of the certificate and submits.
    d.goto(format!("{}/declarations/new", app.address))
        .await
        .unwrap();
    assert!(
        fits_the_screen(&d).await,
        "the declaration form scrolls sideways on a phone"
    );
    let accept = d
        .find(By::Id("certificate"))
        .await
        .unwrap()
        .attr("accept")
        .await
        .unwrap();
    assert_eq!(accept.as_deref(), Some("image/*,application/pdf"));
    d.find(By::Id("title"))
        .await
        .unwrap()
        .send_keys("广州市骨干教师培训班")
        .await
        .unwrap();
    d.find(By::Id("organizer"))
        .await
        .unwrap()
        .send_keys("广州市教师发展中心")
        .await
        .unwrap();
    let date = today.to_string();
    d.execute("document.getElementById('start_date').value = arguments[0]; document.getElementById('end_date').value = arguments[0];", vec![json!(date)])
        .await
        .unwrap();
    d.find(By::Id("hours"))
        .await
        .unwrap()
        .send_keys("8")
        .await
        .unwrap();
    d.find(By::Id("certificate"))
        .await
        .unwrap()
        .send_keys(tiny_png().display().to_string())
        .await
        .unwrap();
    d.find(By::Css("button[value=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let submitted = wait_for(&d, "申报已提交").await;
    assert!(
        submitted.contains("申报已提交") && submitted.contains("待学校初审"),
        "{submitted}"
    );
    screenshot(&d, "declaration-phone").await;

    // The school admin approves it in the queue's page.
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "天河_school").await.unwrap();
    d.goto(format!("{}/review", app.address)).await.unwrap();
    let queue = wait_for(&d, "广州市骨干教师培训班").await;
    assert!(
        queue.contains("学校初审")
            && queue.contains("广州市骨干教师培训班")
            && queue.contains("陈伟"),
        "{queue}"
    );
    screenshot(&d, "school-queue").await;
    d.find(By::LinkText("广州市骨干教师培训班"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&d, "证明材料").await;
    assert!(
        d.find(By::Css(".evidence img")).await.is_ok(),
        "the evidence is shown inline"
    );
    // Loaded, under the pages' Content-Security-Policy and the file's own sandbox.
    let width = d
        .execute(
            "return document.querySelector('.evidence img').naturalWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(width.json().as_u64().unwrap_or(0) > 0, "the picture loads");
    d.find(By::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        wait_for(&d, "审核结果已保存")
            .await
            .contains("审核结果已保存")
    );

    // The district approves it from its queue, in a batch.
    login(&d, &app, "天河_district").await.unwrap();
    d.goto(format!("{}/review", app.address)).await.unwrap();
    let second = wait_for(&d, "广州市骨干教师培训班").await;
    assert!(
        second.contains("区级复审") && second.contains("广州市骨干教师培训班"),
        "{second}"
    );
    // "Select all" is the platform's own script (static/app.js): it runs under the CSP.
    d.find(By::Css("input[data-select-all]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        d.find(By::Css("input[name=ids]"))
            .await
            .unwrap()
            .is_selected()
            .await
            .unwrap(),
        "select all ticks every declaration"
    );
    d.find(By::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The batch asks first, saying how many and how many hours.
    let question = d.get_alert_text().await.unwrap();
    assert!(question.contains("1 份申报（共 8 学时）"), "{question}");
    d.accept_alert().await.unwrap();
    assert!(
        wait_for(&d, "已审核通过 1 份")
            .await
            .contains("已审核通过 1 份，共 8 学时")
    );

    // The teacher's effective hours grew.
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    login(&d, &app, &id_number(1)).await.unwrap();
    let after = wait_for(&d, "8 / 42 学时").await;
    assert!(
        after.contains("8 / 42 学时") && after.contains("广州市骨干教师培训班"),
        "{after}"
    );
    let progress = app.progress(&teacher, year).await;
    assert_eq!(progress["categories"]["professional"]["hours"], 8);
    d.quit().await.unwrap();
}

#[tokio::test]
async fn every_main_page_fits_a_phone_screen() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "海珠").await;
    app.teacher(&t.school, "李芳", 2).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    for (user, pages) in [
        (
            id_number(2),
            vec![
                "/home",
                "/declarations",
                "/declarations/new",
                "/records",
                "/results",
                "/account/password",
            ],
        ),
        (
            "海珠_school".to_owned(),
            vec![
                "/home",
                "/review",
                "/teachers",
                "/trainings",
                "/accounts",
                "/audit",
                "/exports",
            ],
        ),
        (
            "海珠_district".to_owned(),
            vec![
                "/home",
                "/review",
                "/schools",
                "/teachers",
                "/trainings",
                "/exports",
                "/audit",
            ],
        ),
    ] {
        login(&d, &app, &user).await.unwrap();
        for page in pages {
            d.goto(format!("{}{page}", app.address)).await.unwrap();
            assert!(
                fits_the_screen(&d).await,
                "{page} scrolls sideways for {user}"
            );
        }
    }
    d.quit().await.unwrap();
}
