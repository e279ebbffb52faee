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
        (name = "accreditations", description = "AT and AEC accreditation lifecycles, fees, audit trail"),
        (name = "training-materials", description = "Training materials accredited per Python version; the Python end-of-life table"),
        (name = "catalogue", description = "Products and versioned prices"),
        (name = "licences", description = "Yearly course-content licences"),
        (name = "invoices", description = "Invoices, PDFs and payments"),
        (name = "ledger", description = "Double-entry ledger reports"),
        (name = "emails", description = "Outgoing email: delivery state, retries, template previews"),
        (name = "candidates", description = "Test-takers, contributions, equivalent experience"),
        (name = "exams", description = "Exam catalogue, orders, vouchers, attempts, split policies, payouts"),
        (name = "certifications", description = "Certifications, certificates and public verification"),
        (name = "webhooks", description = "Payment processor events"),
        (name = "ops", description = "Health and readiness"),
        (name = "reminders", description = "Reminder policies and reminder runs (the scheduler)"),
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
    with_conventions(api)
}

/// `doc` as served and committed: serialised, with the response links of
/// [`super::openapi_links`] added. They are added to the JSON form because
/// utoipa 5 writes its typed `Link` with snake_case keys (`operation_ref`), not
/// the specification's `operationRef`.
pub fn serialised(doc: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    super::openapi_links::add_links(&mut value);
    value
}

/// `Idempotency-Key` as the extractor accepts it (`super::extract::IdempotencyKey`):
/// 1–255 visible ASCII characters.
const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// Rules every operation follows that the per-handler annotations do not repeat,
/// written into the document so it states them:
/// - `Idempotency-Key` is a required header with its pattern and length;
/// - 414 (query string over the edge's limit) on every operation;
/// - 400 (malformed body or query, unknown query parameter, bad Idempotency-Key:
///   `super::edge` and the extractors) on every operation;
/// - 401 and 403 on every operation with a security requirement;
/// - 404 on every operation with a path parameter (a malformed id is a 404);
/// - 409 (same key still in progress) and 422 (key reused with another request)
///   on every operation taking an `Idempotency-Key`;
/// - 422 on every operation with query parameters (bad limit or cursor);
/// - 413, 415 and 422 on every operation with a JSON body.
///
/// Responses a handler documents itself are kept as they are.
fn with_conventions(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ProblemDetails")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops: [&mut Option<Operation>; 5] = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let mut keyed = false;
            for param in op.parameters.iter_mut().flatten() {
                if matches!(param.parameter_in, ParameterIn::Header)
                    && param.name == "Idempotency-Key"
                {
                    keyed = true;
                    param.required = Required::True;
                    param.description = Some(
                        "Unique key for this request (a UUID is recommended): the same key and request returns the stored response".into(),
                    );
                    param.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(255))
                            .pattern(Some(IDEMPOTENCY_KEY_PATTERN))
                            .into(),
                    );
                }
            }
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let json_body = op
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            let mut wanted: Vec<(&str, &str)> = vec![(
                "400",
                "Malformed request: unparsable body or query, unknown query parameter, or a missing or malformed Idempotency-Key",
            )];
            wanted.push(("414", "Query string longer than the edge accepts"));
            if secured {
                wanted.push(("401", "Missing, invalid, expired or revoked access token"));
                wanted.push(("403", "The caller's role may not use this operation"));
            }
            if path.contains('{') {
                wanted.push(("404", "No such object, or not visible to the caller"));
            }
            if keyed {
                wanted.push(("409", "A request with the same Idempotency-Key is still in progress, or the object's state forbids the change"));
                wanted.push((
                    "422",
                    "Invalid fields, or the Idempotency-Key was used for another request",
                ));
            }
            let queried = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query));
            if queried {
                wanted.push(("422", "Invalid query parameter value (e.g. a limit below 1 or a cursor not of the documented form)"));
            }
            if json_body {
                wanted.push(("413", "Body too large"));
                wanted.push(("415", "Body is not application/json"));
                wanted.push(("422", "Invalid fields"));
            }
            for (status, description) in wanted {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            }
        }
    }
    doc
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&serialised(&document())).unwrap_or_default();
    s.push('\n');
    s
}
