//! Outgoing e-mail: rendering the templates and handing messages to a transport.
//!
//! What belongs here is the *mechanics* of mail, not the decision to send it:
//! - [`EmailTemplates`] (`templates.rs`): the templates under
//!   `email-templates/<name>/{subject.txt, body.txt, body.html}`, embedded in
//!   the binary at compile time, so a deployment can never run with templates
//!   that differ from the code that fills them. They render to a
//!   [`RenderedEmail`].
//! - [`Mailer`] (`transport.rs`): where a [`RenderedEmail`] goes — an SMTP relay
//!   in production, or `.eml` files in a directory when no SMTP server is
//!   configured (embedded deployments, development, tests).
//!
//! Which mail to send, to whom and when is decided by the services (they write
//! an outbox row in the same transaction as the business change) and the
//! outbox worker in `jobs/` calls [`EmailTemplates::render`] and
//! [`Mailer::send`]. Nothing here touches the database or reads configuration.
//!
//! Never log rendered bodies or attachments: they hold personal and payment
//! data. The `Debug` impls below leave them out.

mod templates;
mod transport;

use std::fmt;

pub use templates::EmailTemplates;
pub use transport::Mailer;

/// A file attached to a message, e.g. the invoice PDF.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name shown to the recipient, e.g. `INV-2025-000042.pdf`. Non-ASCII
    /// names are encoded per RFC 2231 on the wire.
    pub filename: String,
    /// MIME type, e.g. `application/pdf`. Must parse as a MIME type or
    /// sending fails with [`MailError::ContentType`].
    pub content_type: String,
    /// Raw file contents; sent base64-encoded.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A message ready to send: subject and both bodies already rendered.
///
/// Built by [`EmailTemplates::render`]; sent by [`Mailer::send`].
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// Recipient mailbox, `addr@example.org` or `Name <addr@example.org>`
    /// (RFC 5322 `mailbox`; one recipient only).
    pub to: String,
    /// Subject, a single line without leading or trailing whitespace.
    pub subject: String,
    /// `text/plain` alternative (UTF-8).
    pub text: String,
    /// `text/html` alternative (UTF-8).
    pub html: String,
    /// Files attached next to the two alternatives; may be empty.
    pub attachments: Vec<Attachment>,
    /// The `Message-ID` header (RFC 5322 §3.6.4, `<id-left@id-right>`); a random
    /// one is generated when `None`. The outbox sets one derived from its row
    /// ([`message_id`]), so every attempt of one job carries the same id and a
    /// retry after an ambiguous SMTP failure is recognisable as a duplicate.
    pub message_id: Option<String>,
}

/// The deterministic `Message-ID` of the mail an outbox row sends:
/// `<outbox-{key}@{domain}>`, the domain taken from the `From` address
/// (`Name <user@domain>` or `user@domain`; `accredit.invalid` when it has none).
pub fn message_id(key: &str, from: &str) -> String {
    let address = from
        .rsplit_once('<')
        .map_or(from, |(_, a)| a.trim_end_matches('>'))
        .trim();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("accredit.invalid");
    format!("<outbox-{key}@{domain}>")
}

impl fmt::Debug for RenderedEmail {
    /// Leaves out the bodies: they hold personal and payment data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedEmail")
            .field("subject", &self.subject)
            .field("text_len", &self.text.len())
            .field("html_len", &self.html.len())
            .field("attachments", &self.attachments)
            .finish_non_exhaustive()
    }
}

/// Everything that can go wrong while rendering or sending mail.
///
/// `UnknownTemplate`, `InvalidTemplate`, `Render`, `Address` and `ContentType`
/// are bugs or bad data: retrying will not help. `Smtp` and `Io` may be
/// transient; for `Smtp`, [`lettre::transport::smtp::Error::is_permanent`]
/// tells a rejected message from an unreachable relay.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// No template directory with this name was embedded.
    #[error("unknown email template {0:?}")]
    UnknownTemplate(String),
    /// A template directory is unusable (missing file, not UTF-8).
    #[error("email template {name:?} is unusable: {reason}")]
    InvalidTemplate {
        /// Template (directory) name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A template failed to parse, or to render with the given context (e.g.
    /// a missing key: undefined values are errors, not empty strings).
    #[error("cannot render email template")]
    Render(#[from] minijinja::Error),
    /// `from` or `to` is not a valid RFC 5322 mailbox.
    #[error("invalid mailbox {mailbox:?}")]
    Address {
        /// The rejected input.
        mailbox: String,
        /// Why lettre rejected it.
        #[source]
        source: lettre::address::AddressError,
    },
    /// An attachment's content type is not a valid MIME type.
    #[error("attachment {filename:?} has an invalid content type {content_type:?}")]
    ContentType {
        /// The attachment's file name.
        filename: String,
        /// The rejected content type.
        content_type: String,
    },
    /// lettre refused to assemble the message.
    #[error("cannot build the email message")]
    Build(#[from] lettre::error::Error),
    /// Bad SMTP URL, or the relay could not be reached or refused the message.
    #[error("SMTP transport failed")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// Writing an `.eml` file failed.
    #[error("cannot write the email to disk")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod message_id_tests {
    use super::*;

    #[test]
    fn the_message_id_is_the_row_key_at_the_sender_domain() {
        assert_eq!(
            message_id("0193a2b4", "Accredit Billing <billing@accredit.example>"),
            "<outbox-0193a2b4@accredit.example>"
        );
        assert_eq!(
            message_id("k", "billing@foundation.org"),
            "<outbox-k@foundation.org>"
        );
        assert_eq!(message_id("k", "no address"), "<outbox-k@accredit.invalid>");
    }

    #[tokio::test]
    async fn a_given_message_id_is_the_header_of_every_attempt() {
        let dir = std::env::temp_dir().join(format!("accredit-msgid-{}", uuid::Uuid::new_v4()));
        let mailer = Mailer::file_system(&dir).unwrap();
        let id = message_id("0193a2b4-7c1d", "billing@accredit.example");
        let email = RenderedEmail {
            to: "ada@example.org".into(),
            subject: "Hello".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            attachments: vec![],
            message_id: Some(id.clone()),
        };
        mailer
            .send("billing@accredit.example", &email)
            .await
            .unwrap();
        mailer
            .send("billing@accredit.example", &email)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let raw = std::fs::read(e.path()).unwrap();
            let parsed = mailparse::parse_mail(&raw).unwrap();
            use mailparse::MailHeaderMap;
            ids.push(parsed.headers.get_first_value("Message-ID").unwrap());
        }
        assert_eq!(ids, vec![id.clone(), id]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
