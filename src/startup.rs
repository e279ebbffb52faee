//! Building and running the application: the one `Application::build` used by
//! `main` and by the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

use crate::auth::revocation::RevokedClients;
use crate::auth::SigningKeys;
use crate::config::Settings;
use crate::db::connect_and_migrate;
use crate::domain::clock::Clock;
use crate::http::edge::{self, RouteTable};
use crate::http::openapi::ApiDoc;
use crate::http::ops::MetricsRegistry;
use crate::http::problem::{form_error, json_error, path_error, query_error};
use crate::integrations::mail::{EmailTemplates, Mailer};
use crate::integrations::stripe::StripeClient;
use crate::jobs::outbox::OutboxWorker;
use crate::services::parties::clients;
use crate::services::AppContext;
use crate::telemetry::RedactingRootSpan;

/// Maximum JSON body size (1 MiB); larger bodies get 413 problem+json.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<Server>,
    ctx: AppContext,
    worker: OutboxWorker,
}

impl Application {
    /// Connects (and migrates) the database, loads or generates the signing key,
    /// configures Stripe and mail, and binds `settings.bind`.
    pub fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)?;
        Self::build_with_listener(settings, clock, listener)
    }

    /// As [`build`](Self::build) on an existing listener (tests bind port 0).
    pub fn build_with_listener(
        settings: Settings,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let ctx = context(settings, clock)?;
        let mailer = Arc::new(match &ctx.settings.smtp_url {
            Some(url) => Mailer::smtp(url.expose_secret())?,
            None => Mailer::file_system(ctx.settings.mail_dir())?,
        });
        tracing::info!(mail = %mailer.describe(), stripe = ctx.stripe.is_some(), "outgoing channels");
        let worker = OutboxWorker::new(ctx.clone(), mailer, ctx.email_templates.clone());
        let port = listener.local_addr()?.port();
        let metrics = PrometheusMetricsBuilder::new("accredit")
            // Unmatched paths (404s) would put whatever the caller sent — a mistyped
            // voucher code, say — into a label, and grow the label set without bound.
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!(e).context("building the request metrics"))?;
        let registry = MetricsRegistry(metrics.registry.clone());
        let metrics_server = match &ctx.settings.metrics_bind {
            Some(bind) => Some(metrics_server(registry.clone(), bind)?),
            None => None,
        };
        let server = server(ctx.clone(), listener, metrics, registry)?;
        Ok(Application {
            port,
            server,
            metrics_server,
            ctx,
            worker,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared context (tests use it to reach services directly).
    pub fn context(&self) -> AppContext {
        self.ctx.clone()
    }

    /// The outbox worker (tests drain it explicitly).
    pub fn worker(&self) -> OutboxWorker {
        self.worker.clone()
    }

    /// Serves until stopped; runs the outbox worker too if configured, and the
    /// metrics listener when `metrics_bind` is set.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.ctx.settings.outbox.run_worker {
            let interval = Duration::from_millis(self.ctx.settings.outbox.poll_interval_ms);
            tokio::spawn(self.worker.run_forever(interval));
        }
        match self.metrics_server {
            Some(metrics) => futures_util::try_join!(self.server, metrics).map(|_| ()),
            None => self.server.await,
        }
    }
}

/// Builds the shared context: pool (migrated), signing keys, Stripe client.
pub fn context(mut settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppContext> {
    std::fs::create_dir_all(&settings.data_dir)?;
    if settings.hosted_links.secret.is_none() {
        // Resolved once here, so issuing an invoice never reads the key file.
        settings.hosted_links.secret = Some(
            crate::services::billing::hosted_links::load_or_generate_secret(&settings.data_dir)
                .context("the hosted invoice link key")?,
        );
    }
    let pool = connect_and_migrate(&settings.database_url(), settings.database_pool_size)?;
    let keys = SigningKeys::load_or_generate(
        &settings.jwt_key_path(),
        &settings.jwt_issuer,
        &settings.jwt_audience,
    )?
    .with_max_lifetime(settings.jwt_ttl_seconds);
    let revoked = {
        let mut conn = pool.get()?;
        clients::revoked_ids(&mut conn).context("loading the revoked API clients")?
    };
    let stripe = match &settings.stripe_secret_key {
        Some(key) => Some(StripeClient::new(
            key.expose_secret(),
            settings.stripe_api_base.as_deref(),
        )?),
        None => None,
    };
    let per_minute = |n: u32| std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN);
    let revoked_clients = Arc::new(RevokedClients::new(
        revoked,
        Duration::from_secs(settings.revocation_cache_ttl_seconds),
    ));
    let token_client_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
        per_minute(settings.token_rate_limit_per_minute),
    )));
    let token_ip_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
        per_minute(settings.token_ip_rate_limit_per_minute),
    )));
    let public_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
        per_minute(settings.public_rate_limit_per_minute),
    )));
    Ok(AppContext {
        pool,
        clock,
        settings: Arc::new(settings),
        stripe,
        keys: Arc::new(keys),
        public_limiter,
        token_client_limiter,
        token_ip_limiter,
        revoked_clients,
        email_templates: Arc::new(EmailTemplates::new()?),
        group_commit: Arc::new(crate::services::group_commit::GroupCommit::new()),
    })
}

fn server(
    ctx: AppContext,
    listener: TcpListener,
    metrics: actix_web_prom::PrometheusMetrics,
    registry: MetricsRegistry,
) -> anyhow::Result<Server> {
    let data = web::Data::new(ctx);
    let registry = web::Data::new(registry);
    // The document is built once: the edge's route table and `/openapi.json` both
    // read it, and the served bytes are the committed document's.
    let document = crate::http::openapi::document();
    let routes = web::Data::new(RouteTable::from_openapi(&document));
    let openapi_json = web::Bytes::from(serde_json::to_vec(&crate::http::openapi::serialised(
        &document,
    ))?);
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .wrap(from_fn(edge::check_query))
            .wrap(ErrorHandlers::new().default_handler(edge::problem_for_plain_errors))
            .wrap(from_fn(edge::security_headers))
            .wrap(metrics.clone())
            .wrap(TracingLogger::<RedactingRootSpan>::new())
            .app_data(data.clone())
            .app_data(registry.clone())
            .app_data(routes.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(
                web::FormConfig::default()
                    .limit(16 * 1024)
                    .error_handler(form_error),
            )
            .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
            .into_utoipa_app()
            .openapi(<ApiDoc as utoipa::OpenApi>::openapi())
            .configure(crate::http::routes)
            .split_for_parts();
        let openapi_json = openapi_json.clone();
        app.route("/docs", web::get().to(crate::http::ops::docs))
            .route("/metrics", web::get().to(crate::http::ops::metrics))
            .route(
                "/openapi.json",
                web::get().to(move || {
                    let body = openapi_json.clone();
                    async move {
                        actix_web::HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body)
                    }
                }),
            )
            .configure(crate::http::pages::routes)
            .default_service(web::to(edge::not_routed))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// The optional metrics-only listener (`metrics_bind`): `GET /metrics` without a
/// token, for a scraper on a network the API's clients cannot reach.
fn metrics_server(registry: MetricsRegistry, bind: &str) -> anyhow::Result<Server> {
    let registry = web::Data::new(registry);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(edge::security_headers))
            .app_data(registry.clone())
            .route("/metrics", web::get().to(crate::http::ops::metrics_open))
    })
    .workers(1)
    .bind(bind)
    .with_context(|| format!("binding metrics_bind {bind}"))?
    .run();
    Ok(server)
}
