//! Finding K3s on a node: its service (the systemd unit K3s's install.sh writes, with its
//! drop-ins and environment files), the subcommand and flags it starts K3s with, and the K3s
//! release it runs.
//!
//! - The service: `k3s.service` (`k3s server`) or `k3s-agent.service` (`k3s agent`) in
//!   `/etc/systemd/system` (install.sh's `SYSTEMD_DIR` default), `/usr/local/lib/systemd/system`,
//!   `/usr/lib/systemd/system` or `/lib/systemd/system` (distribution packages), with
//!   `<unit>.d/*.conf` drop-ins, and the rootless user unit `k3s-rootless.service` (K3s's
//!   `contrib/util/k3s-rootless.service`) in `$HOME/.config/systemd/user`. From it: `ExecStart=`
//!   (split as systemd splits it), `Environment=` and the `EnvironmentFile=`s (install.sh's
//!   `/etc/default/%N`, `/etc/sysconfig/%N`, `<unit>.env`).
//! - The release: `k3s --version` (`k3s version v1.34.3+k3s1 (48ffa7b6)`, urfave/cli's version
//!   line with K3s's `version.Version`; K3s's main short-circuits on `--version` before touching
//!   its data dir) of the service's binary, else of `k3s` on `PATH`; else of the binary in
//!   `<data-dir>/data/current/bin/k3s`: K3s unpacks its bundled binaries into
//!   `<data-dir>/data/<hash>` on start and points `data/current` at them (cmd/k3s/main.go
//!   `extract`), so that is the release that last started from this data dir.
//!
//! The parsers are pure; [`probe_version`] is the one place the program runs another program.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::k3s::settings::{EnvVar, Role};

/// Where K3s's units may be, in systemd's order of precedence.
pub(crate) const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// The units K3s's install.sh writes, with the subcommand each runs.
pub(crate) const UNITS: &[(&str, Role)] = &[
    ("k3s.service", Role::Server),
    ("k3s-agent.service", Role::Agent),
];

/// K3s's rootless user unit (contrib/util/k3s-rootless.service), under `$HOME`.
pub(crate) const ROOTLESS_UNIT: &str = ".config/systemd/user/k3s-rootless.service";

/// What a unit file (and its drop-ins) says about how K3s starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Unit {
    /// The last `ExecStart=`, split into words (systemd's prefixes `@-:+!` removed).
    pub(crate) exec_start: Vec<String>,
    /// `Environment=` assignments, in order.
    pub(crate) environment: Vec<(String, String)>,
    /// `EnvironmentFile=` paths (specifiers expanded), and whether a missing one is fine (`-`).
    pub(crate) environment_files: Vec<(String, bool)>,
}

/// Parse one unit file (or drop-in) into `unit`: only `[Service]`'s `ExecStart`,
/// `Environment` and `EnvironmentFile` matter. `name` is the unit's name (`k3s.service`), for
/// the `%N`/`%n` specifiers.
pub(crate) fn parse_unit(text: &str, name: &str, unit: &mut Unit) {
    let mut section = String::new();
    for line in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        if section != "Service" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "ExecStart" => {
                // An empty assignment resets the list (how drop-ins replace a command); a
                // service has one command, so the last one stands.
                let v = value.trim_start_matches(['@', '-', ':', '+', '!']);
                unit.exec_start = split_words(v);
            }
            "Environment" => {
                if value.is_empty() {
                    unit.environment.clear();
                }
                for word in split_words(value) {
                    if let Some((k, v)) = word.split_once('=') {
                        unit.environment.push((k.to_string(), v.to_string()));
                    }
                }
            }
            "EnvironmentFile" => {
                if value.is_empty() {
                    unit.environment_files.clear();
                    continue;
                }
                let (optional, path) = match value.strip_prefix('-') {
                    Some(p) => (true, p),
                    None => (false, value),
                };
                unit.environment_files
                    .push((expand_specifiers(path, name), optional));
            }
            _ => {}
        }
    }
}

/// Lines with systemd's continuation: a line ending in `\` goes on with the next (the backslash
/// becomes a space); comment lines inside a continuation are skipped.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if cur.is_some() {
            let t = line.trim_start();
            if t.starts_with('#') || t.starts_with(';') {
                continue;
            }
        }
        let (body, cont) = match line.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        let mut acc = cur.take().unwrap_or_default();
        if !acc.is_empty() {
            acc.push(' ');
        }
        acc.push_str(body);
        if cont {
            cur = Some(acc);
        } else {
            out.push(acc);
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}

/// `%N` (the unit name without its type suffix), `%n` (the full name), `%%`.
fn expand_specifiers(s: &str, name: &str) -> String {
    let prefix = name.strip_suffix(".service").unwrap_or(name);
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('N') => out.push_str(prefix),
            Some('n') => out.push_str(name),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Words as systemd splits a command line or an `Environment=` value: blanks separate words;
/// `'...'` and `"..."` quote (a backslash escapes inside double quotes and outside quotes).
pub(crate) fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.push(unescape(chars.next())),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(unescape(chars.next()));
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn unescape(c: Option<char>) -> char {
    match c {
        Some('n') => '\n',
        Some('t') => '\t',
        Some(c) => c,
        None => '\\',
    }
}

/// An environment file as systemd reads it: `KEY=VALUE` lines, `#`/`;` comments, values
/// optionally quoted (`'...'`, or `"..."` with backslash escapes), unquoted values trimmed.
pub(crate) fn parse_env_file(text: &str, file: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for line in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = if value.starts_with('\'') || value.starts_with('"') {
            split_words(value).join(" ")
        } else {
            value.to_string()
        };
        out.push(EnvVar {
            name: key.trim().to_string(),
            value,
            file: file.to_string(),
        });
    }
    out
}

/// A service found on the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    /// The unit's name (`k3s.service`).
    pub(crate) name: String,
    /// Its file, as read (with the root prefix).
    pub(crate) path: PathBuf,
    /// The subcommand.
    pub(crate) role: Role,
    /// The binary it starts (a node path).
    pub(crate) binary: String,
    /// The arguments after the subcommand.
    pub(crate) args: Vec<String>,
    /// Its environment, in the order systemd applies it.
    pub(crate) env: Vec<EnvVar>,
    /// Whether it is the rootless user unit.
    pub(crate) user_unit: bool,
}

impl Service {
    /// The name to restart (`k3s`, `k3s-agent`), with `--user` for a user unit.
    pub(crate) fn restart_command(&self) -> String {
        let base = self.name.strip_suffix(".service").unwrap_or(&self.name);
        if self.user_unit {
            format!("systemctl --user restart {base}")
        } else {
            format!("systemctl restart {base}")
        }
    }
}

/// The subcommand and its arguments in an `ExecStart=` command line: the first word after the
/// binary that is `server` or `agent` (configfilearg's `findStart`), and what follows it.
pub(crate) fn split_exec_start(words: &[String]) -> Option<(String, Role, Vec<String>)> {
    let (binary, rest) = words.split_first()?;
    let at = rest.iter().position(|w| w == "server" || w == "agent")?;
    let role = if rest[at] == "server" {
        Role::Server
    } else {
        Role::Agent
    };
    Some((binary.clone(), role, rest[at + 1..].to_vec()))
}

/// The release in `k3s --version`'s output (`k3s version v1.34.3+k3s1 (48ffa7b6)`).
pub(crate) fn parse_version_output(out: &str) -> Option<String> {
    out.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("k3s version ")?;
        rest.split_whitespace().next().map(str::to_string)
    })
}

/// How long `k3s --version` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Run `binary --version` and read the release from its output. `Err` says why not.
pub(crate) fn probe_version(binary: &Path) -> Result<String, String> {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > PROBE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} --version did not finish in {}s",
                    binary.display(),
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {}: {e}", binary.display())),
        }
    }
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        // Only the first few lines matter; cap what a misbehaving program can make us hold.
        let _ = s.by_ref().take(64 * 1024).read_to_string(&mut out);
    }
    parse_version_output(&out).ok_or_else(|| {
        format!(
            "{} --version printed no `k3s version` line",
            binary.display()
        )
    })
}

/// How the node's paths map to paths we can read: the root prefix (`--root`), and for a rootless
/// K3s the bind mounts its mount namespace has (pkg/rootless/mounts.go `setupMounts`, state dir
/// = the data dir): `/etc/rancher` is `<data-dir>/etc/rancher` on the host, `/var/lib/kubelet`
/// `<data-dir>/kubelet`, `/var/lib/cni` `<data-dir>/cni`, `/var/log` `<data-dir>/logs`,
/// `/run/k3s/containerd` `$XDG_RUNTIME_DIR/k3s/containerd`. K3s reads its config file before it
/// sets them up, but its registries file (and containerd every file it names) after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeFs {
    /// The root prefix.
    pub(crate) root: PathBuf,
    /// Rootless: the data dir and the runtime dir (`$XDG_RUNTIME_DIR`) on the host.
    rootless: Option<(String, String)>,
}

impl NodeFs {
    /// The node under `root`, not rootless.
    pub(crate) fn new(root: &Path) -> Self {
        NodeFs {
            root: root.to_path_buf(),
            rootless: None,
        }
    }

    /// The same node with K3s running rootless from `data_dir`.
    pub(crate) fn rootless(mut self, data_dir: &str, run_dir: &str) -> Self {
        self.rootless = Some((data_dir.to_string(), run_dir.to_string()));
        self
    }

    /// A host path (K3s's config file, its units and binaries), to read here.
    pub(crate) fn host(&self, path: &str) -> PathBuf {
        under_root(&self.root, path)
    }

    /// Where a path K3s's processes (and its containerd) use is on the host.
    pub(crate) fn k3s_host_path(&self, path: &str) -> String {
        let Some((dd, run)) = &self.rootless else {
            return path.to_string();
        };
        let mounts = [
            ("/var/log", format!("{dd}/logs")),
            ("/var/lib/cni", format!("{dd}/cni")),
            ("/var/lib/kubelet", format!("{dd}/kubelet")),
            ("/etc/rancher", format!("{dd}/etc/rancher")),
            ("/run/k3s/containerd", format!("{run}/k3s/containerd")),
        ];
        let cleaned = crate::go::filepath::clean(path);
        for (target, source) in mounts {
            if cleaned == target {
                return source;
            }
            if let Some(rest) = cleaned
                .strip_prefix(target)
                .and_then(|r| r.strip_prefix('/'))
            {
                return format!("{source}/{rest}");
            }
        }
        path.to_string()
    }

    /// A path K3s's processes use, to read here.
    pub(crate) fn k3s(&self, path: &str) -> PathBuf {
        self.host(&self.k3s_host_path(path))
    }

    /// The node path of a path here (the root prefix taken off, when it has it).
    pub(crate) fn node_path_of(&self, local: &Path) -> String {
        if self.root == Path::new("/") {
            return local.display().to_string();
        }
        match local.strip_prefix(&self.root) {
            Ok(rest) => format!("/{}", rest.display()),
            Err(_) => local.display().to_string(),
        }
    }
}

/// `path` on the node, read under `root`.
pub(crate) fn under_root(root: &Path, path: &str) -> PathBuf {
    if root == Path::new("/") {
        PathBuf::from(path)
    } else {
        root.join(path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit install.sh writes (create_systemd_service_file) for
    /// `INSTALL_K3S_EXEC="server --data-dir /opt/k3s --node-label 'a=b c'"`.
    const INSTALL_SH_UNIT: &str = "[Unit]\nDescription=Lightweight Kubernetes\nDocumentation=https://k3s.io\nWants=network-online.target\nAfter=network-online.target\n\n[Install]\nWantedBy=multi-user.target\n\n[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nKillMode=process\nDelegate=yes\nUser=root\n# Having non-zero Limit*s causes performance problems due to accounting overhead\n# in the kernel. We recommend using cgroups to do container-local accounting.\nLimitNOFILE=1048576\nLimitNPROC=infinity\nLimitCORE=infinity\nTasksMax=infinity\nTimeoutStartSec=0\nRestart=always\nRestartSec=5s\nExecStartPre=-/sbin/modprobe br_netfilter\nExecStartPre=-/sbin/modprobe overlay\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--data-dir' \\\n\t'/opt/k3s' \\\n\t'--node-label' \\\n\t'a=b c' \\\n\n";

    #[test]
    fn install_sh_unit() {
        let mut u = Unit::default();
        parse_unit(INSTALL_SH_UNIT, "k3s.service", &mut u);
        assert_eq!(
            u.exec_start,
            [
                "/usr/local/bin/k3s",
                "server",
                "--data-dir",
                "/opt/k3s",
                "--node-label",
                "a=b c"
            ]
        );
        assert_eq!(
            u.environment_files,
            [
                ("/etc/default/k3s".to_string(), true),
                ("/etc/sysconfig/k3s".to_string(), true),
                ("/etc/systemd/system/k3s.service.env".to_string(), true),
            ]
        );
        let (bin, role, args) = split_exec_start(&u.exec_start).expect("server");
        assert_eq!((bin.as_str(), role), ("/usr/local/bin/k3s", Role::Server));
        assert_eq!(args[..2], ["--data-dir", "/opt/k3s"]);
    }

    #[test]
    fn drop_ins_replace_exec_start_and_add_environment() {
        let mut u = Unit::default();
        parse_unit(INSTALL_SH_UNIT, "k3s.service", &mut u);
        parse_unit(
            "[Service]\nExecStart=\nExecStart=/opt/bin/k3s agent --selinux\nEnvironment=\"K3S_DATA_DIR=/srv/k3s\" K3S_X=1\n",
            "k3s.service",
            &mut u,
        );
        assert_eq!(u.exec_start, ["/opt/bin/k3s", "agent", "--selinux"]);
        assert_eq!(
            u.environment,
            [
                ("K3S_DATA_DIR".to_string(), "/srv/k3s".to_string()),
                ("K3S_X".to_string(), "1".to_string())
            ]
        );
    }

    #[test]
    fn env_files_as_install_sh_writes_them() {
        // create_env_file: `sh -c export` lines without `export`, single-quoted.
        let env = parse_env_file(
            "K3S_TOKEN='K10abc::server:xyz'\n# comment\nK3S_DATA_DIR=\"/opt/k3s\"\nK3S_URL=https://s:6443  \n",
            "/etc/systemd/system/k3s.service.env",
        );
        let pairs: Vec<(&str, &str)> = env
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("K3S_TOKEN", "K10abc::server:xyz"),
                ("K3S_DATA_DIR", "/opt/k3s"),
                ("K3S_URL", "https://s:6443")
            ]
        );
    }

    #[test]
    fn version_lines() {
        assert_eq!(
            parse_version_output("k3s version v1.34.3+k3s1 (48ffa7b6)\ngo version go1.24.11\n"),
            Some("v1.34.3+k3s1".to_string())
        );
        assert_eq!(parse_version_output("containerd v2\n"), None);
    }

    #[test]
    fn rootless_mounts_move_etc_rancher() {
        let fs = NodeFs::new(Path::new("/")).rootless("/home/u/.rancher/k3s", "/run/user/1000");
        assert_eq!(
            fs.k3s("/etc/rancher/k3s/registries.yaml"),
            PathBuf::from("/home/u/.rancher/k3s/etc/rancher/k3s/registries.yaml")
        );
        assert_eq!(
            fs.k3s("/etc/rancher"),
            PathBuf::from("/home/u/.rancher/k3s/etc/rancher")
        );
        assert_eq!(fs.k3s("/etc/ranchers/x"), PathBuf::from("/etc/ranchers/x"));
        assert_eq!(
            fs.k3s("/home/u/.rancher/k3s/agent/etc/containerd"),
            PathBuf::from("/home/u/.rancher/k3s/agent/etc/containerd")
        );
        // The config file is read before the mounts exist.
        assert_eq!(
            fs.host("/etc/rancher/k3s/config.yaml"),
            PathBuf::from("/etc/rancher/k3s/config.yaml")
        );
    }

    #[test]
    fn roots() {
        assert_eq!(
            under_root(Path::new("/"), "/etc/rancher"),
            PathBuf::from("/etc/rancher")
        );
        assert_eq!(
            under_root(Path::new("/tmp/n"), "/etc/rancher"),
            PathBuf::from("/tmp/n/etc/rancher")
        );
    }
}
