//! Where messages to people go (one-time codes, reminders), chosen in the TOML file:
//!
//! ```toml
//! [notifier]            # default: kind = "log" (development: written to the log, masked)
//! kind = "sms_http"     # POST {"phone","text","sign_name"} as JSON to an SMS gateway
//! url = "https://sms.example.gov.cn/send"
//! token = "…"           # sent as Authorization: Bearer
//! sign_name = "学时平台"
//!
//! # or
//! kind = "smtp"         # e-mail, e.g. to an operator's e-mail-to-SMS gateway
//! host = "smtp.example.gov.cn"
//! port = 587
//! starttls = true
//! username = "…"
//! password = "…"
//! from = "学时平台 <noreply@example.gov.cn>"
//! recipient = "{phone}@sms.example.gov.cn"
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use xueshi_domain::mask_phone;

use super::reminders::{LogNotifier, Notifier, Outbound, Sending};

/// A password or token in the configuration: never printed.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

fn ten() -> u64 {
    10
}

fn submission_port() -> u16 {
    587
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotifierConfig {
    #[default]
    Log,
    SmsHttp {
        url: String,
        #[serde(default)]
        token: Secret,
        #[serde(default)]
        sign_name: Option<String>,
        #[serde(default = "ten")]
        timeout_secs: u64,
    },
    Smtp {
        host: String,
        #[serde(default = "submission_port")]
        port: u16,
        #[serde(default = "yes")]
        starttls: bool,
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        password: Secret,
        from: String,
        /// The address for a phone number: `{phone}` is replaced by it.
        recipient: String,
    },
}

/// The notifier the configuration names.
pub fn build(config: &NotifierConfig) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(match config {
        NotifierConfig::Log => Arc::new(LogNotifier),
        NotifierConfig::SmsHttp {
            url,
            token,
            sign_name,
            timeout_secs,
        } => Arc::new(SmsHttp {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs((*timeout_secs).max(1)))
                .build()?,
            url: url.clone(),
            token: token.clone(),
            sign_name: sign_name.clone(),
        }),
        NotifierConfig::Smtp {
            host,
            port,
            starttls,
            username,
            password,
            from,
            recipient,
        } => {
            let mut builder = if *starttls {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
            } else {
                // Only for a relay on the same host or a trusted network.
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            };
            builder = builder.port(*port).timeout(Some(Duration::from_secs(10)));
            if let Some(user) = username {
                builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
            }
            anyhow::ensure!(
                recipient.contains("{phone}"),
                "notifier.recipient must contain {{phone}}"
            );
            Arc::new(Smtp {
                transport: builder.build(),
                from: from.parse()?,
                recipient: recipient.clone(),
            })
        }
    })
}

/// A generic HTTP SMS gateway: one JSON POST per message, any 2xx is sent.
struct SmsHttp {
    client: reqwest::Client,
    url: String,
    token: Secret,
    sign_name: Option<String>,
}

impl Notifier for SmsHttp {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a> {
        Box::pin(async move {
            let Some(phone) = message.phone.as_deref() else {
                return Ok(());
            };
            let body = serde_json::json!({
                "phone": phone,
                "text": message.body,
                "sign_name": self.sign_name,
            });
            let mut request = self.client.post(&self.url).json(&body);
            if !self.token.0.is_empty() {
                request = request.bearer_auth(&self.token.0);
            }
            let status = request.send().await?.status();
            anyhow::ensure!(
                status.is_success(),
                "SMS gateway answered {status} for {}",
                mask_phone(phone)
            );
            Ok(())
        })
    }
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
    recipient: String,
}

impl Notifier for Smtp {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a> {
        Box::pin(async move {
            let Some(phone) = message.phone.as_deref() else {
                return Ok(());
            };
            let to = self.recipient.replace("{phone}", phone);
            let email = Message::builder()
                .from(self.from.clone())
                .to(to.parse()?)
                .subject(&message.title)
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.clone())?;
            self.transport.send(email).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
