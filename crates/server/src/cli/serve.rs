use crate::app::{Application, shutdown_signal};
use crate::config::{AdminMfa, Config};
use crate::demo;

pub async fn run(mut config: Config, with_demo: bool) -> anyhow::Result<()> {
    // The demo's administrators have no authenticator: unless told otherwise, a demo
    // database runs without the second factor, and every page says so.
    if with_demo && config.admin_mfa.is_none() && demo::is_demo_database(&config).await? {
        config.admin_mfa = Some(AdminMfa::Off);
    }
    if std::env::var_os("XUESHI_TRUST_FORWARDED_FOR").is_some() {
        tracing::warn!(
            "XUESHI_TRUST_FORWARDED_FOR is no longer read: list the proxies in XUESHI_TRUSTED_PROXIES"
        );
    }
    if !config.mfa_required() {
        println!("注意：管理员双因素认证已关闭（XUESHI_ADMIN_MFA=off），仅供演示。");
    }
    let app = Application::build(config).await?;
    if with_demo {
        match demo::seed(&app.state().db).await? {
            Some(logins) => demo::print_logins(&logins),
            None => println!("数据库中已有数据，未导入演示数据（演示数据只写入空数据库）。"),
        }
    }
    let bind = &app.state().config.bind;
    let host = bind.rsplit_once(':').map_or(bind.as_str(), |(h, _)| h);
    println!("学时平台已启动：http://{}:{}/", host, app.port());
    tracing::info!(port = app.port(), "listening");
    app.run_until(shutdown_signal()).await
}
