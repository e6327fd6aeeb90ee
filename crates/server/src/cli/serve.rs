use crate::app::{Application, shutdown_signal};
use crate::config::Config;
use crate::demo;

pub async fn run(config: Config, with_demo: bool) -> anyhow::Result<()> {
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
