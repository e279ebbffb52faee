//! Building and running the application: the one `Application::build` used by
//! `main` and by the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_redoc::{Redoc, Servable};

use crate::auth::SigningKeys;
use crate::config::Settings;
use crate::db::connect_and_migrate;
use crate::domain::clock::Clock;
use crate::http::openapi::ApiDoc;
use crate::http::problem::{form_error, json_error, path_error, query_error, ApiError};
use crate::integrations::mail::{EmailTemplates, Mailer};
use crate::integrations::stripe::StripeClient;
use crate::jobs::outbox::OutboxWorker;
use crate::services::AppContext;

/// Maximum JSON body size (1 MiB); larger bodies get 413 problem+json.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: Server,
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
        let templates = Arc::new(EmailTemplates::new()?);
        let worker = OutboxWorker::new(ctx.clone(), mailer, templates);
        let port = listener.local_addr()?.port();
        let server = server(ctx.clone(), listener)?;
        Ok(Application {
            port,
            server,
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

    /// Serves until stopped; runs the outbox worker too if configured.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.ctx.settings.outbox.run_worker {
            let interval = Duration::from_millis(self.ctx.settings.outbox.poll_interval_ms);
            tokio::spawn(self.worker.run_forever(interval));
        }
        self.server.await
    }
}

/// Builds the shared context: pool (migrated), signing keys, Stripe client.
pub fn context(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppContext> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let pool = connect_and_migrate(&settings.database_url(), settings.database_pool_size)?;
    let keys = SigningKeys::load_or_generate(
        &settings.jwt_key_path(),
        &settings.jwt_issuer,
        &settings.jwt_audience,
    )?;
    let stripe = match &settings.stripe_secret_key {
        Some(key) => Some(StripeClient::new(
            key.expose_secret(),
            settings.stripe_api_base.as_deref(),
        )?),
        None => None,
    };
    let per_minute = std::num::NonZeroU32::new(settings.public_rate_limit_per_minute.max(1))
        .unwrap_or(std::num::NonZeroU32::MIN);
    Ok(AppContext {
        pool,
        clock,
        settings: Arc::new(settings),
        stripe,
        keys: Arc::new(keys),
        public_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
            per_minute,
        ))),
    })
}

fn server(ctx: AppContext, listener: TcpListener) -> anyhow::Result<Server> {
    let metrics = PrometheusMetricsBuilder::new("accredit")
        .endpoint("/metrics")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let data = web::Data::new(ctx);
    let server = HttpServer::new(move || {
        let (app, api) = App::new()
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
            .app_data(data.clone())
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
        let json = api.clone();
        app.service(Redoc::with_url("/docs", api))
            .route(
                "/openapi.json",
                web::get().to(move || {
                    let json = json.clone();
                    async move { actix_web::HttpResponse::Ok().json(json) }
                }),
            )
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::not_found("route"))
            }))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
