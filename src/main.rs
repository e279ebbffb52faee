//! The `accredit` command: `serve`, `migrate`, `clients create`, `openapi`,
//! `accreditations sweep`, `reminders run`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use figment::providers::Serialized;
use figment::Figment;

use accredit::config::Settings;
use accredit::db::{Backend, DbConn};
use accredit::domain::clock::{Clock, SystemClock};
use accredit::domain::role::Role;
use accredit::startup::Application;

mod bench_cli;
mod reminders_cli;

/// Licensing and commerce back office of a certification body.
#[derive(Parser)]
#[command(name = "accredit", version)]
struct Cli {
    /// Data directory (SQLite file, signing key, mail). Default `./data`.
    #[arg(long, global = true, env = "ACCREDIT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Optional TOML configuration file.
    #[arg(long, global = true, env = "ACCREDIT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrations are applied first).
    Serve {
        /// Listen address, e.g. 0.0.0.0:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Also run the reminder sweep every `[scheduler] interval_seconds`
        /// (several instances may all do so: each reminder is still sent once).
        #[arg(long)]
        scheduler: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API clients.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    #[command(hide = true, subcommand)]
    Bench(bench_cli::BenchCommand),
    /// Accreditation lifecycles.
    Accreditations {
        #[command(subcommand)]
        command: AccreditationsCommand,
    },
    /// Reminder and dunning emails (for cron).
    Reminders {
        #[command(subcommand)]
        command: RemindersCommand,
    },
}

#[derive(Subcommand)]
enum RemindersCommand {
    /// Apply the time-based state changes, then send every due reminder once.
    /// Progress bar on a terminal; a JSON summary (planned, sent, skipped, failed
    /// per kind) otherwise.
    Run {
        /// Sweep as of this date (YYYY-MM-DD); default today (UTC).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// List what would be sent and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AccreditationsCommand {
    /// Apply the time-driven transitions (renewal due, lapse, AEC non-compliance
    /// deadline) and re-check trainers' standing; idempotent. Prints the report.
    Sweep {
        /// Sweep as of this date (YYYY-MM-DD); default today (UTC).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create client credentials; prints {"client_id","client_secret"} once.
    Create {
        /// admin | finance | provider | testing_vendor | scheduler | metrics
        #[arg(long)]
        role: Role,
        /// Required for --role provider.
        #[arg(long)]
        provider_id: Option<accredit::domain::ids::ProviderId>,
        /// Required for --role testing_vendor.
        #[arg(long)]
        vendor_id: Option<accredit::domain::ids::VendorId>,
        /// A label for the credentials.
        #[arg(long)]
        name: String,
    },
}

fn settings(cli: &Cli, bind: Option<&String>) -> anyhow::Result<Settings> {
    let mut overrides = Figment::new();
    if let Some(d) = &cli.data_dir {
        overrides = overrides.merge(Serialized::default("data_dir", d));
    }
    if let Some(b) = bind {
        overrides = overrides.merge(Serialized::default("bind", b));
    }
    let loaded = Settings::load_from(cli.config.as_deref(), overrides, std::env::vars())?;
    if !loaded.ignored_env.is_empty() {
        let names = loaded.ignored_env.join(", ");
        // `serve` logs through tracing; the one-shot commands keep stdout for their
        // output and have no subscriber, so they say it on stderr.
        if matches!(cli.command, Command::Serve { .. }) {
            tracing::warn!(ignored = %names, "ignoring environment variables that name no setting");
        } else {
            eprintln!("warning: ignoring environment variables that name no setting: {names}");
        }
    }
    Ok(loaded.settings)
}

/// Caps glibc's malloc arenas at the number of CPUs (at least 2) unless
/// `MALLOC_ARENA_MAX` is set. glibc gives threads that contend on malloc up to
/// 8 arenas per CPU and keeps what each arena once held; the server's blocking
/// pool runs database work on dozens of threads, so after a burst of load the
/// process kept ~2× the memory it needed (issue 7: 120 MB after a c=32 purchase
/// run and 132 MB during the SQLite trial balance, 63 / 66 MB with 2 arenas).
/// Must run before the runtime starts its threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let arenas = libc::c_int::try_from(cpus.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any
    // positive count and affects arenas created from now on.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Bench(cmd) => bench_cli::run(cmd),
        Command::Openapi => {
            print!("{}", accredit::http::openapi::document_json());
            Ok(())
        }
        Command::Serve { bind, scheduler } => {
            accredit::telemetry::init();
            let settings = settings(&cli, bind.as_ref())?;
            let app = Application::build(settings.clone(), Arc::new(SystemClock))?;
            if *scheduler {
                reminders_cli::spawn_scheduler(settings.clone())?;
            }
            tracing::info!(bind = %settings.bind, database = ?Backend::from_url(&settings.database_url()).map(|b| b.0).ok(), "accredit listening");
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Accreditations {
            command: AccreditationsCommand::Sweep { as_of },
        } => {
            let settings = settings(&cli, None)?;
            std::fs::create_dir_all(&settings.data_dir)?;
            let pool = accredit::db::connect_and_migrate(&settings.database_url(), 1)?;
            let mut conn = pool.get()?;
            let conn: &mut DbConn = &mut conn;
            let now = SystemClock.now();
            let as_of = as_of.unwrap_or(now.date_naive());
            let report = accredit::db::write_transaction(conn, |c| {
                accredit::services::accreditation::sweep::run(c, &settings, as_of, now)
            })
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("accreditation sweep")?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Reminders {
            command: RemindersCommand::Run { as_of, dry_run },
        } => {
            let settings = settings(&cli, None)?;
            std::fs::create_dir_all(&settings.data_dir)?;
            reminders_cli::run(&settings, *as_of, *dry_run)
        }
        Command::Migrate => {
            let settings = settings(&cli, None)?;
            std::fs::create_dir_all(&settings.data_dir)?;
            accredit::db::connect_and_migrate(&settings.database_url(), 1).context("migrating")?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Clients {
            command:
                ClientsCommand::Create {
                    role,
                    provider_id,
                    vendor_id,
                    name,
                },
        } => {
            let settings = settings(&cli, None)?;
            std::fs::create_dir_all(&settings.data_dir)?;
            let pool = accredit::db::connect_and_migrate(&settings.database_url(), 1)?;
            let mut conn = pool.get()?;
            let conn: &mut DbConn = &mut conn;
            use accredit::services::parties::clients::ClientOwner;
            let owner = match (provider_id, vendor_id) {
                (Some(p), None) => ClientOwner::Provider(*p),
                (None, Some(v)) => ClientOwner::Vendor(*v),
                (None, None) => ClientOwner::Staff,
                (Some(_), Some(_)) => anyhow::bail!("give --provider-id or --vendor-id, not both"),
            };
            let creds = accredit::services::parties::clients::create(
                conn,
                *role,
                owner,
                name,
                SystemClock.now(),
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("{}", serde_json::to_string(&creds)?);
            Ok(())
        }
    }
}
