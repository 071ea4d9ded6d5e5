//! The command line, merged once into a [`Config`].

use crate::sources::demo::Scenario;
use clap::Parser;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Sub {
    /// The configuration: `show` prints every setting and where it came from, `check`
    /// validates the configuration, keymap and theme files (exit 1 if one is broken).
    Config {
        #[arg(value_enum)]
        action: ConfigAction,
    },
    /// Prints a shell completion script: `opsdeck completions bash > /etc/bash_completion.d/opsdeck`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff): `opsdeck man > opsdeck.1`.
    Man,
    /// One snapshot of apps, rollouts (step, weights, verdict), routes and firing alerts, then
    /// exit: 0 nothing wrong, 3 problems, 4 a source could not be read (docs/status-json.md).
    Status {
        /// `table` for people, `json` for pipelines (schema opsdeck.status/v1).
        #[arg(short = 'o', long, value_enum, default_value = "table")]
        output: StatusFormat,
        /// Seconds to wait for every source's first answer.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300), value_name = "SECS")]
        wait: u64,
    },
    /// Waits for evidence on a canary, prints the verdict with what it rests on, and exits by
    /// it: 0 no evidence of harm, 1 worse, 2 not enough data by the deadline, 3 cannot decide
    /// (a source down, no such rollout, no canary). docs/verdict.md.
    Gate {
        /// The rollout: NAME, or NAMESPACE/NAME.
        rollout: String,
        /// How long to wait for enough evidence: 90s, 10m, 1h (a bare number is seconds).
        #[arg(long, default_value = "5m", value_parser = parse_wait, value_name = "DURATION")]
        wait: std::time::Duration,
        /// The significance level (the global --significance otherwise).
        #[arg(long, value_parser = parse_level, value_name = "ALPHA")]
        level: Option<f64>,
        /// The fewest canary requests a route needs before "no evidence of harm", whatever
        /// the power calculation says.
        #[arg(long, default_value_t = 0, value_name = "N")]
        min_requests: u64,
        /// `table` for people, `json` for pipelines (schema opsdeck.gate/v1).
        #[arg(short = 'o', long, value_enum, default_value = "table")]
        output: StatusFormat,
    },
}

/// `90` (seconds), or a Go duration as Argo and Prometheus write them (`90s`, `10m`, `1h30m`):
/// at least a second, at most a day.
pub fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let ms = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>().ok().and_then(|n| n.checked_mul(1000))
    } else {
        crate::model::time::go_duration_ms(t)
    };
    match ms {
        Some(ms) if (1000..=86_400_000).contains(&ms) => Ok(std::time::Duration::from_millis(ms)),
        _ => Err(format!(
            "{s}: a duration from 1s to 24h, such as 90s, 10m or 1h"
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ConfigAction {
    Show,
    Check,
}

#[derive(Parser, Debug)]
#[command(
    name = "opsdeck",
    version,
    about = "A keyboard-driven terminal dashboard for the engineer on call for a GitOps Kubernetes platform",
    long_about = "Argo CD sync and health, Argo Rollouts canaries, Linkerd route success, CPU, error logs \
                  and alerts on one screen, with sync, refresh, promote, abort, retry and restart one key away."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// The configuration file (default: $XDG_CONFIG_HOME/opsdeck/config.toml).
    #[arg(long, value_name = "PATH", env = "OPSDECK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Stop at a broken configuration, keymap or theme file instead of going on with defaults.
    #[arg(long)]
    pub strict: bool,
    /// Keymap: default, vim or emacs, under $XDG_CONFIG_HOME/opsdeck/keymap.toml if present.
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub keymap: String,
    /// Run on the embedded demo platform (no cluster needed).
    #[arg(long)]
    pub demo: bool,
    /// Draw one frame of the dashboard to stdout as text once the sources have answered, and
    /// exit (no alternate screen; colours with --color always). For reports and issues.
    #[arg(long)]
    pub once: bool,
    /// Demo platform: checkmate (k3d, Linkerd, Loki), titanium (Istio, Loki) or shop (EKS,
    /// Istio, Fluentd into OpenSearch); several (`checkmate,titanium`) run as a fleet of
    /// clusters.
    #[arg(long, default_value = "checkmate", value_delimiter = ',', value_parser = ["checkmate", "titanium", "shop"], requires = "demo", value_name = "NAME")]
    pub platform: Vec<String>,
    /// Demo scenario.
    #[arg(long, value_enum, default_value_t = ScenarioArg::Steady, requires = "demo")]
    pub scenario: ScenarioArg,
    /// Seed of the demo simulation; the same seed gives the same platform.
    #[arg(long, default_value_t = 1, requires = "demo")]
    pub seed: u64,
    /// Simulated seconds per real second in the demo; 0 freezes time.
    #[arg(long, default_value_t = 1.0, requires = "demo", value_parser = parse_speed)]
    pub speed: f64,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, conflicts_with = "demo")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context); several (`prod,stage`, or the flag
    /// repeated) are watched at once as a fleet, the first in focus.
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "demo",
        value_name = "NAME"
    )]
    pub context: Vec<String>,
    /// More contexts to watch beside --context, as a fleet (`fleet = ["prod", "stage"]` in
    /// config.toml).
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "demo",
        value_name = "NAME"
    )]
    pub fleet: Vec<String>,
    /// Namespace of Rollouts to watch; repeat for more (default: all namespaces).
    #[arg(short = 'n', long = "namespace", conflicts_with = "demo")]
    pub namespaces: Vec<String>,
    /// Namespace where Argo CD keeps its Applications.
    #[arg(long, default_value = "argocd")]
    pub argocd_namespace: String,
    /// Refuse every action (sync, promote, abort, …) with a clear message.
    #[arg(long)]
    pub read_only: bool,
    /// Colours: auto (NO_COLOR turns them off; depth from COLORTERM/TERM), always, never.
    #[arg(long, value_enum, default_value_t = ColorMode::Auto)]
    pub color: ColorMode,
    /// ASCII only: no box drawing, braille or symbols (for poor terminals and fonts).
    #[arg(long)]
    pub ascii: bool,
    /// Colour theme: dark, light, high-contrast, colorblind, mono, or a user theme in
    /// $XDG_CONFIG_HOME/opsdeck/themes/NAME.toml (mono is used with NO_COLOR).
    #[arg(long, default_value = "dark")]
    pub theme: String,
    /// Where actions are recorded (default: $XDG_STATE_HOME/opsdeck/audit.jsonl).
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
    /// Where opsdeck's own log goes (default: $XDG_STATE_HOME/opsdeck/opsdeck.log).
    #[arg(long)]
    pub log_file: Option<PathBuf>,
    /// Prometheus URL for CPU (default: found through the API server in --monitoring-namespace).
    /// `https://user:pass@host/` gives basic auth.
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub prometheus: Option<String>,
    /// The Prometheus Service to use through the API server: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "prometheus"])]
    pub prometheus_service: Option<String>,
    /// Bearer token for --prometheus (and --mesh-prometheus unless it has its own).
    #[arg(
        long,
        env = "OPSDECK_PROMETHEUS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub prometheus_token: Option<String>,
    /// Prometheus URL with Linkerd's metrics (default: linkerd-viz's Prometheus through the API
    /// server, then the main Prometheus if it has Linkerd's metrics).
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub mesh_prometheus: Option<String>,
    /// The Prometheus Service with Linkerd's metrics: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "mesh_prometheus"])]
    pub mesh_prometheus_service: Option<String>,
    /// Bearer token for --mesh-prometheus.
    #[arg(
        long,
        env = "OPSDECK_MESH_PROMETHEUS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub mesh_prometheus_token: Option<String>,
    /// The Argo CD API server's URL, for diffs and rollback (`https://argocd.example.com`; a
    /// bare host:port is taken as https). Its token comes from ARGOCD_AUTH_TOKEN only.
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub argocd_server: Option<String>,
    /// The Argo CD API server's Service through the API server: NAMESPACE/NAME:PORT, the name
    /// perhaps `https:NAME` (default with ARGOCD_AUTH_TOKEN set and no --argocd-server:
    /// ARGOCD-NAMESPACE/https:argocd-server:443).
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "argocd_server"])]
    pub argocd_server_service: Option<String>,
    /// The trace store's URL: Jaeger's query service or Tempo (default: the first that answers
    /// of istio-system/tracing, observability/jaeger-query, monitoring/tempo, … through the
    /// API server). Credentials from OPSDECK_TRACES_TOKEN or OPSDECK_TRACES_USER/_PASSWORD.
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub traces: Option<String>,
    /// The trace store's Service through the API server: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "traces"])]
    pub traces_service: Option<String>,
    /// The trace store's API: auto (told by its answers), jaeger (v1 query API), jaeger-v3
    /// (OTLP JSON) or tempo.
    #[arg(long, value_enum, default_value_t = TracesApiArg::Auto, value_name = "API")]
    pub traces_api: TracesApiArg,
    /// Alertmanager URL (default: monitoring/alertmanager-operated:9093 through the API server).
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub alertmanager: Option<String>,
    /// The Alertmanager Service to use through the API server: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "alertmanager"])]
    pub alertmanager_service: Option<String>,
    /// Bearer token for --alertmanager.
    #[arg(
        long,
        env = "OPSDECK_ALERTMANAGER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub alertmanager_token: Option<String>,
    /// Loki URL (default: monitoring/loki:3100 through the API server, polling).
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub loki: Option<String>,
    /// The Loki Service to use through the API server: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "loki"])]
    pub loki_service: Option<String>,
    /// Loki tenant, sent as X-Scope-OrgID.
    #[arg(long, env = "OPSDECK_LOKI_TENANT", value_name = "TENANT")]
    pub loki_tenant: Option<String>,
    /// Bearer token for --loki.
    #[arg(
        long,
        env = "OPSDECK_LOKI_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub loki_token: Option<String>,
    /// The log store: auto (--opensearch or --loki if given, else Loki in the monitoring
    /// namespace, else an OpenSearch/Elasticsearch found in the cluster), loki or opensearch.
    #[arg(long, value_enum, default_value_t = LogsArg::Auto, value_name = "STORE", conflicts_with = "demo")]
    pub logs: LogsArg,
    /// OpenSearch or Elasticsearch URL (credentials from OPSDECK_OPENSEARCH_USER/_PASSWORD,
    /// _API_KEY or _TOKEN; AWS-managed domains are signed with SigV4).
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub opensearch: Option<String>,
    /// The OpenSearch Service to use through the API server: NAMESPACE/NAME:PORT.
    #[arg(long, value_name = "NS/NAME:PORT", conflicts_with_all = ["demo", "opensearch"])]
    pub opensearch_service: Option<String>,
    /// The index pattern Fluentd writes to (the daily logstash-* indices are narrowed to today's
    /// and yesterday's; with none of them, fluentd).
    #[arg(long, default_value = "logstash-*", value_name = "PATTERN")]
    pub opensearch_index: String,
    /// Sign OpenSearch requests with AWS SigV4: auto (for *.es.amazonaws.com and
    /// *.aoss.amazonaws.com), on or off.
    #[arg(long, value_enum, default_value_t = SigV4Arg::Auto, value_name = "WHEN")]
    pub opensearch_sigv4: SigV4Arg,
    /// The AWS region for SigV4 (default: AWS_REGION, else the domain's host name).
    #[arg(long, env = "OPSDECK_AWS_REGION", value_name = "REGION")]
    pub aws_region: Option<String>,
    /// Seconds between OpenSearch polls while the logs are on screen.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=300), value_name = "SECS")]
    pub log_poll: u64,
    /// Seconds each OpenSearch poll looks back behind the newest line seen (Fluentd's flush
    /// interval and the index refresh; lines indexed later than this are missed).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600), value_name = "SECS")]
    pub log_look_back: u64,
    /// The query of the error-log pane: LogQL (for OpenSearch its namespaces, labels and
    /// words are carried over), or for OpenSearch a JSON query clause.
    #[arg(long, default_value = crate::query::logql::DEFAULT_QUERY, value_name = "LOGQL")]
    pub log_query: String,
    /// Minutes of logs loaded at start.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=1440), value_name = "MIN")]
    pub log_backfill: u64,
    /// Namespace of kube-prometheus-stack (Prometheus, Alertmanager) and Loki.
    #[arg(long, default_value = "monitoring", value_name = "NS")]
    pub monitoring_namespace: String,
    /// Namespace of linkerd-viz.
    #[arg(long, default_value = "linkerd-viz", value_name = "NS")]
    pub viz_namespace: String,
    /// The mesh the routes come from: auto (the meshes the cluster has, each service with the
    /// one that carries its traffic), linkerd or istio.
    #[arg(long, value_enum, default_value_t = MeshArg::Auto, value_name = "MESH")]
    pub mesh: MeshArg,
    /// Namespace of istiod (and Istio's sample Prometheus).
    #[arg(long, default_value = "istio-system", value_name = "NS")]
    pub istio_namespace: String,
    /// Timeout of every Prometheus, Loki and Alertmanager request, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120), value_name = "SECS")]
    pub query_timeout: u64,
    /// The full layout: rows separated by `/`, each `[H%] PANE[:W%] …`; panes left out are
    /// not queried and show alone when focused.
    #[arg(long, default_value = crate::layout::DEFAULT_LAYOUT, value_parser = crate::layout::LayoutSpec::parse, value_name = "ROWS")]
    pub layout: crate::layout::LayoutSpec,
    /// Below this terminal size the compact layout (rollouts + the focused pane) is used.
    #[arg(long, default_value = "120x40", value_parser = crate::layout::parse_size, value_name = "WxH")]
    pub compact_below: (u16, u16),
    /// The CPU chart's window at start: 5m, 15m, 1h or 6h.
    #[arg(long, default_value = "15m", value_parser = ["5m", "15m", "1h", "6h"], value_name = "W")]
    pub cpu_window: String,
    /// The routes' window at start: 1m, 5m or 15m.
    #[arg(long, default_value = "1m", value_parser = ["1m", "5m", "15m"], value_name = "W")]
    pub route_window: String,
    /// Error-log lines kept in memory.
    #[arg(long, default_value_t = 50_000)]
    pub log_lines: usize,
    /// Seconds an action (sync, promote, silence, …) may go unanswered before opsdeck reports
    /// it as unanswered (it may still be applied).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), value_name = "SECS")]
    pub action_timeout: u64,
    /// Canary is judged worse than stable only when its excess failure rate is significant at
    /// this two-sided level (the interval shown is at 1 − this) …
    #[arg(long, default_value_t = 0.05, value_parser = parse_level, value_name = "ALPHA")]
    pub significance: f64,
    /// … and at least this many percentage points (docs/verdict.md).
    #[arg(long, default_value_t = 1.0, value_parser = parse_points, value_name = "POINTS")]
    pub min_effect: f64,
    /// … and, for latency, a canary request slower than a stable one at least this much more
    /// often than not (Vargha–Delaney A − 0.5; 0.06 is their "small" effect).
    #[arg(long, default_value_t = 0.06, value_parser = parse_shift, value_name = "A")]
    pub min_latency_effect: f64,
    /// A certificate that expires within this many days, and that nothing says cert-manager
    /// will renew in time, is a warning (docs/platform.md).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=3650), value_name = "DAYS")]
    pub cert_horizon_days: u32,
    /// A list's order at start, `PANE=ORDER`, repeatable: apps=problems|wave|name,
    /// rollouts=problems|name, routes=problems|rps|name, alerts=problems|newest|name.
    /// Problems first is the default everywhere; `o` cycles the focused list.
    #[arg(long, value_parser = crate::state::parse_sort, value_name = "PANE=ORDER")]
    pub sort: Vec<(crate::layout::Pane, crate::state::SortKey)>,
}

/// A credential: never printed, not even in opsdeck's own log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("\"{s}\" is not a number"))?;
    if !(0.0..=1000.0).contains(&v) {
        return Err("speed must be between 0 and 1000".into());
    }
    Ok(v)
}

#[derive(Clone, Debug)]
pub struct Config {
    pub demo: bool,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// The other contexts watched beside the first (`--context a,b`, `--fleet`), in order.
    pub fleet: Vec<String>,
    pub namespaces: Vec<String>,
    pub argocd_namespace: String,
    pub scenario: Scenario,
    pub platform: &'static crate::sources::demo::Platform,
    /// The other demo platforms run beside the first, each a cluster of the fleet.
    pub fleet_platforms: Vec<&'static crate::sources::demo::Platform>,
    pub seed: u64,
    pub speed: f64,
    pub read_only: bool,
    pub theme: String,
    pub no_color: bool,
    pub color: ColorMode,
    pub ascii: bool,
    pub keymap: String,
    pub layout: crate::layout::LayoutSpec,
    /// Indexes into `state::CPU_WINDOWS` and `state::ROUTE_WINDOWS`.
    pub cpu_window: usize,
    pub route_window: usize,
    /// Per-context policy from the configuration file.
    pub contexts: std::collections::BTreeMap<String, ContextPolicy>,
    pub audit_log: PathBuf,
    pub log_file: PathBuf,
    pub log_lines: usize,
    /// Each list's order at start (`--sort`).
    pub sort: Vec<(crate::layout::Pane, crate::state::SortKey)>,
    pub action_timeout: std::time::Duration,
    /// How canary is judged against stable.
    pub judge: crate::model::stats::Judge,
    /// `--cert-horizon-days`, in seconds.
    pub cert_horizon_secs: i64,
    pub prometheus: Option<String>,
    pub prometheus_service: Option<String>,
    pub prometheus_token: Option<Secret>,
    pub mesh_prometheus: Option<String>,
    pub mesh_prometheus_service: Option<String>,
    pub mesh_prometheus_token: Option<Secret>,
    pub monitoring_namespace: String,
    pub viz_namespace: String,
    pub mesh: crate::sources::mesh::select::MeshChoice,
    pub istio_namespace: String,
    pub query_timeout: std::time::Duration,
    pub alertmanager: Option<String>,
    pub alertmanager_service: Option<String>,
    pub argocd_server: Option<String>,
    pub argocd_server_service: Option<String>,
    pub traces: Option<String>,
    pub traces_service: Option<String>,
    pub traces_api: TracesApiArg,
    pub alertmanager_token: Option<Secret>,
    pub loki: Option<String>,
    pub loki_service: Option<String>,
    pub loki_tenant: Option<String>,
    pub loki_token: Option<Secret>,
    pub log_query: String,
    pub log_backfill: std::time::Duration,
    pub logs: LogsArg,
    pub opensearch: Option<String>,
    pub opensearch_service: Option<String>,
    pub opensearch_index: String,
    pub opensearch_sigv4: SigV4Arg,
    pub aws_region: Option<String>,
    pub log_poll: std::time::Duration,
    pub log_look_back: std::time::Duration,
}

impl Config {
    pub fn from_cli(cli: Cli) -> Config {
        let dir = crate::files::state_dir();
        let no_color = match cli.color {
            ColorMode::Auto => crate::theme::no_color_requested(),
            ColorMode::Always => false,
            ColorMode::Never => true,
        };
        Config {
            demo: cli.demo,
            kubeconfig: cli.kubeconfig,
            context: contexts(&cli.context, &[]).first().cloned(),
            // Without --context the first context is the kubeconfig's current one, and every
            // --fleet entry is another.
            fleet: contexts(&cli.context, &cli.fleet)
                .into_iter()
                .skip(usize::from(!contexts(&cli.context, &[]).is_empty()))
                .collect(),
            namespaces: cli.namespaces,
            argocd_namespace: cli.argocd_namespace,
            scenario: cli.scenario.into(),
            platform: cli
                .platform
                .first()
                .and_then(|p| crate::sources::demo::platform(p))
                .unwrap_or(crate::sources::demo::PLATFORMS[0]),
            fleet_platforms: {
                let mut f: Vec<&'static crate::sources::demo::Platform> = Vec::new();
                for p in cli.platform.iter().skip(1) {
                    if let Some(p) = crate::sources::demo::platform(p)
                        && !f.iter().any(|q| q.name == p.name)
                        && cli.platform.first().map(String::as_str) != Some(p.name)
                    {
                        f.push(p);
                    }
                }
                f
            },
            seed: cli.seed,
            speed: cli.speed,
            read_only: cli.read_only,
            theme: if no_color { "mono".into() } else { cli.theme },
            no_color,
            color: cli.color,
            ascii: cli.ascii,
            keymap: cli.keymap,
            layout: crate::layout::LayoutSpec {
                compact_below: cli.compact_below,
                ..cli.layout
            },
            cpu_window: ["5m", "15m", "1h", "6h"]
                .iter()
                .position(|w| *w == cli.cpu_window)
                .unwrap_or(1),
            route_window: ["1m", "5m", "15m"]
                .iter()
                .position(|w| *w == cli.route_window)
                .unwrap_or(0),
            contexts: Default::default(),
            audit_log: cli.audit_log.unwrap_or_else(|| dir.join("audit.jsonl")),
            log_file: cli.log_file.unwrap_or_else(|| dir.join("opsdeck.log")),
            log_lines: cli.log_lines.clamp(100, 5_000_000),
            sort: cli.sort,
            action_timeout: std::time::Duration::from_secs(cli.action_timeout),
            cert_horizon_secs: i64::from(cli.cert_horizon_days) * 86_400,
            judge: crate::model::stats::Judge {
                alpha: cli.significance,
                min_effect: cli.min_effect / 100.0,
                min_requests: 0.0,
                min_latency_effect: cli.min_latency_effect,
            },
            prometheus: cli.prometheus,
            prometheus_service: cli.prometheus_service,
            prometheus_token: cli.prometheus_token.map(Secret),
            mesh_prometheus: cli.mesh_prometheus,
            mesh_prometheus_service: cli.mesh_prometheus_service,
            mesh_prometheus_token: cli.mesh_prometheus_token.map(Secret),
            monitoring_namespace: cli.monitoring_namespace,
            viz_namespace: cli.viz_namespace,
            mesh: cli.mesh.into(),
            istio_namespace: cli.istio_namespace,
            query_timeout: std::time::Duration::from_secs(cli.query_timeout),
            alertmanager: cli.alertmanager,
            argocd_server: cli.argocd_server,
            argocd_server_service: cli.argocd_server_service,
            traces: cli.traces,
            traces_service: cli.traces_service,
            traces_api: cli.traces_api,
            alertmanager_service: cli.alertmanager_service,
            alertmanager_token: cli.alertmanager_token.map(Secret),
            loki: cli.loki,
            loki_service: cli.loki_service,
            loki_tenant: cli.loki_tenant,
            loki_token: cli.loki_token.map(Secret),
            log_query: cli.log_query,
            log_backfill: std::time::Duration::from_secs(cli.log_backfill * 60),
            logs: cli.logs,
            opensearch: cli.opensearch,
            opensearch_service: cli.opensearch_service,
            opensearch_index: cli.opensearch_index,
            opensearch_sigv4: cli.opensearch_sigv4,
            aws_region: cli.aws_region,
            log_poll: std::time::Duration::from_secs(cli.log_poll),
            log_look_back: std::time::Duration::from_secs(cli.log_look_back),
        }
    }
}

/// `--mesh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MeshArg {
    Auto,
    Linkerd,
    Istio,
}

impl From<MeshArg> for crate::sources::mesh::select::MeshChoice {
    fn from(m: MeshArg) -> Self {
        use crate::sources::mesh::select::MeshChoice;
        match m {
            MeshArg::Auto => MeshChoice::Auto,
            MeshArg::Linkerd => MeshChoice::Linkerd,
            MeshArg::Istio => MeshChoice::Istio,
        }
    }
}

/// The contexts named by `--context a,b` and `--fleet`, in order: each trimmed, none empty,
/// none twice.
pub fn contexts(context: &[String], fleet: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in context.iter().chain(fleet).map(|c| c.trim()) {
        if !c.is_empty() && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// `--traces-api`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TracesApiArg {
    Auto,
    Jaeger,
    #[value(name = "jaeger-v3")]
    JaegerV3,
    Tempo,
}

impl TracesApiArg {
    /// The API it names; None: told by the store's answers.
    pub fn api(self) -> Option<crate::sources::traces::Api> {
        use crate::sources::traces::Api;
        match self {
            TracesApiArg::Auto => None,
            TracesApiArg::Jaeger => Some(Api::Jaeger),
            TracesApiArg::JaegerV3 => Some(Api::JaegerV3),
            TracesApiArg::Tempo => Some(Api::Tempo),
        }
    }
}

/// `--logs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogsArg {
    Auto,
    Loki,
    Opensearch,
}

/// `--opensearch-sigv4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SigV4Arg {
    Auto,
    On,
    Off,
}

impl From<SigV4Arg> for crate::sources::logs::opensearch::SigV4Choice {
    fn from(a: SigV4Arg) -> Self {
        use crate::sources::logs::opensearch::SigV4Choice;
        match a {
            SigV4Arg::Auto => SigV4Choice::Auto,
            SigV4Arg::On => SigV4Choice::On,
            SigV4Arg::Off => SigV4Choice::Off,
        }
    }
}

/// `--scenario`: the demo's scenarios as the command line names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioArg {
    /// Healthy platform, one canary (user) paused and waiting for promote.
    Steady,
    /// A bad store build in canary: /products fails, error logs spike.
    BadCanary,
}

impl From<ScenarioArg> for Scenario {
    fn from(s: ScenarioArg) -> Scenario {
        match s {
            ScenarioArg::Steady => Scenario::Steady,
            ScenarioArg::BadCanary => Scenario::BadCanary,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

impl Config {
    /// The policy of a context (read-only, protected) from the configuration file.
    pub fn policy(&self, context: &str) -> ContextPolicy {
        self.contexts.get(context).cloned().unwrap_or_default()
    }
}

/// What one context may do.
#[derive(Clone, Debug, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextPolicy {
    /// Refuse every action in this context.
    #[serde(default)]
    pub read_only: bool,
    /// A red banner, and every action needs the target's name typed.
    #[serde(default)]
    pub protected: bool,
}

/// A significance level: a probability strictly between 0 and 0.5.
fn parse_level(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 0.5 => Ok(v),
        _ => Err(format!("{s}: a level between 0 and 0.5, such as 0.05")),
    }
}

/// A shift in Vargha–Delaney A above 0.5: more than 0, at most 0.5.
fn parse_shift(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 0.5 => Ok(v),
        _ => Err(format!("{s}: a shift of A between 0 and 0.5, such as 0.06")),
    }
}

/// Percentage points of failure rate: 0 to 100.
fn parse_points(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s}: percentage points between 0 and 100, such as 1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_wait;
    use std::time::Duration;

    #[test]
    fn a_wait_is_seconds_minutes_or_hours_within_a_day() {
        assert_eq!(parse_wait("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_wait("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_wait("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_wait("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_wait("1m30s"), Ok(Duration::from_secs(90)));
        for bad in ["", "0", "5d", "m", "-3s", "25h", "99999999999999999999"] {
            assert!(parse_wait(bad).is_err(), "{bad}");
        }
    }
}
