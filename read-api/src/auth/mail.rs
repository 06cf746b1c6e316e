//! Account mail over SMTP (lettre): the password reset link. Every send has a timeout.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Longest an SMTP conversation may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the SMTP server did not finish within {0:?}")]
    TimedOut(Duration),
}

/// Where account mail goes and who sends it.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub from: String,
    /// Base of the links in mail (the web client's address).
    pub public_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            from: "Wayfarer <no-reply@wayfarer.dev>".into(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl Mailer {
    /// A plain-text SMTP relay (the local sink, or a relay on the same network): no TLS.
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.smtp_host)
                .port(settings.smtp_port)
                .timeout(Some(SEND_TIMEOUT))
                .build();
        Ok(Self {
            transport,
            from: settings.from.parse()?,
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends the link that resets `to`'s password with `token`.
    pub async fn send_password_reset(
        &self,
        to: &str,
        token: &str,
        valid_for: Duration,
    ) -> Result<(), MailError> {
        let link = format!("{}/reset-password?token={token}", self.public_url);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject("Reset your Wayfarer password")
            .header(ContentType::TEXT_PLAIN)
            .body(format!(
                "Someone asked to reset the password of this Wayfarer account.\n\n\
                 To choose a new password, open this link within {} minutes:\n\n{link}\n\n\
                 or enter this code where you asked for the reset:\n\n\
                 Reset code: {token}\n\n\
                 It works once. If it was not you, ignore this mail: nothing changes.\n",
                valid_for.as_secs() / 60
            ))?;
        self.send(message).await
    }

    /// Sends a plain-text notification of `kind` (also named in an `X-Wayfarer-Notification`
    /// header, for filters); `path` (such as `/itineraries/<id>`) becomes a link into the web
    /// client.
    pub async fn send_notification(
        &self,
        to: &str,
        kind: &str,
        subject: &str,
        text: &str,
        path: &str,
    ) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(subject)
            .header(NotificationHeader(kind.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(format!(
                "{text}\n\n{}{path}\n\n\
                 You can choose which notifications are emailed to you in your settings.\n",
                self.public_url
            ))?;
        self.send(message).await
    }

    async fn send(&self, message: Message) -> Result<(), MailError> {
        // The transport's timeout bounds each read and write; this bounds the whole exchange.
        tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message))
            .await
            .map_err(|_| MailError::TimedOut(SEND_TIMEOUT))??;
        Ok(())
    }
}

/// `X-Wayfarer-Notification: <KIND>` on notification mail.
#[derive(Debug, Clone)]
struct NotificationHeader(String);

impl lettre::message::header::Header for NotificationHeader {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("X-Wayfarer-Notification")
    }

    fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(text.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}
