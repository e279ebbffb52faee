//! What a paid invoice delivers. Every invoice records its subject
//! ([`InvoiceSubject`]); when a payment settles it in full, the one payment path
//! ([`payments::apply`]) calls [`Dispatch::fulfil`], which runs exactly the
//! fulfilment that subject names — a licence term is activated, an exam order gets
//! its voucher and fee split. This module sits above billing and the areas that
//! sell things, so billing never imports them: a new kind of thing sold adds a
//! variant to [`InvoiceSubjectKind`] and an arm here.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::DbConn;
use crate::domain::billing::invoice::{InvoiceSubject, InvoiceSubjectKind};
use crate::domain::ids::TrainingMaterialId;
use crate::domain::ids::{AccreditationFeeId, ExamOrderId, InvoiceId, LicenceTermId};

use crate::services::accreditation;
use crate::services::billing::payments::{self, Fulfilment, PaymentInput};
use crate::services::billing::stripe_payments;
use crate::services::exams::orders;
use crate::services::licensing::licences;
use crate::services::ServiceError;

/// The fulfilment of every invoice subject, given to the payment path by the use
/// cases that take payments (manual bank transfers, Stripe webhooks).
#[derive(Clone, Copy)]
pub struct Dispatch<'a> {
    settings: &'a Settings,
}

impl<'a> Dispatch<'a> {
    /// A dispatcher reading prices, terms and splits from `settings`.
    pub fn new(settings: &'a Settings) -> Self {
        Dispatch { settings }
    }
}

impl Fulfilment for Dispatch<'_> {
    fn fulfil(
        &self,
        conn: &mut DbConn,
        subject: &InvoiceSubject,
        invoice_id: InvoiceId,
        payment: &PaymentInput,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        match subject.kind {
            InvoiceSubjectKind::LicenceTerm => licences::fulfil_term(
                conn,
                self.settings,
                LicenceTermId(subject.id),
                invoice_id,
                payment,
                now,
            ),
            InvoiceSubjectKind::ExamOrder => orders::fulfil_order(
                conn,
                self.settings,
                ExamOrderId(subject.id),
                invoice_id,
                payment,
                now,
            ),
            InvoiceSubjectKind::AccreditationFee => accreditation::fees::fulfil_fee(
                conn,
                self.settings,
                AccreditationFeeId(subject.id),
                invoice_id,
                payment,
                now,
            ),
            InvoiceSubjectKind::TrainingMaterialFee => accreditation::materials::fulfil_fee(
                conn,
                TrainingMaterialId(subject.id),
                invoice_id,
                payment,
                now,
            ),
        }
    }
}

/// Records a bank transfer received for an invoice (finance): the use case behind
/// `POST /v1/invoices/{id}/payments`. See [`payments::record_manual`] for the rules
/// and errors; paying the invoice in full fulfils its subject.
pub fn record_manual_payment(
    conn: &mut DbConn,
    settings: &Settings,
    invoice_id: InvoiceId,
    input: payments::NewManualPayment,
    recorded_by: &str,
    now: DateTime<Utc>,
) -> Result<payments::Payment, ServiceError> {
    payments::record_manual(
        conn,
        settings,
        invoice_id,
        input,
        recorded_by,
        &Dispatch::new(settings),
        now,
    )
}

/// Stores and handles one verified Stripe event (the use case behind
/// `POST /v1/webhooks/stripe`); see [`stripe_payments::handle_event`]. A payment it
/// records that settles an invoice fulfils the invoice's subject.
pub fn handle_stripe_event(
    conn: &mut DbConn,
    settings: &Settings,
    event: &crate::integrations::stripe::WebhookEvent,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<stripe_payments::WebhookOutcome, ServiceError> {
    stripe_payments::handle_event(
        conn,
        settings,
        event,
        payload,
        &Dispatch::new(settings),
        now,
    )
}
