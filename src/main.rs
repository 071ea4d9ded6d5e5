//! CLI, logging, terminal setup and restore, and the run.

use clap::Parser;
use color_eyre::eyre::{WrapErr, eyre};
use opsdeck::app::{App, LiveSetup, Member, SwitchRequest, Switcher};
use opsdeck::config::{Cli, Config, ConfigAction, StatusFormat, Sub};
use opsdeck::config_file;
use opsdeck::keymap::Keymap;
use opsdeck::ops::audit::AuditLog;
use opsdeck::sources::demo::{self, DemoConfig};
use opsdeck::state::{Context, State};
use opsdeck::theme::Theme;
use std::sync::Arc;
use tracing_subscriber::prelude::*;

fn init_logging(cfg: &Config) -> color_eyre::Result<()> {
    if let Some(dir) = cfg.log_file.parent() {
        std::fs::create_dir_all(dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&cfg.log_file)
        .wrap_err_with(|| format!("cannot open the log file {}", cfg.log_file.display()))?;
    // Not tui_logger::init_logger: with tracing it only starts a thread that polls every
    // 10 ms (~100 wake-ups a second while idle); the loop's 1 s tick moves the events instead.
    tui_logger::set_default_level(tui_logger::LevelFilter::Info);
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file)),
        )
        .with(tui_logger::TuiTracingSubscriberLayer)
        .try_init()
        .map_err(|e| eyre!("{e}"))?;
    Ok(())
}

/// What a run without the TUI does with what the sources say.
enum Headless {
    /// `opsdeck status`: one report.
    Status { format: StatusFormat, wait: u64 },
    /// `opsdeck gate`: waits for a decision on one rollout.
    Gate {
        target: String,
        wait: std::time::Duration,
        format: StatusFormat,
    },
    /// `opsdeck --once`: one frame as text.
    Once { colour: bool },
}

/// The sources' answers into State until `done` says enough (asked only once every source
/// has answered and a moment more has passed for what follows at once, such as the routes of
/// rollouts just listed) or the deadline. `ask` is what the run asks the sources for.
async fn pump(
    state: &mut State,
    rx: &mut mpsc::Receiver<Update>,
    demand: &tokio::sync::watch::Sender<Demand>,
    deadline: tokio::time::Instant,
    ask: impl Fn(&mut State) -> Demand,
    mut done: impl FnMut(&State) -> bool,
) {
    use opsdeck::state::{Health, SourceId};
    let _ = demand.send(ask(state));
    let answered = |s: &State| {
        [
            SourceId::Apps,
            SourceId::Rollouts,
            SourceId::Mesh,
            SourceId::Alerts,
        ]
        .iter()
        .all(|id| s.source(*id).health != Health::Connecting)
    };
    let mut settled_at: Option<tokio::time::Instant> = None;
    let mut last_tick = tokio::time::Instant::now();
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline || settled_at.is_some_and(|t| now >= t) && done(state) {
            break;
        }
        let wake = match settled_at {
            Some(t) if now < t => t.min(deadline),
            _ => deadline,
        };
        tokio::select! {
            u = rx.recv() => match u {
                Some(u) => {
                    if state.apply(u) {
                        let _ = demand.send(ask(state));
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(wake) => {}
        }
        // The clock goes on as in the TUI (windows of error lines, pauses, ages), a tick a
        // second as the loop's.
        if last_tick.elapsed() >= std::time::Duration::from_secs(1) {
            last_tick = tokio::time::Instant::now();
            state.tick(chrono::Utc::now());
        }
        if settled_at.is_none() && answered(state) {
            settled_at = Some(tokio::time::Instant::now() + std::time::Duration::from_millis(1500));
        }
    }
}

/// Runs `mode` on the State the sources fill; returns the exit status.
async fn headless(
    mut state: State,
    mut rx: mpsc::Receiver<Update>,
    demand: tokio::sync::watch::Sender<Demand>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    mode: Headless,
    view: (&Theme, &Keymap),
) -> i32 {
    use opsdeck::state::{Screen, gate};
    use tokio::time::Instant;
    let started = Instant::now();
    let size = headless_size();
    state.set_size(size.0, size.1);
    // As the cockpit or the dashboard would ask, with the routes always: the verdict rests on them.
    let routes = |s: &mut State| Demand {
        routes: true,
        ..s.demand()
    };
    let code = match &mode {
        Headless::Status { format, wait } => {
            let no_panes = |s: &mut State| Demand {
                cpu: false,
                logs: false,
                ..routes(s)
            };
            let deadline = started + std::time::Duration::from_secs(*wait);
            pump(&mut state, &mut rx, &demand, deadline, no_panes, |_| true).await;
            let text = match format {
                StatusFormat::Json => {
                    let mut t = serde_json::to_string_pretty(&opsdeck::ui::status::json(&state))
                        .unwrap_or_default();
                    t.push('\n');
                    t
                }
                StatusFormat::Table => opsdeck::ui::status::table(&state),
            };
            say(&text);
            opsdeck::ui::status::exit_code(&state)
        }
        Headless::Gate {
            target,
            wait,
            format,
        } => {
            // The cockpit opened on the rollout once it is listed: the same sources, queries
            // and judgement as on screen.
            let cockpit = |s: &mut State| {
                if matches!(s.ui.screen, Screen::Main) {
                    let (ns, name) = gate::parse_target(target);
                    let found = s
                        .rollouts
                        .iter()
                        .filter(|r| r.name == name && ns.is_none_or(|n| r.namespace == n))
                        .map(|r| (r.namespace.clone(), r.name.clone()))
                        .collect::<Vec<_>>();
                    if let [(namespace, name)] = found.as_slice() {
                        s.ui.screen = Screen::Cockpit {
                            namespace: namespace.clone(),
                            name: name.clone(),
                        };
                    }
                }
                routes(s)
            };
            let done = |s: &State| gate::decide(s, target).settled;
            pump(&mut state, &mut rx, &demand, started + *wait, cockpit, done).await;
            let report = gate::decide(&state, target);
            let waited = started.elapsed().as_secs();
            let text = match format {
                StatusFormat::Json => {
                    let v = opsdeck::ui::status::gate_json(&state, &report, waited);
                    let mut t = serde_json::to_string_pretty(&v).unwrap_or_default();
                    t.push('\n');
                    t
                }
                StatusFormat::Table => opsdeck::ui::status::gate_text(&state, &report, waited),
            };
            say(&text);
            report.outcome.exit_code()
        }
        Headless::Once { colour } => {
            let deadline = started + std::time::Duration::from_secs(15);
            pump(
                &mut state,
                &mut rx,
                &demand,
                deadline,
                |s| s.demand(),
                |_| true,
            )
            .await;
            let v = opsdeck::ui::View {
                state: &state,
                theme: view.0,
                keymap: view.1,
            };
            let buf = opsdeck::ui::plain::frame(&v, size.0, size.1);
            say(&opsdeck::ui::plain::buffer_text(&buf, *colour, true));
            0
        }
    };
    for t in tasks {
        t.abort();
    }
    code
}

/// The size a headless frame is drawn at: the terminal's, else `COLUMNS`×`LINES`, else
/// 120×40 (status and gate draw nothing, but the layout decides what is asked for).
fn headless_size() -> (u16, u16) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Ok((w, h)) = crossterm::terminal::size()
        && w > 0
        && h > 0
    {
        return (w, h);
    }
    let env = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .filter(|n| (10..=1000).contains(n))
    };
    (env("COLUMNS").unwrap_or(120), env("LINES").unwrap_or(40))
}

/// What the loop drives: the operator, who we talk to, and the data clock's start.
struct Platform {
    operator: Arc<dyn Operator>,
    context: Context,
    start: chrono::DateTime<chrono::Utc>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    switcher: Option<Switcher>,
}

/// A cluster's State, set up from the flags.
fn new_state(cfg: &Config, context: Context, start: chrono::DateTime<chrono::Utc>) -> State {
    let mut state = State::new(context, start, cfg.log_lines);
    state.theme_names = opsdeck::theme::names();
    state.judge = cfg.judge;
    state.cert_horizon_secs = cfg.cert_horizon_secs;
    state.ui.layout_spec = cfg.layout.clone();
    state.ui.cpu.index = cfg.cpu_window;
    state.ui.routes.index = cfg.route_window;
    for (pane, key) in &cfg.sort {
        state.ui.sort[*pane] = *key;
    }
    state
}

/// The clusters watched beside the first (`--context a,b`, `--fleet`, or the demo's
/// `--platform a,b`), each with its own channel, demand, sources and operator, connected at
/// once. One that cannot be reached is in the fleet all the same, its sources down with why
/// and its actions refused, so the strip says so and nothing else is disturbed.
async fn fleet_members(cfg: &Config, first: &str) -> Vec<Member> {
    if cfg.demo {
        return cfg
            .fleet_platforms
            .iter()
            .map(|p| demo_member(cfg, p))
            .collect();
    }
    let names: Vec<&String> = cfg.fleet.iter().filter(|c| c.as_str() != first).collect();
    futures::future::join_all(names.into_iter().map(|name| live_member(cfg, name))).await
}

/// A cluster's Member around its platform, its demand down to what runs out of focus.
fn member(
    cfg: &Config,
    platform: Platform,
    tx: mpsc::Sender<Update>,
    rx: mpsc::Receiver<Update>,
    demand: tokio::sync::watch::Sender<Demand>,
) -> Member {
    let state = new_state(cfg, platform.context, platform.start);
    demand.send_replace(state.background_demand());
    Member {
        state,
        operator: platform.operator,
        updates_tx: tx,
        updates_rx: rx,
        tasks: platform.tasks,
        switcher: platform.switcher,
        demand,
    }
}

/// One of the demo's platforms as a cluster of the fleet.
fn demo_member(cfg: &Config, p: &'static opsdeck::sources::demo::Platform) -> Member {
    let (tx, rx) = mpsc::channel(1024);
    let (dtx, drx) = tokio::sync::watch::channel(Demand::default());
    member(cfg, demo_platform(cfg, p, tx.clone(), drx), tx, rx, dtx)
}

/// A kubeconfig context as a cluster of the fleet, connected now. One that cannot be reached
/// is a member all the same, its sources down with why and its actions refused.
async fn live_member(cfg: &Config, name: &String) -> Member {
    let setup = live_setup(cfg.clone(), Some(name.to_string()), cfg.namespaces.clone()).await;
    member_from(cfg, name, setup)
}

/// The member of a context from its connection's outcome.
fn member_from(cfg: &Config, name: &String, setup: Result<LiveSetup, String>) -> Member {
    let (tx, rx) = mpsc::channel(1024);
    let (dtx, drx) = tokio::sync::watch::channel(Demand::default());
    let mut down = None;
    let platform = match setup {
        Ok(s) => Platform {
            operator: s.operator,
            context: s.context,
            start: chrono::Utc::now(),
            tasks: (s.start)(tx.clone(), drx),
            switcher: Some(switcher(cfg)),
        },
        Err(e) => {
            tracing::error!(context = %name, "cannot watch: {e}");
            let why = format!("{name} could not be reached: {e}");
            down = Some(e);
            Platform {
                operator: Arc::new(opsdeck::ops::Unreachable(why)),
                context: Context {
                    name: name.clone(),
                    namespace: if cfg.namespaces.is_empty() {
                        "all".into()
                    } else {
                        cfg.namespaces.join(",")
                    },
                    argocd_namespace: cfg.argocd_namespace.clone(),
                    argocd_server: None,
                    demo: false,
                    read_only: true,
                    log_query: LogQuery::logql(cfg.log_query.clone()),
                    protected: cfg.policy(name).protected,
                    user: local_user(),
                },
                start: chrono::Utc::now(),
                tasks: Vec::new(),
                switcher: Some(switcher(cfg)),
            }
        }
    };
    let mut m = member(cfg, platform, tx, rx, dtx);
    if let Some(why) = down {
        m.state.mark_unreachable(&why);
    }
    m
}

/// How `:fleet add NAME` connects one more cluster: a kubeconfig context, or in the demo one
/// of its platforms.
fn joiner(cfg: &Config) -> opsdeck::app::Joiner {
    let cfg = cfg.clone();
    Arc::new(move |name: String| {
        let cfg = cfg.clone();
        Box::pin(async move {
            if cfg.demo {
                let p = opsdeck::sources::demo::platform(&name).ok_or_else(|| {
                    let names: Vec<&str> = opsdeck::sources::demo::PLATFORMS
                        .iter()
                        .map(|p| p.name)
                        .collect();
                    format!("the demo has no platform {name} ({})", names.join(", "))
                })?;
                Ok(demo_member(&cfg, p))
            } else {
                // A context the kubeconfig does not have is refused, not kept as a dead cell.
                let setup =
                    live_setup(cfg.clone(), Some(name.clone()), cfg.namespaces.clone()).await;
                match setup {
                    Err(e) if e.contains("is not in the kubeconfig") => Err(e),
                    setup => Ok(member_from(&cfg, &name, setup)),
                }
            }
        })
    })
}

/// The embedded demo platform.
fn demo_platform(
    cfg: &Config,
    platform: &'static demo::Platform,
    tx: mpsc::Sender<Update>,
    demand: tokio::sync::watch::Receiver<Demand>,
) -> Platform {
    let mut cfg = cfg.clone();
    cfg.platform = platform;
    let cfg = &cfg;
    let start = chrono::Utc::now()
        .with_nanosecond(0)
        .unwrap_or_else(chrono::Utc::now);
    let operator = demo::spawn(
        DemoConfig {
            platform: cfg.platform,
            seed: cfg.seed,
            scenario: cfg.scenario,
            speed: cfg.speed,
            start,
        },
        tx,
        demand,
    );
    let log_query = match cfg.platform.log_store {
        demo::catalog::LogStoreKind::OpenSearch => {
            LogQuery::opensearch(demo::opensearch_query(cfg.platform))
        }
        demo::catalog::LogStoreKind::Loki => LogQuery::logql(cfg.platform.log_query),
    };
    Platform {
        operator: Arc::new(operator),
        context: Context {
            // Simulated time that does not run at 1× says so beside the name.
            name: if cfg.speed == 1.0 {
                cfg.platform.context.into()
            } else if cfg.speed == 0.0 {
                format!("{} · time frozen", cfg.platform.context)
            } else {
                format!("{} · {}× time", cfg.platform.context, cfg.speed)
            },
            namespace: cfg.platform.namespaces().join(","),
            argocd_namespace: "argocd".into(),
            argocd_server: Some("the demo's Argo CD".into()),
            demo: true,
            read_only: cfg.read_only,
            log_query,
            protected: false,
            user: local_user(),
        },
        start,
        tasks: Vec::new(),
        switcher: None,
    }
}

/// Where Prometheus is, from the flags.
fn prom_setup(cfg: &Config, kube: kube::Client) -> Result<PromSetup, String> {
    let token = cfg.prometheus_token.as_ref().map(|s| s.0.clone());
    let mesh_token = cfg
        .mesh_prometheus_token
        .as_ref()
        .map(|s| s.0.clone())
        .or(token.clone());
    let cpu = match (&cfg.prometheus, &cfg.prometheus_service) {
        (Some(url), _) => Location::Url(Endpoint::direct(url, token)?),
        (None, Some(s)) => Location::Service(ServiceRef::parse(s)?),
        (None, None) => Location::Discover,
    };
    let mesh = match (&cfg.mesh_prometheus, &cfg.mesh_prometheus_service) {
        (Some(url), _) => Location::Url(Endpoint::direct(url, mesh_token)?),
        (None, Some(s)) => Location::Service(ServiceRef::parse(s)?),
        // One Prometheus given by URL serves both unless told otherwise.
        (None, None) if cfg.prometheus.is_some() => cpu.clone(),
        (None, None) => Location::Discover,
    };
    Ok(PromSetup {
        cpu,
        mesh,
        kube: Some(kube),
        monitoring_namespace: cfg.monitoring_namespace.clone(),
        cpu_fallback: Vec::new(),
        timeout: cfg.query_timeout,
        refresh: opsdeck::sources::prometheus::REFRESH,
    })
}

/// The Argo CD API server, when there is one to use: `--argocd-server URL` (a bare host:port
/// is https, as the argocd CLI takes it), `--argocd-server-service`, or, with a token in
/// ARGOCD_AUTH_TOKEN, its usual Service through the API server. The token is read from the
/// environment only; through the proxy it travels as Argo CD's `argocd.token` cookie, since
/// the Authorization header carries the kubeconfig's credentials.
fn argocd_endpoint(cfg: &Config, kube: &kube::Client) -> Result<Option<Endpoint>, String> {
    let token = std::env::var("ARGOCD_AUTH_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let endpoint = match (&cfg.argocd_server, &cfg.argocd_server_service) {
        (Some(url), _) => {
            let url = if url.contains("://") {
                url.clone()
            } else {
                format!("https://{url}")
            };
            Endpoint::direct(&url, token)?
        }
        (None, service) => {
            let service = match (service, &token) {
                (Some(s), _) => ServiceRef::parse(s)?,
                (None, Some(_)) => {
                    ServiceRef::new(&cfg.argocd_namespace, "https:argocd-server", "443")
                }
                // No server named and no token: nothing to ask.
                (None, None) => return Ok(None),
            };
            let e = Endpoint::service(kube.clone(), service);
            match &token {
                Some(t) => e.with_header("Cookie", &format!("argocd.token={t}")),
                None => e,
            }
        }
    };
    Ok(Some(
        endpoint.with_timeout(opsdeck::sources::argocd::TIMEOUT),
    ))
}

/// Where traces come from: `--traces URL` (credentials from OPSDECK_TRACES_TOKEN, or
/// OPSDECK_TRACES_USER/_PASSWORD; a Tempo tenant from OPSDECK_TRACES_TENANT),
/// `--traces-service`, or the usual in-cluster names through the API server.
fn trace_plan(cfg: &Config, kube: &kube::Client) -> Result<TracePlan, String> {
    let env = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let api = cfg.traces_api.api();
    let tenant = env("OPSDECK_TRACES_TENANT").map(|t| ("X-Scope-OrgID".to_string(), t));
    let endpoint = match (&cfg.traces, &cfg.traces_service) {
        (Some(url), _) => {
            let mut e = Endpoint::direct(url, env("OPSDECK_TRACES_TOKEN"))?;
            if let (Some(u), Some(p)) = (env("OPSDECK_TRACES_USER"), env("OPSDECK_TRACES_PASSWORD"))
            {
                e = e.with_basic(&u, &p);
            }
            e
        }
        (None, Some(s)) => Endpoint::service(kube.clone(), ServiceRef::parse(s)?),
        (None, None) => {
            return Ok(TracePlan::Discover {
                kube: kube.clone(),
                api,
                timeout: cfg.query_timeout,
                headers: tenant.into_iter().collect(),
            });
        }
    };
    let endpoint = match tenant {
        Some((k, v)) => endpoint.with_header(&k, &v),
        None => endpoint,
    };
    Ok(TracePlan::Store(Arc::new(TraceStore::new(
        endpoint.with_timeout(opsdeck::sources::traces::TIMEOUT),
        api,
    ))))
}

/// Connects to a context and prepares (but does not start) its watches and pollers.
async fn live_setup(
    cfg: Config,
    context: Option<String>,
    namespaces: Vec<String>,
) -> Result<LiveSetup, String> {
    let conn = connect(cfg.kubeconfig.as_deref(), context.as_deref()).await?;
    tracing::info!(context = %conn.context, server = %conn.server, "connected");
    let client = conn.client.clone();
    let watch_cfg = WatchConfig {
        namespaces: namespaces.clone(),
        argocd_namespace: cfg.argocd_namespace.clone(),
    };
    let prom = prom_setup(&cfg, client.clone())?;
    let viz_namespace = cfg.viz_namespace.clone();
    let istio_namespace = cfg.istio_namespace.clone();
    let mesh_choice = cfg.mesh;
    let watch_namespaces = namespaces.clone();
    let stats = Arc::new(PromStats::default());
    let am_location = match (&cfg.alertmanager, &cfg.alertmanager_service) {
        (Some(url), _) => alertmanager::Location::Url(Endpoint::direct(
            url,
            cfg.alertmanager_token.as_ref().map(|s| s.0.clone()),
        )?),
        (None, Some(s)) => alertmanager::Location::Service(ServiceRef::parse(s)?),
        (None, None) => alertmanager::Location::Discover,
    };
    let am_endpoint = alertmanager::endpoint(
        &am_location,
        Some(&client),
        &cfg.monitoring_namespace,
        cfg.query_timeout,
    )?;
    let am_poll = Alertmanager::new(am_endpoint.clone());
    let argocd = argocd_endpoint(&cfg, &client)?;
    let argocd_api = argocd.clone();
    let trace_plan = trace_plan(&cfg, &client)?;
    let log_plan = log_plan(&cfg, &client)?;
    let log_query = match &log_plan {
        LogPlan::OpenSearch(s) => LogQuery::opensearch(s.query.clone()),
        _ => LogQuery::logql(cfg.log_query.clone()),
    };
    Ok(LiveSetup {
        operator: Arc::new(ActionRouter {
            platform: Arc::new(KubeOperator {
                client: conn.client,
            }),
            alerts: Some(Arc::new(Silencer::new(am_endpoint))),
            argocd: argocd
                .clone()
                .map(|endpoint| -> Arc<dyn opsdeck::model::Operator> {
                    Arc::new(opsdeck::ops::argocd::ArgoCdOperator { endpoint })
                }),
        }),
        context: Context {
            protected: cfg.policy(&conn.context).protected,
            read_only: cfg.read_only || cfg.policy(&conn.context).read_only,
            name: conn.context,
            namespace: if namespaces.is_empty() {
                "all".into()
            } else {
                namespaces.join(",")
            },
            argocd_namespace: cfg.argocd_namespace.clone(),
            argocd_server: argocd.as_ref().map(Endpoint::describe),
            demo: false,
            log_query,
            user: local_user(),
        },
        start: Box::new(move |tx, demand| {
            let mut tasks = watch::spawn(client.clone(), watch_cfg, tx.clone());
            tasks.push(tokio::spawn(readyz::run(client.clone(), tx.clone())));
            tasks.push(choose::spawn(log_plan, demand.clone(), tx.clone()));
            tasks.push(opsdeck::sources::kube::pods::spawn(
                client.clone(),
                demand.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::pod_logs::spawn(
                client.clone(),
                demand.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::app_tree::spawn(
                client.clone(),
                demand.clone(),
                tx.clone(),
            ));
            if let Some(api) = argocd_api {
                tasks.push(opsdeck::sources::argocd::spawn(
                    api,
                    demand.clone(),
                    tx.clone(),
                ));
            }
            tasks.push(opsdeck::sources::traces::spawn(
                trace_plan,
                demand.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::object::spawn(
                client.clone(),
                demand.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::image_updater::spawn(
                client.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::certs::spawn(
                client.clone(),
                tx.clone(),
            ));
            tasks.push(opsdeck::sources::kube::trust::spawn(
                client.clone(),
                tx.clone(),
            ));
            let istio_objects = Shared::default();
            let linkerd = || -> Box<dyn MeshProvider> { Box::new(Linkerd::new(&viz_namespace)) };
            let istio = || -> Box<dyn MeshProvider> {
                Box::new(Istio::new(istio_objects.clone(), &istio_namespace))
            };
            let mesh: Box<dyn MeshProvider> = match mesh_choice {
                MeshChoice::Linkerd => linkerd(),
                MeshChoice::Istio => istio(),
                MeshChoice::Auto => Box::new(Auto::new(vec![linkerd(), istio()])),
            };
            if mesh_choice != MeshChoice::Linkerd {
                tasks.push(objects::spawn(
                    client.clone(),
                    watch_namespaces.clone(),
                    istio_objects.clone(),
                    tx.clone(),
                ));
            }
            tasks.extend(prometheus::spawn(prom, mesh, demand, tx.clone(), stats));
            tasks.push(alertmanager::spawn(am_poll, alertmanager::REFRESH, tx));
            tasks
        }),
    })
}

/// The OpenSearch query clause: `--log-query` as JSON, or its LogQL's intent.
fn opensearch_query(cfg: &Config) -> Result<String, String> {
    use opsdeck::query::opensearch::{LogIntent, compact, parse};
    // A JSON object's first key is quoted; a LogQL selector's label is not.
    let json = cfg
        .log_query
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|r| r.trim_start().starts_with(['"', '}']));
    if json {
        return parse(&cfg.log_query).map(|v| compact(&v));
    }
    let intent = LogIntent::from_logql(&cfg.log_query)?;
    Ok(compact(&intent.to_query()))
}

fn opensearch_setup(cfg: &Config, endpoint: Endpoint) -> Result<OpenSearchSetup, String> {
    let mut s = OpenSearchSetup::new(Arc::new(endpoint), opensearch_query(cfg)?);
    s.index = cfg.opensearch_index.clone();
    s.backfill = cfg.log_backfill;
    s.poll_every = cfg.log_poll;
    s.look_back = cfg.log_look_back;
    Ok(s)
}

/// Where the logs come from, from the flags (`--logs`, `--loki`, `--opensearch`).
fn log_plan(cfg: &Config, client: &kube::Client) -> Result<LogPlan, String> {
    use opsdeck::config::LogsArg;
    let loki_url = match &cfg.loki {
        Some(url) => Some(Endpoint::direct(
            url,
            cfg.loki_token.as_ref().map(|s| s.0.clone()),
        )?),
        None => None,
    };
    let loki_service = cfg
        .loki_service
        .as_deref()
        .map(ServiceRef::parse)
        .transpose()?;
    let loki_given = loki_url.is_some() || loki_service.is_some();
    let loki_setup = LokiSetup {
        endpoint: loki::endpoint(
            loki_url,
            loki_service,
            Some(client),
            &cfg.monitoring_namespace,
            cfg.loki_tenant.as_deref(),
            cfg.query_timeout,
        )?,
        query: cfg.log_query.clone(),
        backfill: cfg.log_backfill,
        websocket: true,
    };
    let region = cfg.aws_region.clone();
    let env = move |k: &str| match k {
        "OPSDECK_AWS_REGION" => region.clone(),
        _ => std::env::var(k).ok(),
    };
    let os_given = cfg.opensearch.is_some() || cfg.opensearch_service.is_some();
    let os_endpoint = |cfg: &Config| -> Result<Option<Endpoint>, String> {
        Ok(match (&cfg.opensearch, &cfg.opensearch_service) {
            (Some(url), _) => Some(opensearch::endpoint(
                url,
                &env,
                cfg.opensearch_sigv4.into(),
                cfg.query_timeout,
            )?),
            (None, Some(s)) => Some(
                Endpoint::service(client.clone(), ServiceRef::parse(s)?)
                    .with_timeout(cfg.query_timeout),
            ),
            (None, None) => None,
        })
    };
    Ok(match cfg.logs {
        LogsArg::Loki => LogPlan::Loki(loki_setup),
        LogsArg::Opensearch | LogsArg::Auto if os_given => {
            let e = os_endpoint(cfg)?.ok_or("no OpenSearch: give --opensearch URL")?;
            LogPlan::OpenSearch(opensearch_setup(cfg, e)?)
        }
        LogsArg::Auto if loki_given => LogPlan::Loki(loki_setup),
        LogsArg::Opensearch | LogsArg::Auto => {
            let only = cfg.logs == LogsArg::Opensearch;
            if only {
                // Checked now, so a query that cannot be carried over stops the start.
                opensearch_query(cfg)?;
            }
            let c = cfg.clone();
            LogPlan::Discover {
                loki: (!only).then_some(loki_setup),
                opensearch: Box::new(move |e| opensearch_setup(&c, e)),
                kube: client.clone(),
                timeout: cfg.query_timeout,
            }
        }
    })
}

/// `:ctx` / `:ns` on a live cluster.
fn switcher(cfg: &Config) -> Switcher {
    let cfg = cfg.clone();
    Arc::new(move |req: SwitchRequest| {
        Box::pin(live_setup(cfg.clone(), Some(req.context), req.namespaces))
    })
}

/// A live cluster: Argo CD, Argo Rollouts, Prometheus, Loki and Alertmanager.
async fn live_platform(
    cfg: &Config,
    tx: mpsc::Sender<Update>,
    demand: tokio::sync::watch::Receiver<Demand>,
) -> Result<Platform, String> {
    let setup = live_setup(cfg.clone(), cfg.context.clone(), cfg.namespaces.clone()).await?;
    let tasks = (setup.start)(tx.clone(), demand);
    Ok(Platform {
        operator: setup.operator,
        context: setup.context,
        start: chrono::Utc::now(),
        tasks,
        switcher: Some(switcher(cfg)),
    })
}

/// Reports broken files; with `--strict` that ends the run, else the defaults are used after
/// a keypress (so the message is read before the screen takes over).
fn report(problems: &[String], strict: bool) {
    if problems.is_empty() {
        return;
    }
    for p in problems {
        eprintln!("opsdeck: {p}");
    }
    if strict {
        eprintln!("opsdeck: stopping (--strict)");
        std::process::exit(1);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!("Press Enter to go on with the defaults for what is broken (Ctrl-C quits).");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
}

/// Writes a subcommand's output; a closed pipe (`opsdeck config show | head`) ends it quietly
/// instead of panicking as `print!` does.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `opsdeck config check`: the configuration, keymap and every theme; exit 1 if one is broken.
fn check(problems: &[String], keymap: &str, theme: &str) -> i32 {
    let mut bad = problems.to_vec();
    if let Err(e) = load_keymap(keymap) {
        bad.push(e);
    }
    // The theme the run would use, as start-up loads it.
    if let Err(e) = Theme::load(theme) {
        bad.push(e);
    }
    for name in opsdeck::theme::names() {
        if let Err(e) = Theme::load(&name) {
            bad.push(e);
        }
    }
    if bad.is_empty() {
        say("configuration, keymap and themes are fine\n");
        0
    } else {
        for e in &bad {
            say(&format!("{e}\n"));
        }
        1
    }
}

fn load_keymap(flavour: &str) -> Result<Keymap, String> {
    let user = opsdeck::keymap::user_file().and_then(|p| {
        let text = std::fs::read_to_string(&p).ok()?;
        Some((p.display().to_string(), text))
    });
    Keymap::load(flavour, user)
}

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let pre = Cli::try_parse_from(&argv).unwrap_or_else(|e| e.exit());
    let mut problems = Vec::new();
    let file = match pre.config.clone().or_else(config_file::default_path) {
        Some(p) if pre.config.is_some() || p.exists() => {
            config_file::read(&p).unwrap_or_else(|e| {
                // Fail closed: what the file restricts still holds.
                let text = std::fs::read_to_string(&p).ok();
                let (kept, note) = config_file::salvage(&p, text.as_deref());
                problems.push(format!("{e}\n  {note}"));
                kept
            })
        }
        _ => config_file::FileSettings::default(),
    };
    let (cli, matches, from_file, file) =
        config_file::parse_with_file(argv, file).unwrap_or_else(|e| e.exit());
    match &cli.command {
        Some(Sub::Config {
            action: ConfigAction::Show,
        }) => {
            for p in &problems {
                eprintln!("opsdeck: {p}");
            }
            say(&config_file::show(&matches, &from_file, &file));
            return Ok(());
        }
        Some(Sub::Config {
            action: ConfigAction::Check,
        }) => {
            std::process::exit(check(&problems, &cli.keymap, &cli.theme));
        }
        Some(Sub::Completions { shell }) => {
            use clap::CommandFactory;
            // Into a buffer, then written once: a closed pipe (`| head`) ends it quietly
            // (clap_complete panics on a failed write).
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "opsdeck", &mut out);
            use std::io::Write;
            let _ = std::io::stdout().write_all(&out);
            return Ok(());
        }
        Some(Sub::Man) => {
            use clap::CommandFactory;
            // A closed pipe (`opsdeck man | head`) is not an error worth a backtrace.
            let _ = clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout());
            return Ok(());
        }
        Some(Sub::Status { .. } | Sub::Gate { .. }) | None => {}
    }
    let colour_always = cli.color == opsdeck::config::ColorMode::Always;
    let mut judge_override = None;
    let status = match &cli.command {
        Some(Sub::Status { output, wait }) => Some(Headless::Status {
            format: *output,
            wait: *wait,
        }),
        Some(Sub::Gate {
            rollout,
            wait,
            level,
            min_requests,
            output,
        }) => {
            judge_override = Some((*level, *min_requests));
            Some(Headless::Gate {
                target: rollout.clone(),
                wait: *wait,
                format: *output,
            })
        }
        None if cli.once => Some(Headless::Once {
            colour: colour_always,
        }),
        _ => None,
    };
    let strict = cli.strict;
    let mut cfg = Config::from_cli(cli);
    cfg.contexts = file.contexts.clone();
    if let Some((level, min_requests)) = judge_override {
        cfg.judge.alpha = level.unwrap_or(cfg.judge.alpha);
        cfg.judge.min_requests = min_requests as f64;
    }
    if cfg.color == opsdeck::config::ColorMode::Always
        && opsdeck::theme::ColorDepth::detect() == opsdeck::theme::ColorDepth::Ansi16
    {
        opsdeck::theme::set_depth_override(opsdeck::theme::ColorDepth::Indexed256);
    }
    let mut theme = Theme::load(&cfg.theme).unwrap_or_else(|e| {
        problems.push(e);
        Theme::load("dark")
            .or_else(|_| Theme::builtin("dark"))
            .unwrap_or_else(|e| panic!("{e}"))
    });
    theme.ascii = cfg.ascii;
    let keymap = load_keymap(&cfg.keymap).or_else(|e| {
        problems.push(e);
        Keymap::default_map()
    });
    let keymap = keymap.map_err(|e| eyre!(e))?;
    if status.is_some() {
        // Headless: say what is broken and go on (a pipeline has no one to press Enter).
        for p in &problems {
            eprintln!("opsdeck: {p}");
        }
        if strict && !problems.is_empty() {
            std::process::exit(1);
        }
    } else {
        report(&problems, strict);
    }
    init_logging(&cfg)?;
    tracing::info!(?cfg, "starting");

    // One thread: everything here waits on I/O, and with one thread glibc keeps one malloc
    // arena instead of one per worker (measured: a third less resident memory at scale).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let (tx, rx) = mpsc::channel(1024);
        let (demand_tx, demand_rx) = tokio::sync::watch::channel(Demand::default());
        let platform = if cfg.demo {
            demo_platform(&cfg, cfg.platform, tx.clone(), demand_rx)
        } else {
            match live_platform(&cfg, tx.clone(), demand_rx).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("opsdeck: {e}");
                    eprintln!(
                        "  Run `opsdeck --demo` to see opsdeck on its embedded demo platform."
                    );
                    // A gate that cannot reach the cluster cannot decide (3); the rest say
                    // the run itself failed (1).
                    let gate = matches!(status, Some(Headless::Gate { .. }));
                    std::process::exit(if gate { 3 } else { 1 });
                }
            }
        };
        let state = new_state(&cfg, platform.context, platform.start);
        if let Some(mode) = status {
            let more = cfg.fleet.len() + cfg.fleet_platforms.len();
            if more > 0 {
                eprintln!(
                    "opsdeck: status, gate and --once read one cluster: {} ({more} more given, \
                     not read)",
                    state.context.name
                );
            }
            let code = headless(
                state,
                rx,
                demand_tx,
                platform.tasks,
                mode,
                (&theme, &keymap),
            )
            .await;
            std::process::exit(code);
        }
        // The first context as it resolved (the kubeconfig's current one, unnamed) is not
        // watched twice.
        let mut fleet = fleet_members(&cfg, &state.context.name).await;
        fleet.retain(|m| m.state.context.name != state.context.name);
        let app = App {
            fleet,
            focus_pos: 0,
            switching: false,
            fleet_turn: 0,
            fleet_ctl: opsdeck::app::FleetCtl::new(Some(joiner(&cfg))),
            state,
            theme,
            keymap,
            operator: platform.operator,
            audit: Arc::new(AuditLog::new(cfg.audit_log.clone())),
            updates_tx: tx,
            updates_rx: rx,
            tasks: platform.tasks,
            switcher: platform.switcher,
            demand: demand_tx,
            action_timeout: cfg.action_timeout,
        };
        let mut terminal = ratatui::init();
        let r = app.run(&mut terminal).await;
        ratatui::restore();
        r
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(ending) => {
            let code = ending.code();
            tracing::info!("exited: {} (status {code})", ending.describe());
            std::process::exit(code)
        }
        Err(e) => {
            tracing::error!("exited on an error: {e}");
            Err(e)
        }
    }
}

use chrono::Timelike;
use opsdeck::net::connect::connect;
use opsdeck::net::http::{Endpoint, ServiceRef};
use opsdeck::ops::Operator;
use opsdeck::ops::alertmanager::Silencer;
use opsdeck::ops::audit::local_user;
use opsdeck::ops::kube::KubeOperator;
use opsdeck::ops::router::ActionRouter;
use opsdeck::query::LogQuery;
use opsdeck::sources::alertmanager::{self, Alertmanager};
use opsdeck::sources::kube::readyz;
use opsdeck::sources::kube::watch::{self, WatchConfig};
use opsdeck::sources::logs::choose::{self, LogPlan};
use opsdeck::sources::logs::loki::{self, LokiSetup};
use opsdeck::sources::logs::opensearch::{self, OpenSearchSetup};
use opsdeck::sources::mesh::MeshProvider;
use opsdeck::sources::mesh::istio::{
    Istio,
    objects::{self, Shared},
};
use opsdeck::sources::mesh::linkerd::Linkerd;
use opsdeck::sources::mesh::select::{Auto, MeshChoice};
use opsdeck::sources::prometheus::{self, Location, PromSetup, PromStats};
use opsdeck::sources::traces::{TracePlan, TraceStore};
use opsdeck::state::Demand;
use opsdeck::state::Update;
use tokio::sync::mpsc;
