//! Delivery of a [`RenderedEmail`]: MIME assembly with lettre, then SMTP or
//! `.eml` files.
//!
//! MIME shape (RFC 2046): `multipart/alternative` (text, then html — the last
//! part is the preferred one), wrapped in `multipart/mixed` with the
//! attachments when there are any. lettre encodes non-ASCII headers per
//! RFC 2047, attachment names per RFC 2231, and bodies as quoted-printable or
//! base64, so the bytes on the wire are 7-bit.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::{MailError, RenderedEmail};

/// Where mail goes: SMTP (production) or `.eml` files in a directory
/// (embedded default, no SMTP configured).
///
/// Cheap to clone: the SMTP variant shares one connection pool.
#[derive(Clone)]
pub enum Mailer {
    /// Deliver to an SMTP relay over a pooled connection.
    Smtp {
        /// lettre transport; owns the connection pool.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The relay as `scheme://host:port[?tls=…]`, without credentials; for
        /// [`Mailer::describe`].
        endpoint: String,
    },
    /// Write each message to `<dir>/<unix-nanos>-<random>.eml`.
    FileSystem {
        /// Target directory; created by [`Mailer::file_system`].
        dir: PathBuf,
    },
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mailer").field(&self.describe()).finish()
    }
}

impl Mailer {
    /// Connects lazily to the SMTP relay at `url` (nothing is dialled until
    /// the first [`send`](Self::send)):
    /// - `smtp://host:port` — plain SMTP without TLS, for loopback sinks
    ///   (default port 25);
    /// - `smtp://user:pass@host:port?tls=required` — STARTTLS, refusing to
    ///   continue without it (default port 587; `tls=opportunistic` also
    ///   accepted);
    /// - `smtps://user:pass@host:port` — implicit TLS (default port 465).
    ///
    /// User and password must be percent-encoded; an optional path names the
    /// EHLO domain (`smtp://host:25/mail.accredit.example`).
    ///
    /// # Errors
    /// [`MailError::Smtp`] for an unknown scheme or `tls` value, a
    /// missing host, or an unparseable URL.
    ///
    /// # Panics
    /// Outside a Tokio runtime: lettre's connection pool spawns its reaper
    /// task here (and another when dropped). Build it in `main`/start-up code
    /// running on the runtime, or in a `#[tokio::test]`.
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build();
        Ok(Self::Smtp {
            transport,
            endpoint: endpoint_without_credentials(url),
        })
    }

    /// Writes mail as `.eml` files into `dir`, creating it (and its parents)
    /// if needed.
    ///
    /// # Errors
    /// [`MailError::Io`] if the directory cannot be created.
    pub fn file_system(dir: impl Into<PathBuf>) -> Result<Self, MailError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self::FileSystem { dir })
    }

    /// Sends one message from `from` (e.g. `"Accredit <billing@accredit.example>"`):
    /// `multipart/alternative` (text + html), wrapped in `multipart/mixed`
    /// with the attachments when there are any. A `Date` is added, and the
    /// `Message-ID` of `email` (a random one when it has none).
    ///
    /// `FileSystem` writes `<dir>/<unix-nanos>-<random>.eml` (RFC 5322 bytes,
    /// CRLF line ends), first under a hidden temporary name, then renamed, so
    /// readers never see half a file.
    ///
    /// # Errors
    /// [`MailError::Address`] for a bad `from` or `email.to`,
    /// [`MailError::ContentType`] for a bad attachment type,
    /// [`MailError::Build`], then [`MailError::Smtp`] or [`MailError::Io`].
    #[tracing::instrument(skip_all, fields(mailer = %self.describe()))]
    pub async fn send(&self, from: &str, email: &RenderedEmail) -> Result<(), MailError> {
        let message = build_message(from, email)?;
        match self {
            Self::Smtp { transport, .. } => {
                let response = transport.send(message).await?;
                tracing::debug!(code = %response.code(), "email accepted by the relay");
            }
            Self::FileSystem { dir } => {
                let dir = dir.clone();
                let bytes = message.formatted();
                let path = tokio::task::spawn_blocking(move || write_eml(&dir, &bytes))
                    .await
                    .map_err(std::io::Error::other)??;
                tracing::debug!(path = %path.display(), "email written");
            }
        }
        Ok(())
    }

    /// `"smtp://host:port"` (never with credentials) or `"file:<dir>"` — for logs.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { endpoint, .. } => endpoint.clone(),
            Self::FileSystem { dir } => format!("file:{}", dir.display()),
        }
    }
}

/// Assembles the MIME message described on [`Mailer::send`].
fn build_message(from: &str, email: &RenderedEmail) -> Result<Message, MailError> {
    let alternative = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let body = if email.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for attachment in &email.attachments {
            let content_type = ContentType::parse(&attachment.content_type).map_err(|_| {
                MailError::ContentType {
                    filename: attachment.filename.clone(),
                    content_type: attachment.content_type.clone(),
                }
            })?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(attachment.filename.clone())
                    .body(attachment.bytes.clone(), content_type),
            );
        }
        mixed
    };
    Ok(Message::builder()
        .from(parse_mailbox(from)?)
        .to(parse_mailbox(&email.to)?)
        .subject(email.subject.as_str())
        .message_id(email.message_id.clone())
        .multipart(body)?)
}

/// Parses one RFC 5322 mailbox (`addr` or `Name <addr>`).
fn parse_mailbox(input: &str) -> Result<Mailbox, MailError> {
    input.parse().map_err(|source| MailError::Address {
        mailbox: input.to_owned(),
        source,
    })
}

/// Writes `bytes` to a fresh `<unix-nanos>-<random>.eml` in `dir` via a hidden
/// temporary file and a rename (atomic within one file system). Returns the
/// final path.
fn write_eml(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_nanos();
    let stem = format!("{nanos}-{:016x}", rand::random::<u64>());
    let tmp = dir.join(format!(".{stem}.tmp"));
    let path = dir.join(format!("{stem}.eml"));

    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| path)
}

/// `scheme://host:port[?tls=…]` from an SMTP URL, dropping user, password,
/// path and other query parameters; fills in lettre's default port.
///
/// Only called on URLs lettre has already accepted.
fn endpoint_without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let tls = tail
        .split_once('?')
        .map(|(_, query)| query.split('#').next().unwrap_or_default())
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("tls="));

    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    let default_port = match (scheme, tls) {
        _ if has_port => String::new(),
        ("smtps", _) => ":465".to_owned(),
        (_, Some(_)) => ":587".to_owned(),
        _ => ":25".to_owned(),
    };
    let tls = tls.map(|tls| format!("?tls={tls}")).unwrap_or_default();
    format!("{scheme}://{host_port}{default_port}{tls}")
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use mailparse::{MailHeaderMap as _, ParsedMail};
    use serde_json::json;

    use super::super::templates::tests::sample_context;
    use super::super::{Attachment, EmailTemplates};
    use super::*;

    const FROM: &str = "Accredit — Python Certification Foundation <billing@accredit.example>";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n";

    fn invoice_email(buyer_name: &str, to: &str) -> RenderedEmail {
        let mut context = sample_context();
        context["buyer_name"] = json!(buyer_name);
        context["product_name"] = json!("Zertifikat für Zoë Łukasiewicz");
        EmailTemplates::new()
            .unwrap()
            .render(
                "invoice_issued",
                to,
                &context,
                vec![Attachment {
                    filename: "INV-2025-000042.pdf".to_owned(),
                    content_type: "application/pdf".to_owned(),
                    bytes: PDF.to_vec(),
                }],
            )
            .unwrap()
    }

    fn temp_dir(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "accredit-mail-{label}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
    }

    /// Checks the MIME tree of an invoice mail with one PDF attached.
    fn assert_invoice_mime(parsed: &ParsedMail<'_>, email: &RenderedEmail) {
        assert_eq!(parsed.ctype.mimetype, "multipart/mixed");
        assert_eq!(parsed.subparts.len(), 2);

        let alternative = &parsed.subparts[0];
        assert_eq!(alternative.ctype.mimetype, "multipart/alternative");
        let [text, html] = &alternative.subparts[..] else {
            panic!("expected two alternatives");
        };
        assert_eq!(text.ctype.mimetype, "text/plain");
        assert_eq!(html.ctype.mimetype, "text/html");
        assert_eq!(text.get_body().unwrap().replace("\r\n", "\n"), email.text);
        assert_eq!(html.get_body().unwrap().replace("\r\n", "\n"), email.html);

        let pdf = &parsed.subparts[1];
        assert_eq!(pdf.ctype.mimetype, "application/pdf");
        assert_eq!(
            pdf.get_headers()
                .get_first_value("Content-Transfer-Encoding")
                .as_deref(),
            Some("base64")
        );
        let disposition = pdf.get_content_disposition();
        assert_eq!(
            disposition.disposition,
            mailparse::DispositionType::Attachment
        );
        assert_eq!(
            disposition.params.get("filename").map(String::as_str),
            Some("INV-2025-000042.pdf")
        );
        assert_eq!(pdf.get_body_raw().unwrap(), PDF);
    }

    #[tokio::test]
    async fn file_system_send_writes_a_parseable_eml_with_both_alternatives_and_the_attachment() {
        let dir = temp_dir("fs");
        let mailer = Mailer::file_system(dir.join("outbox")).unwrap();
        let email = invoice_email("Ada Lovelace", "Ada Lovelace <ada@example.org>");

        mailer.send(FROM, &email).await.unwrap();

        let files = eml_files(&dir.join("outbox"));
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_str().unwrap();
        let (nanos, random) = name.strip_suffix(".eml").unwrap().split_once('-').unwrap();
        assert!(
            nanos.parse::<u128>().is_ok() && random.len() == 16,
            "{name}"
        );

        let raw = std::fs::read(&files[0]).unwrap();
        assert!(raw.is_ascii(), "every header and body is 7-bit encoded");
        let parsed = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(
            parsed.headers.get_first_value("Subject").unwrap(),
            email.subject
        );
        assert_eq!(
            parsed.headers.get_first_value("To").unwrap(),
            "\"Ada Lovelace\" <ada@example.org>"
        );
        assert!(parsed.headers.get_first_value("Message-ID").is_some());
        assert!(parsed.headers.get_first_value("Date").is_some());
        assert_invoice_mime(&parsed, &email);

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn without_attachments_the_message_is_just_the_alternatives() {
        let dir = temp_dir("noatt");
        let mailer = Mailer::file_system(&dir).unwrap();
        let mut email = invoice_email("Ada Lovelace", "ada@example.org");
        email.attachments.clear();

        mailer.send(FROM, &email).await.unwrap();

        let raw = std::fs::read(&eml_files(&dir)[0]).unwrap();
        let parsed = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
        assert_eq!(parsed.subparts.len(), 2);

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn unicode_names_survive_in_headers_and_body() {
        let dir = temp_dir("utf8");
        let mailer = Mailer::file_system(&dir).unwrap();
        let email = invoice_email("Zoë Łukasiewicz", "Zoë Łukasiewicz <zoe@example.org>");
        assert!(
            email.subject.contains("Zoë Łukasiewicz"),
            "{}",
            email.subject
        );

        mailer.send(FROM, &email).await.unwrap();

        let raw = std::fs::read(&eml_files(&dir)[0]).unwrap();
        let raw_text = String::from_utf8(raw.clone()).unwrap();
        let raw_subject = raw_text
            .lines()
            .find(|line| line.starts_with("Subject:"))
            .unwrap();
        assert!(
            raw_subject.to_ascii_lowercase().contains("=?utf-8?b?"),
            "RFC 2047 encoded-word expected: {raw_subject}"
        );
        let parsed = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(
            parsed.headers.get_first_value("Subject").unwrap(),
            email.subject
        );
        assert_eq!(
            parsed.headers.get_first_value("To").unwrap(),
            "Zoë Łukasiewicz <zoe@example.org>"
        );
        assert_eq!(
            parsed.headers.get_first_value("From").unwrap(),
            "Accredit — Python Certification Foundation <billing@accredit.example>"
        );
        let alternative = &parsed.subparts[0];
        assert!(alternative.subparts[0]
            .get_body()
            .unwrap()
            .contains("Hello Zoë Łukasiewicz,"));
        assert!(alternative.subparts[1]
            .get_body()
            .unwrap()
            .contains("Zoë Łukasiewicz"));

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn bad_addresses_and_content_types_are_rejected_before_sending() {
        let dir = temp_dir("bad");
        let mailer = Mailer::file_system(&dir).unwrap();
        let email = invoice_email("Ada Lovelace", "not an address");

        let bad_to = mailer.send(FROM, &email).await;
        let mut email = invoice_email("Ada Lovelace", "ada@example.org");
        let bad_from = mailer.send("billing", &email).await;
        email.to = "ada@example.org, eve@example.org".to_owned();
        let two_recipients = mailer.send(FROM, &email).await;
        email.to = "ada@example.org".to_owned();
        email.attachments[0].content_type = "pdf".to_owned();
        let bad_type = mailer.send(FROM, &email).await;

        assert!(
            matches!(&bad_to, Err(MailError::Address { mailbox, .. }) if mailbox == "not an address"),
            "{bad_to:?}"
        );
        assert!(
            matches!(bad_from, Err(MailError::Address { .. })),
            "{bad_from:?}"
        );
        assert!(
            matches!(two_recipients, Err(MailError::Address { .. })),
            "{two_recipients:?}"
        );
        assert!(
            matches!(bad_type, Err(MailError::ContentType { .. })),
            "{bad_type:?}"
        );
        assert!(eml_files(&dir).is_empty());

        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What [`smtp_sink`] saw for one message: the `MAIL`/`RCPT` command
    /// lines and the un-dot-stuffed DATA payload.
    type Received = (Vec<String>, Vec<u8>);

    /// A one-connection SMTP peer on a loopback port: accepts everything and
    /// hands each message to the returned channel.
    fn smtp_sink() -> (u16, mpsc::Receiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            let mut reply = |line: &str| writer.write_all(format!("{line}\r\n").as_bytes());
            reply("220 sink ESMTP").unwrap();
            let mut envelope = Vec::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let command = line.trim_end().to_owned();
                line.clear();
                let verb = command.split([' ', ':']).next().unwrap_or_default();
                match verb.to_ascii_uppercase().as_str() {
                    "EHLO" => reply("250 sink"),
                    "MAIL" | "RCPT" => {
                        envelope.push(command);
                        reply("250 OK")
                    }
                    "DATA" => {
                        reply("354 go ahead").unwrap();
                        let mut data = Vec::new();
                        loop {
                            let mut chunk = Vec::new();
                            reader.read_until(b'\n', &mut chunk).unwrap();
                            if chunk == b".\r\n" || chunk.is_empty() {
                                break;
                            }
                            // RFC 5321 §4.5.2 dot-stuffing.
                            let chunk = chunk.strip_prefix(b".").unwrap_or(&chunk);
                            data.extend_from_slice(chunk);
                        }
                        tx.send((std::mem::take(&mut envelope), data)).unwrap();
                        reply("250 queued")
                    }
                    "QUIT" => {
                        let _ = reply("221 bye");
                        break;
                    }
                    _ => reply("250 OK"),
                }
                .unwrap();
            }
        });
        (port, rx)
    }

    #[tokio::test]
    async fn smtp_send_delivers_the_same_mime_message() {
        let (port, received) = smtp_sink();
        let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let email = invoice_email("Zoë Łukasiewicz", "Zoë Łukasiewicz <zoe@example.org>");

        mailer.send(FROM, &email).await.unwrap();

        let (envelope, data) = received
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        assert_eq!(envelope[0], "MAIL FROM:<billing@accredit.example>");
        assert_eq!(envelope[1], "RCPT TO:<zoe@example.org>");
        let parsed = mailparse::parse_mail(&data).unwrap();
        assert_eq!(
            parsed.headers.get_first_value("Subject").unwrap(),
            email.subject
        );
        assert_invoice_mime(&parsed, &email);
    }

    #[tokio::test]
    async fn smtp_send_to_a_closed_port_is_an_smtp_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let email = invoice_email("Ada Lovelace", "ada@example.org");

        let result = mailer.send(FROM, &email).await;

        assert!(matches!(result, Err(MailError::Smtp(_))), "{result:?}");
    }

    #[tokio::test]
    async fn smtp_urls_are_accepted_and_described_without_credentials() {
        let cases = [
            ("smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525"),
            ("smtp://localhost", "smtp://localhost:25"),
            (
                "smtp://user:p%40ss@mail.example.org:587?tls=required",
                "smtp://mail.example.org:587?tls=required",
            ),
            (
                "smtp://user:secret@mail.example.org?tls=required",
                "smtp://mail.example.org:587?tls=required",
            ),
            (
                "smtps://user:secret@mail.example.org",
                "smtps://mail.example.org:465",
            ),
            (
                "smtps://user:secret@mail.example.org:2465/ehlo.example",
                "smtps://mail.example.org:2465",
            ),
            ("smtp://[::1]:2525", "smtp://[::1]:2525"),
            ("smtp://[::1]", "smtp://[::1]:25"),
        ];
        for (url, expected) in cases {
            let mailer = Mailer::smtp(url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
            assert_eq!(mailer.describe(), expected, "{url}");
            assert!(!format!("{mailer:?}").contains("secret"));
        }
    }

    #[tokio::test]
    async fn other_schemes_and_tls_values_are_rejected() {
        for url in [
            "http://mail.example.org",
            "smtp://mail.example.org?tls=maybe",
            "mail.example.org:25",
        ] {
            assert!(
                matches!(Mailer::smtp(url), Err(MailError::Smtp(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn file_system_is_described_by_its_directory() {
        let dir = temp_dir("describe");

        let mailer = Mailer::file_system(&dir).unwrap();

        assert_eq!(mailer.describe(), format!("file:{}", dir.display()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
