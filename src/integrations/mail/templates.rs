//! The e-mail templates, embedded at compile time and compiled once.
//!
//! Layout: `email-templates/<name>/{subject.txt, body.txt, body.html,
//! sample.json}` at the crate root. Every directory must hold all four files.
//! They are minijinja (Jinja2) templates; `.html` is HTML-escaped automatically,
//! `.txt` is not. The bodies extend one base layout each
//! (`email-templates/_layout/base.html`, `base.txt`: `{% extends %}` with the
//! blocks `title` and `content`), so the frame of every mail — a table layout
//! with inline styles that mail clients render, the organisation's name above and
//! below — is written once. Directories whose name starts with `_` hold such
//! shared files and are not templates. `sample.json` is the context an admin's
//! preview renders with (`GET /v1/email-templates/{name}/preview`); a test renders
//! every template with it.
//! Undefined variables are errors, so a caller that forgets a key gets
//! [`MailError::Render`] instead of a mail with a blank where the amount
//! should be; optional keys use `| default(...)` in the template.
//!
//! Cargo rebuilds when an embedded file *changes*; after *adding* a template
//! directory, touch this file (or `cargo clean -p accredit`) so the new
//! directory is picked up.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use include_dir::{include_dir, Dir};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use super::{Attachment, MailError, RenderedEmail};

/// The template tree, embedded into the binary.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/email-templates");

/// The three template files every template directory must contain (next to
/// [`SAMPLE`]).
const FILES: [&str; 3] = ["subject.txt", "body.txt", "body.html"];

/// The sample context file of every template directory: a JSON object with every
/// key the template uses.
const SAMPLE: &str = "sample.json";

/// Templates embedded at compile time from
/// `email-templates/<name>/{subject.txt, body.txt, body.html}` into a
/// minijinja [`Environment`] built once; `.html` auto-escaped, `.txt` not.
///
/// Cheap to share: build one at start-up and keep it in application state.
pub struct EmailTemplates {
    env: Environment<'static>,
    names: BTreeSet<String>,
    samples: BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for EmailTemplates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailTemplates")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl EmailTemplates {
    /// Compiles every embedded template.
    ///
    /// # Errors
    /// [`MailError::InvalidTemplate`] if a directory lacks one of the
    /// three files or one is not UTF-8; [`MailError::Render`] if one does not
    /// parse. Both are build defects: call this at start-up and refuse to
    /// start on error.
    pub fn new() -> Result<Self, MailError> {
        Self::from_dir(&EMBEDDED)
    }

    /// Compiles the templates in `root`, one sub-directory per template.
    /// Files directly in `root` and nested directories are ignored.
    fn from_dir(root: &'static Dir<'static>) -> Result<Self, MailError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // `{% ... %}` lines leave no blank line or indentation behind.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);

        let mut names = BTreeSet::new();
        let mut samples = BTreeMap::new();
        for dir in root.dirs() {
            let name = dir
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| MailError::InvalidTemplate {
                    name: dir.path().display().to_string(),
                    reason: "directory name is not UTF-8".to_owned(),
                })?
                .to_owned();
            if name.starts_with('_') {
                // Shared layouts: every file is a template others extend.
                for file in dir.files() {
                    let path = file.path().display().to_string();
                    let source =
                        file.contents_utf8()
                            .ok_or_else(|| MailError::InvalidTemplate {
                                name: path.clone(),
                                reason: "not UTF-8".to_owned(),
                            })?;
                    env.add_template_owned(path, source)?;
                }
                continue;
            }
            let sample = dir
                .get_file(dir.path().join(SAMPLE))
                .and_then(|f| f.contents_utf8())
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .filter(serde_json::Value::is_object)
                .ok_or_else(|| MailError::InvalidTemplate {
                    name: name.clone(),
                    reason: format!("{SAMPLE} is missing or not a JSON object"),
                })?;
            samples.insert(name.clone(), sample);
            for file in FILES {
                let source = dir
                    .get_file(dir.path().join(file))
                    .ok_or_else(|| MailError::InvalidTemplate {
                        name: name.clone(),
                        reason: format!("{file} is missing"),
                    })?
                    .contents_utf8()
                    .ok_or_else(|| MailError::InvalidTemplate {
                        name: name.clone(),
                        reason: format!("{file} is not UTF-8"),
                    })?;
                env.add_template_owned(format!("{name}/{file}"), source)?;
            }
            names.insert(name);
        }
        Ok(Self {
            env,
            names,
            samples,
        })
    }

    /// The sample context of template `name` (its `sample.json`), `None` for an
    /// unknown name.
    pub fn sample(&self, name: &str) -> Option<&serde_json::Value> {
        self.samples.get(name)
    }

    /// Template names (directory names), sorted.
    pub fn names(&self) -> Vec<String> {
        self.names.iter().cloned().collect()
    }

    /// Renders subject (trimmed, single line), text and html for `name` with
    /// `context` (a JSON object; every key a template uses must be present
    /// unless the template gives it a default).
    ///
    /// Whitespace runs in the subject, including line breaks, collapse to one
    /// space. `to` and `attachments` are passed through unchanged; `to` is
    /// only checked when the message is sent.
    ///
    /// # Errors
    /// [`MailError::UnknownTemplate`]; [`MailError::Render`] when the
    /// context is not an object, lacks a key, or the subject renders empty.
    pub fn render(
        &self,
        name: &str,
        to: &str,
        context: &serde_json::Value,
        attachments: Vec<Attachment>,
    ) -> Result<RenderedEmail, MailError> {
        if !self.names.contains(name) {
            return Err(MailError::UnknownTemplate(name.to_owned()));
        }
        if !context.is_object() {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("the context for email template {name:?} must be a JSON object"),
            )
            .into());
        }
        let context = Value::from_serialize(context);
        let render = |file: &str| -> Result<String, MailError> {
            Ok(self
                .env
                .get_template(&format!("{name}/{file}"))?
                .render(&context)?)
        };

        let subject = render("subject.txt")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if subject.is_empty() {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("email template {name:?} rendered an empty subject"),
            )
            .into());
        }
        Ok(RenderedEmail {
            to: to.to_owned(),
            subject,
            text: render("body.txt")?,
            html: render("body.html")?,
            attachments,
            message_id: None,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use include_dir::{DirEntry, File};
    use serde_json::json;

    use super::*;

    /// A context with every key of every embedded template.
    pub(crate) fn sample_context() -> serde_json::Value {
        json!({
            "org_name": "Accredit — Python Certification Foundation",
            "buyer_name": "Ada Lovelace",
            "invoice_number": "INV-2025-000042",
            "product_name": "PCEP – Certified Entry-Level Python Programmer",
            "total": "USD 59.00",
            "issued_on": "2025-06-01",
            "due_on": "2025-07-01",
            "payment_instructions": "Bank transfer to IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX\nReference: INV-2025-000042",
            "invoice_url": "https://billing.accredit.example/invoices/INV-2025-000042",
            "amount_paid": "USD 59.00",
            "paid_on": "2025-06-03",
            "payment_method": "Visa ending 4242",
            "starts_on": "2025-06-03",
            "expires_on": "2026-06-02",
            "licence_id": "LIC-7Q4M-2KX9",
            "candidate_name": "Ada Lovelace",
            "exam_code": "PCEP",
            "exam_name": "Certified Entry-Level Python Programmer",
            "voucher_code": "7K3M-9Q2X-4RTB-8WZC",
            "voucher_expires_on": "2026-06-03",
            "credential_code": "PCEP",
            "credential_name": "Certified Entry-Level Python Programmer",
            "certificate_number": "PCEP-2025-7K3M9Q2X",
            "verification_url": "https://accredit.example/v1/verify/PCEP-2025-7K3M9Q2X",
            "payment_amount": "US$59.00",
            "applied_amount": "US$0.00",
            "credit_amount": "US$59.00",
            "credit_reason": "the invoice was already paid",
            "invoice_status": "paid",
            "accreditation_name": "Authorized Trainer",
            "accreditation_number": "AT-2025-7K3M9Q2X",
            "status": "active",
            "payment_reference": "pi_3Q0abc",
            "credit_id": "0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8091",
            "recipient_name": "Ada Lovelace",
            "item": "Base Text + Syllabus course licence",
            "reference": "LIC-7Q4M-2KX9",
            "anchor_date": "2026-06-02",
            "days_until": 30,
        })
    }

    fn templates() -> EmailTemplates {
        EmailTemplates::new().expect("embedded templates compile")
    }

    #[test]
    fn the_two_billing_templates_are_embedded() {
        let names = templates().names();

        assert!(names.contains(&"invoice_issued".to_owned()), "{names:?}");
        assert!(names.contains(&"licence_active".to_owned()), "{names:?}");
    }

    #[test]
    fn every_embedded_template_renders_with_a_sample_context() {
        let templates = templates();
        let context = sample_context();

        for name in templates.names() {
            let email = templates
                .render(&name, "ada@example.org", &context, Vec::new())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));

            assert!(!email.subject.is_empty(), "{name}");
            assert!(!email.subject.contains('\n'), "{name}");
            assert_eq!(email.subject, email.subject.trim(), "{name}");
            assert!(email.text.contains("Ada Lovelace"), "{name}");
            assert!(email.html.contains("Ada Lovelace"), "{name}");
            if name != "certificate_awarded" && !name.starts_with("reminder_") {
                // Every mail about a payment names its invoice (reminders name
                // their subject in `reference`).
                assert!(email.text.contains("INV-2025-000042"), "{name}");
                assert!(email.html.contains("INV-2025-000042"), "{name}");
            }
            assert!(!email.text.contains("{{"), "{name}: unrendered tag");
            assert!(!email.html.contains("{{"), "{name}: unrendered tag");
        }
    }

    #[test]
    fn invoice_issued_states_the_key_facts_and_the_attachment() {
        let email = templates()
            .render(
                "invoice_issued",
                "ada@example.org",
                &sample_context(),
                Vec::new(),
            )
            .unwrap();

        assert!(
            email.subject.contains("INV-2025-000042"),
            "{}",
            email.subject
        );
        for body in [&email.text, &email.html] {
            for fact in ["USD 59.00", "2025-06-01", "2025-07-01", "BIC COBADEFFXXX"] {
                assert!(body.contains(fact), "missing {fact}");
            }
            assert!(body.contains("PDF"), "must mention the attached PDF");
        }
        // Multi-line instructions keep their lines in HTML.
        assert!(email.html.contains("0130 00<br>"), "{}", email.html);
        // minijinja escapes `/` as `&#x2f;`, which HTML decodes in attributes.
        assert!(email
            .html
            .replace("&#x2f;", "/")
            .contains(r#"href="https://billing.accredit.example/invoices/INV-2025-000042""#));
    }

    #[test]
    fn licence_active_is_a_receipt_with_the_licence_facts() {
        let email = templates()
            .render(
                "licence_active",
                "ada@example.org",
                &sample_context(),
                Vec::new(),
            )
            .unwrap();

        assert!(email.subject.contains("Receipt"), "{}", email.subject);
        for body in [&email.text, &email.html] {
            for fact in [
                "USD 59.00",
                "2025-06-03",
                "Visa ending 4242",
                "2026-06-02",
                "LIC-7Q4M-2KX9",
            ] {
                assert!(body.contains(fact), "missing {fact}");
            }
        }
    }

    #[test]
    fn org_name_defaults_when_absent() {
        let mut context = sample_context();
        context.as_object_mut().unwrap().remove("org_name");

        let email = templates()
            .render("licence_active", "ada@example.org", &context, Vec::new())
            .unwrap();

        assert!(email
            .text
            .contains("Accredit — Python Certification Foundation"));
        assert!(email
            .html
            .contains("Accredit — Python Certification Foundation"));
    }

    #[test]
    fn html_escapes_a_script_tag_in_a_name_while_text_keeps_it_raw() {
        let mut context = sample_context();
        context["buyer_name"] = json!("<script>alert(1)</script> & Co");

        let email = templates()
            .render("invoice_issued", "ada@example.org", &context, Vec::new())
            .unwrap();

        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email
            .html
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co"));
        assert!(email.text.contains("<script>alert(1)</script> & Co"));
    }

    #[test]
    fn a_missing_key_is_an_error_not_a_blank() {
        let mut context = sample_context();
        context.as_object_mut().unwrap().remove("total");

        let result = templates().render("invoice_issued", "ada@example.org", &context, Vec::new());

        assert!(matches!(result, Err(MailError::Render(_))), "{result:?}");
    }

    #[test]
    fn a_context_that_is_not_an_object_is_rejected() {
        let result = templates().render("invoice_issued", "a@example.org", &json!([1]), Vec::new());

        assert!(matches!(result, Err(MailError::Render(_))), "{result:?}");
    }

    #[test]
    fn an_unknown_template_is_an_error() {
        let result = templates().render(
            "no_such_mail",
            "a@example.org",
            &sample_context(),
            Vec::new(),
        );

        assert!(
            matches!(&result, Err(MailError::UnknownTemplate(n)) if n == "no_such_mail"),
            "{result:?}"
        );
    }

    #[test]
    fn the_subject_is_collapsed_to_one_line() {
        let mut context = sample_context();
        context["invoice_number"] = json!("  INV-1\r\nBcc: victim@example.org  ");

        let email = templates()
            .render("invoice_issued", "ada@example.org", &context, Vec::new())
            .unwrap();

        assert!(email.subject.contains("INV-1 Bcc: victim@example.org"));
        assert!(!email.subject.contains(['\r', '\n']));
    }

    #[test]
    fn attachments_pass_through() {
        let attachment = Attachment {
            filename: "INV-2025-000042.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            bytes: b"%PDF-1.7".to_vec(),
        };

        let email = templates()
            .render(
                "invoice_issued",
                "ada@example.org",
                &sample_context(),
                vec![attachment.clone()],
            )
            .unwrap();

        assert_eq!(email.attachments, vec![attachment]);
        assert_eq!(email.to, "ada@example.org");
    }

    static MISSING_HTML: Dir<'static> = Dir::new(
        "",
        &[DirEntry::Dir(Dir::new(
            "broken",
            &[
                DirEntry::File(File::new("broken/sample.json", b"{}")),
                DirEntry::File(File::new("broken/subject.txt", b"Hi")),
                DirEntry::File(File::new("broken/body.txt", b"Hello")),
            ],
        ))],
    );

    static NO_SAMPLE: Dir<'static> = Dir::new(
        "",
        &[DirEntry::Dir(Dir::new(
            "broken",
            &[
                DirEntry::File(File::new("broken/subject.txt", b"Hi")),
                DirEntry::File(File::new("broken/body.txt", b"Hello")),
                DirEntry::File(File::new("broken/body.html", b"<p>Hello</p>")),
            ],
        ))],
    );

    #[test]
    fn a_template_directory_without_a_sample_context_is_rejected() {
        let result = EmailTemplates::from_dir(&NO_SAMPLE);

        assert!(
            matches!(&result, Err(MailError::InvalidTemplate { name, reason })
                if name == "broken" && reason.contains("sample.json")),
            "{result:?}"
        );
    }

    #[test]
    fn every_template_renders_with_its_own_sample_inside_the_shared_layout() {
        let templates = templates();
        for name in templates.names() {
            let sample = templates.sample(&name).expect("sample").clone();
            let email = templates
                .render(&name, "ada@example.org", &sample, Vec::new())
                .unwrap_or_else(|e| panic!("{name}: sample.json lacks a key: {e:?}"));
            let org = "Accredit — Python Certification Foundation";
            // The layout's frame: the organisation above and below, a table layout.
            assert_eq!(email.html.matches(org).count(), 2, "{name}");
            assert!(
                email.html.starts_with("<!DOCTYPE html>")
                    && email.html.contains("role=\"presentation\""),
                "{name}"
            );
            assert!(
                email.html.contains("<title>") && !email.html.contains("<title></title>"),
                "{name}"
            );
            assert!(email.text.trim_end().ends_with(org), "{name}");
            assert!(
                !email.text.starts_with('\n'),
                "{name}: {:?}",
                &email.text[..20]
            );
            assert!(
                !email.text.contains("\n\n\n"),
                "{name}: blank lines doubled"
            );
        }
    }

    static UNPARSEABLE: Dir<'static> = Dir::new(
        "",
        &[DirEntry::Dir(Dir::new(
            "broken",
            &[
                DirEntry::File(File::new("broken/sample.json", b"{}")),
                DirEntry::File(File::new("broken/subject.txt", b"Hi {{ name")),
                DirEntry::File(File::new("broken/body.txt", b"Hello")),
                DirEntry::File(File::new("broken/body.html", b"<p>Hello</p>")),
            ],
        ))],
    );

    #[test]
    fn a_template_directory_without_all_three_files_is_rejected() {
        let result = EmailTemplates::from_dir(&MISSING_HTML);

        assert!(
            matches!(&result, Err(MailError::InvalidTemplate { name, reason })
                if name == "broken" && reason.contains("body.html")),
            "{result:?}"
        );
    }

    #[test]
    fn a_template_that_does_not_parse_is_rejected() {
        let result = EmailTemplates::from_dir(&UNPARSEABLE);

        assert!(matches!(result, Err(MailError::Render(_))), "{result:?}");
    }
}
