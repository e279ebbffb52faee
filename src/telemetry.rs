//! Structured logging with `tracing`. Every request runs in a span carrying its
//! `request_id` (tracing-actix-web), so every line logged during a request has it.
//! Format: JSON when `ACCREDIT_LOG_FORMAT=json`, human-readable otherwise; level from
//! `RUST_LOG` (default `info`). Secrets, card data and mail bodies are never logged.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls are no-ops (tests spawn many apps).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("ACCREDIT_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        fmt()
            .with_env_filter(filter)
            .json()
            .with_current_span(true)
            .try_init()
    } else {
        fmt().with_env_filter(filter).try_init()
    };
    // Already installed (e.g. a second app in the same test process): keep the first.
    let _ = result;
}
