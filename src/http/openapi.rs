//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations. `openapi/openapi.json` in the repository is this document, checked
//! for drift by a test; regenerate it with `accredit openapi > openapi/openapi.json`.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

/// Document metadata and the bearer security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Accredit API",
        description = "Licensing and commerce back office of a certification body: course-content licences, invoices, payments, ledger. Errors are RFC 9457 problem+json. Money is {amount_minor, currency}.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "OAuth 2.0 client credentials and JWKs"),
        (name = "providers", description = "Authorized Trainers and Education Centers"),
        (name = "catalogue", description = "Products and versioned prices"),
        (name = "licences", description = "Yearly course-content licences"),
        (name = "invoices", description = "Invoices, PDFs and payments"),
        (name = "ledger", description = "Double-entry ledger reports"),
        (name = "candidates", description = "Test-takers, contributions, equivalent experience"),
        (name = "exams", description = "Exam catalogue, orders, vouchers, attempts, split policies, payouts"),
        (name = "certifications", description = "Certifications, certificates and public verification"),
        (name = "webhooks", description = "Payment processor events"),
        (name = "ops", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Builds the document by registering the routes on a throwaway app.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::routes)
        .split_for_parts();
    api
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
