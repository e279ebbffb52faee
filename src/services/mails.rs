//! The emails use cases send, one Rust type per kind of mail (issue 11,
//! "Delivery"; crates.io's `BackgroundJob` is the model): a use case builds a
//! typed value in its transaction and hands it to [`outbox::enqueue`]; the worker
//! decodes the row back into the same type ([`decode`]) and renders the template
//! the type names with the value's fields as the context. A field a template uses
//! but the type lacks is a compile-time absence, not a blank in a sent mail; a
//! row whose payload does not fit its type fails loudly.
//!
//! Each type's template lives in `email-templates/<template>/`, and its
//! `sample.json` must deserialize into the type (a test checks every one), so the
//! preview an admin sees is built from the same fields as a real mail.
//!
//! Amounts are preformatted (`US$1,300.00`, by `Money`'s `Display`) and dates are
//! ISO 8601 strings, so a template prints them as they are.

use serde::{Deserialize, Serialize};

use crate::services::outbox::{self, AttachmentRef, OutboxJob};

/// A mail: an [`OutboxJob`] rendered with the template [`Mail::TEMPLATE`].
pub trait Mail: OutboxJob {
    /// The directory under `email-templates/`.
    const TEMPLATE: &'static str;
}

/// A decoded mail job, ready to render: what the worker and the admin listing read.
#[derive(Debug, Clone, PartialEq)]
pub struct MailParts {
    /// Template name.
    pub template: &'static str,
    /// Recipient.
    pub to: String,
    /// The template context: every field of the typed mail.
    pub context: serde_json::Value,
    /// Attachments to resolve at send time.
    pub attachments: Vec<AttachmentRef>,
}

/// Declares the mail types: each is a struct with `to`, `attachments` and its own
/// fields, an [`OutboxJob`] of kind `mail:<template>`, and a [`Mail`]; [`decode`]
/// and [`TEMPLATES`] list them all.
macro_rules! mails {
    ($(
        $(#[$meta:meta])*
        $name:ident => $template:literal {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[serde(deny_unknown_fields)]
            pub struct $name {
                /// Recipient mailbox (`addr` or `Name <addr>`).
                pub to: String,
                /// Files attached when the mail is sent (resolved then).
                #[serde(default)]
                pub attachments: Vec<AttachmentRef>,
                /// The seller's legal name, printed in the layout.
                pub org_name: String,
                $( $(#[$fmeta])* pub $field: $ty, )*
            }

            impl OutboxJob for $name {
                const KIND: &'static str = concat!("mail:", $template);
            }

            impl Mail for $name {
                const TEMPLATE: &'static str = $template;
            }
        )*

        /// The template of every mail type, in declaration order.
        pub const TEMPLATES: &[&str] = &[$($template),*];

        /// The outbox kind of every mail type, in declaration order.
        pub const KINDS: &[&str] = &[$(<$name as OutboxJob>::KIND),*];

        /// Decodes an outbox row of `kind` holding a mail: `None` when `kind` is no
        /// mail kind, `Some(Err)` when the payload does not fit the type.
        pub fn decode(kind: &str, payload: &str) -> Option<Result<MailParts, serde_json::Error>> {
            match kind {
                $( <$name as OutboxJob>::KIND => Some(parts::<$name>(payload)), )*
                _ => None,
            }
        }

        /// Deserializes `sample` into the mail type of `template` and back into a
        /// context (a test checks every template's `sample.json` this way); a
        /// reminder template's sample goes through [`ReminderMail`] with the
        /// template's name. `None` for a template no mail type renders.
        pub fn typed_sample(
            template: &str,
            sample: &serde_json::Value,
        ) -> Option<Result<serde_json::Value, serde_json::Error>> {
            if REMINDER_TEMPLATES.contains(&template) {
                let mut sample = sample.clone();
                sample["template"] = serde_json::Value::from(template);
                return Some(
                    serde_json::from_value::<ReminderMail>(sample).and_then(serde_json::to_value),
                );
            }
            match template {
                $( $template => Some(
                    serde_json::from_value::<$name>(sample.clone()).and_then(serde_json::to_value),
                ), )*
                _ => None,
            }
        }
    };
}

fn parts<M: Mail + Serialize + for<'de> Deserialize<'de>>(
    payload: &str,
) -> Result<MailParts, serde_json::Error> {
    let mail: M = serde_json::from_str(payload)?;
    let context = serde_json::to_value(&mail)?;
    let to = context["to"].as_str().unwrap_or_default().to_owned();
    let attachments = serde_json::from_value(context["attachments"].clone())?;
    Ok(MailParts {
        template: M::TEMPLATE,
        to,
        context,
        attachments,
    })
}

mails! {
    /// "Your invoice": sent once the invoice's PDF is archived, with the PDF
    /// attached (carried by `outbox::InvoiceIssuedJob`).
    InvoiceIssuedMail => "invoice_issued" {
        /// The buyer's name on the invoice.
        buyer_name: String,
        /// Invoice number, e.g. `ACC-2026-000042`.
        invoice_number: String,
        /// The products invoiced, comma-separated.
        product_name: String,
        /// Total, formatted.
        total: String,
        /// Issue date.
        issued_on: String,
        /// Due date.
        due_on: String,
        /// How to pay (bank details and reference), one item per line.
        payment_instructions: String,
        /// The signed hosted invoice page.
        invoice_url: String,
    }

    /// Receipt for a course-content licence: the licence is active.
    LicenceActiveMail => "licence_active" {
        /// The provider's legal name.
        buyer_name: String,
        /// The licence product's name.
        product_name: String,
        /// The paid invoice's number.
        invoice_number: String,
        /// Amount paid, formatted.
        amount_paid: String,
        /// Payment date.
        paid_on: String,
        /// `Bank transfer` or `Card`.
        payment_method: String,
        /// First day of the licence term.
        starts_on: String,
        /// Last day of the licence term.
        expires_on: String,
        /// The licence id.
        licence_id: String,
    }

    /// An exam voucher, after the exam fee is paid.
    VoucherIssuedMail => "voucher_issued" {
        /// The candidate's name.
        candidate_name: String,
        /// Exam code, e.g. `PCEP`.
        exam_code: String,
        /// Exam name.
        exam_name: String,
        /// The voucher code (single use).
        voucher_code: String,
        /// Last day the voucher can be redeemed.
        voucher_expires_on: String,
        /// The paid invoice's number.
        invoice_number: String,
    }

    /// A certification awarded, with its certificate PDF.
    CertificateAwardedMail => "certificate_awarded" {
        /// The holder's name.
        candidate_name: String,
        /// Credential code, e.g. `PCAP`.
        credential_code: String,
        /// Credential name.
        credential_name: String,
        /// Certificate number, e.g. `PCAP-2026-7K3M9Q2X`.
        certificate_number: String,
        /// Award date.
        issued_on: String,
        /// Expiry date, or `does not expire`.
        expires_on: String,
        /// Public verification URL (the certificate's QR code).
        verification_url: String,
    }

    /// An accreditation in force after its fee is paid, with its certificate PDF.
    AccreditationActiveMail => "accreditation_active" {
        /// The provider's legal name.
        buyer_name: String,
        /// The paid invoice's number.
        invoice_number: String,
        /// `Authorized Trainer` or `Authorized Education Center`.
        accreditation_name: String,
        /// Accreditation number, e.g. `AT-2026-7K3M9Q2X`.
        accreditation_number: String,
        /// The accreditation's status after the payment.
        status: String,
        /// Expiry date (empty when none).
        expires_on: String,
        /// Public verification URL.
        verification_url: String,
    }

    /// To finance: a payment was held as customer credit.
    CustomerCreditReceivedMail => "customer_credit_received" {
        /// The buyer on the invoice.
        buyer_name: String,
        /// The invoice the payment named.
        invoice_number: String,
        /// The invoice's status after the payment.
        invoice_status: String,
        /// The payment, formatted.
        payment_amount: String,
        /// What the invoice took of it, formatted.
        applied_amount: String,
        /// What is held as credit, formatted.
        credit_amount: String,
        /// Why it is held, in words.
        credit_reason: String,
        /// `Bank transfer` or `Card (Stripe)`.
        payment_method: String,
        /// The payment's reference.
        payment_reference: String,
        /// Date received.
        paid_on: String,
        /// The customer credit's id.
        credit_id: String,
    }
}

/// After an invoice is issued: render and archive its PDF, then send the
/// "invoice issued" mail with it attached. The sale commits without rendering;
/// this job runs after the commit, and the mail never goes out before the PDF is
/// archived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIssuedJob {
    /// The invoice whose PDF to archive.
    pub invoice_id: crate::domain::ids::InvoiceId,
    /// The mail to send once it is archived (attaches the PDF).
    pub email: InvoiceIssuedMail,
}

impl OutboxJob for InvoiceIssuedJob {
    const KIND: &'static str = "invoice_issued";
}

/// Decodes any outbox row that sends a mail — a mail type's, a
/// [`ReminderMail`], or the mail inside an [`InvoiceIssuedJob`] — `None` for
/// other kinds. A reminder naming a template that is not a reminder template is
/// an error.
pub fn decode_any(kind: &str, payload: &str) -> Option<Result<MailParts, serde_json::Error>> {
    if kind == ReminderMail::KIND {
        return Some(reminder_parts(payload));
    }
    if kind == InvoiceIssuedJob::KIND {
        return Some(
            serde_json::from_str::<InvoiceIssuedJob>(payload)
                .and_then(|job| serde_json::to_string(&job.email))
                .and_then(|email| parts::<InvoiceIssuedMail>(&email)),
        );
    }
    decode(kind, payload)
}

fn reminder_parts(payload: &str) -> Result<MailParts, serde_json::Error> {
    use serde::de::Error;
    let mail: ReminderMail = serde_json::from_str(payload)?;
    let template = REMINDER_TEMPLATES
        .iter()
        .find(|t| **t == mail.template)
        .ok_or_else(|| {
            serde_json::Error::custom(format!("`{}` is no reminder template", mail.template))
        })?;
    let context = serde_json::to_value(&mail)?;
    Ok(MailParts {
        template,
        to: mail.to,
        context,
        attachments: mail.attachments,
    })
}

/// The reminder templates (`email-templates/reminder_*`), those a
/// [`ReminderMail`] may name.
pub const REMINDER_TEMPLATES: &[&str] = &[
    "reminder_accreditation_expiry",
    "reminder_aec_non_compliance",
    "reminder_certification_expiry",
    "reminder_invoice_overdue",
    "reminder_licence_expiry",
    "reminder_licence_grace",
    "reminder_material_reaccreditation",
    "reminder_voucher_expiry",
];

/// Every outbox kind that sends a mail.
pub fn kinds() -> Vec<&'static str> {
    let mut kinds = vec![InvoiceIssuedJob::KIND, ReminderMail::KIND];
    kinds.extend(KINDS);
    kinds
}

/// A renewal reminder or dunning notice (`services::reminders`): one type for
/// every reminder, because the template is data — the step of an admin-edited
/// reminder policy names it (a `reminder_*` template; the policy is validated
/// against the templates when saved) — and every reminder template takes the
/// same fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderMail {
    /// The template the policy step names, e.g. `reminder_licence_expiry`.
    pub template: String,
    /// Recipient mailbox.
    pub to: String,
    /// Files attached (none today; kept for the shape every mail has).
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// The seller's legal name, printed in the layout.
    pub org_name: String,
    /// Whom the mail addresses (the provider or candidate).
    pub recipient_name: String,
    /// What it is about, e.g. the licence product's name.
    pub item: String,
    /// The subject's reference (licence id, invoice number, voucher code…).
    pub reference: String,
    /// The date the step counts from (expiry, deadline, due date).
    pub anchor_date: String,
    /// Days from the reminder's date to the anchor (negative once past it).
    pub days_until: i64,
}

impl OutboxJob for ReminderMail {
    const KIND: &'static str = "mail:reminder";
}

/// Whether `template` is a reminder template ([`ReminderMail`] renders it).
pub fn is_reminder_template(template: &str) -> bool {
    template.starts_with("reminder_")
}

/// Queues `mail` for delivery after the commit (see [`outbox::enqueue`]).
pub fn send<M: Mail>(
    conn: &mut crate::db::DbConn,
    mail: &M,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::domain::ids::OutboxId, crate::services::ServiceError> {
    outbox::enqueue(conn, mail, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::mail::EmailTemplates;

    #[test]
    fn every_template_has_one_mail_type_and_its_sample_fits_the_type() {
        let templates = EmailTemplates::new().unwrap();
        let mut typed: Vec<String> = TEMPLATES
            .iter()
            .chain(REMINDER_TEMPLATES)
            .map(|t| (*t).to_owned())
            .collect();
        typed.sort();
        assert_eq!(
            templates.names(),
            typed,
            "a template without a mail type, or the reverse"
        );
        for name in templates.names() {
            let sample = templates.sample(&name).unwrap();
            let context = typed_sample(&name, sample)
                .expect("a mail type")
                .unwrap_or_else(|e| panic!("{name}/sample.json does not fit its type: {e}"));
            templates
                .render(&name, "ada@example.org", &context, Vec::new())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
    }

    #[test]
    fn a_stored_mail_decodes_into_its_type_and_a_misfit_is_an_error() {
        let mail = VoucherIssuedMail {
            to: "ada@example.org".into(),
            attachments: vec![],
            org_name: "Foundation".into(),
            candidate_name: "Ada".into(),
            exam_code: "PCEP".into(),
            exam_name: "Entry".into(),
            voucher_code: "7K3M".into(),
            voucher_expires_on: "2027-01-01".into(),
            invoice_number: "ACC-2026-000001".into(),
        };
        let payload = serde_json::to_string(&mail).unwrap();
        let parts = decode(VoucherIssuedMail::KIND, &payload).unwrap().unwrap();
        assert_eq!(parts.template, "voucher_issued");
        assert_eq!(parts.to, "ada@example.org");
        assert_eq!(parts.context["voucher_code"], "7K3M");
        assert!(decode("mail:licence_active", &payload).unwrap().is_err());
        assert!(decode("reminder", &payload).is_none());
        assert_eq!(kinds().len(), TEMPLATES.len() + 2);
        assert!(REMINDER_TEMPLATES.iter().all(|t| is_reminder_template(t)));
    }
}
