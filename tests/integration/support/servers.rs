//! Real servers from Debian's packages (prometheus, prometheus-alertmanager), started by the
//! tests on a free loopback port with a temporary data directory, stopped on drop.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released; good enough for one test process).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    l.local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The path of a program, or a panic that says how to install it.
pub fn program(names: &[&str], package: &str) -> PathBuf {
    for n in names {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(n);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "{} not found: install Debian's {package} package (scripts/test.sh does: apt-get install -y {package})",
        names.join(" or ")
    )
}

/// A server process that can be stopped and started again with the same arguments.
pub struct Daemon {
    pub name: String,
    pub port: u16,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    ready_path: String,
    child: Option<Child>,
}

impl Daemon {
    pub fn new(
        name: &str,
        program: PathBuf,
        args: Vec<String>,
        port: u16,
        dir: &Path,
        ready_path: &str,
    ) -> Daemon {
        Daemon {
            name: name.into(),
            port,
            program,
            args,
            log: dir.join(format!("{name}.log")),
            ready_path: ready_path.into(),
            child: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits (up to 30 s) until it answers its readiness path.
    pub fn start(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap_or_else(|e| panic!("{e}"));
        let err = log.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}{}", self.url(), self.ready_path);
        loop {
            if let Ok(r) = probe::ready(&url)
                && r
            {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!(
                    "{} exited ({status}) before it was ready:\n{log}",
                    self.name
                );
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("{} not ready after 30 s:\n{log}", self.name);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

mod probe {
    /// A readiness probe without an async runtime: a plain HTTP/1.0 GET over TCP.
    pub fn ready(url: &str) -> Result<bool, std::io::Error> {
        use std::io::{Read, Write};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        Ok(buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200"))
    }
}

/// A real Prometheus with the series of `openmetrics` (OpenMetrics text with timestamps,
/// ending in `# EOF`) loaded through `promtool tsdb create-blocks-from openmetrics`.
pub fn prometheus(tag: &str, openmetrics: &str) -> Daemon {
    let dir = super::temp_dir(tag);
    let data = dir.join("data");
    let om = dir.join("series.om");
    std::fs::write(&om, openmetrics).unwrap_or_else(|e| panic!("{e}"));
    let promtool = program(&["promtool"], "prometheus");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .unwrap_or_else(|e| panic!("promtool: {e}"));
    assert!(
        out.status.success(),
        "promtool failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let mut d = Daemon::new(
        "prometheus",
        program(&["prometheus"], "prometheus"),
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", data.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--storage.tsdb.retention.time=30d".into(),
        ],
        port,
        &dir,
        "/-/ready",
    );
    d.start();
    d
}

/// A real Alertmanager with a minimal config and a temporary storage directory.
pub fn alertmanager(tag: &str) -> Daemon {
    let dir = super::temp_dir(tag);
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\n  group_by: ['alertname']\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let cluster_port = free_port();
    let mut d = Daemon::new(
        "alertmanager",
        program(
            &["prometheus-alertmanager", "alertmanager"],
            "prometheus-alertmanager",
        ),
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--cluster.listen-address=127.0.0.1:{cluster_port}"),
        ],
        port,
        &dir,
        "/-/ready",
    );
    d.start();
    d
}
