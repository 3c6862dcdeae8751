//! What every rule reads: the file as loaded (registry and source map), the model translated
//! from it for the node, the rendered files, and helpers that turn YAML paths into locations.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::Options;
use crate::containerd::gotoml::DecodeError;
use crate::containerd::hosts_dir::{CertFilesReason, PlainHttp, Resolution, Source};
use crate::containerd::hosts_toml::{Capabilities, HostOrigin};
use crate::containerd::{Flavor, NodeView};
use crate::diag::{Diagnostic, Location};
use crate::fs::PathError;
use crate::go::string::{display, BStr, GoString};
use crate::k3s::model::{HostConfig, Model, RegistryEndpoint};
use crate::k3s::node::NodeOptions;
use crate::k3s::render::{RenderError, Rendered};
use crate::k3s::translate::DEFAULT_DIR;
use crate::registries::{Registry, SourceMap};
use crate::yaml::Position;

/// A YAML path for [`Ctx::loc_key`] and [`Ctx::loc_value`]: each segment anything with bytes
/// (`"mirrors"`, a registry key, an index as text).
macro_rules! ypath {
    ($($seg:expr),* $(,)?) => {
        &[$($crate::go::string::BStr::new($seg)),*][..]
    };
}
#[allow(unused_imports)]
pub(crate) use ypath;
/// A registry name no file mentions (`.invalid` is reserved): it stands for every registry
/// without a directory of its own.
pub(crate) const OTHER_REGISTRY: &str = "other-registry.invalid";

/// The inputs of the rules, and the findings they add.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// The registries file's name, as given.
    pub(crate) file: &'a str,
    /// Its path, when it is a file.
    pub(crate) path: Option<&'a Path>,
    /// Its lines (decoded text).
    pub(crate) lines: Vec<&'a str>,
    /// The registry as loaded (before the embedded registry's injection).
    pub(crate) reg: &'a Registry,
    /// Positions and decoding notes.
    pub(crate) map: &'a SourceMap,
    /// The translated model.
    pub(crate) model: &'a Model,
    /// The rendered files, or why rendering failed (K3s fails the same way).
    pub(crate) rendered: Result<&'a Rendered, &'a RenderError>,
    /// What containerd makes of the rendered files (when they render).
    pub(crate) containerd: Option<&'a NodeView<'a>>,
    /// The node options.
    pub(crate) node: &'a NodeOptions,
    /// `--check-files`, `--allow`.
    pub(crate) opts: &'a Options,
    /// Findings so far.
    pub(crate) out: Vec<Diagnostic>,
    /// Other files read (node hosts.toml, config.toml): name and text, for the text printer.
    pub(crate) extra_sources: Vec<(String, String)>,
    /// Answers computed once: rules ask the same question for every registry or key, and
    /// recomputing them (a hosts.toml parse per registry, per question) made audit quadratic.
    /// Resolutions themselves are not kept (that costs more memory than the file), only what
    /// later rules need of them.
    pub(crate) memo: Memo,
}

/// What [`Ctx`] computes at most once per audit.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// [`Ctx::contacted_hosts`].
    contacted: OnceCell<Option<Vec<(String, String)>>>,
    /// The hosts of [`Ctx::contacted_hosts`].
    contacted_set: OnceCell<Option<HashSet<Vec<u8>>>>,
    /// [`Ctx::dirs_using_config`], for every key.
    config_dirs: OnceCell<HashMap<GoString, Vec<GoString>>>,
    /// [`Ctx::plain_http_hosts`] of every registry resolved so far.
    plain: RefCell<HashMap<String, Vec<PlainHost>>>,
    /// [`Ctx::dir_reading`] of every directory a resolution read so far.
    dirs: RefCell<HashMap<String, DirOutcome>>,
}

/// A host containerd may speak plain HTTP to, in a registry's resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlainHost {
    /// The request host.
    pub(crate) host: String,
    /// When plain HTTP is used (never [`PlainHttp::Never`]).
    pub(crate) how: PlainHttp,
    /// Where the host's entry came from.
    pub(crate) origin: HostOrigin,
}

/// What containerd made of one certs.d directory when it loaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DirOutcome {
    /// It was read: hosts.toml decoded, or there was none to decode.
    Read,
    /// hosts.toml does not decode: containerd ignores it.
    Invalid(DecodeError),
    /// It cannot be read: the pull fails.
    Unreadable(PathError),
}

impl<'a> Ctx<'a> {
    /// Adds a finding.
    pub(crate) fn emit(&mut self, f: Diagnostic) {
        self.out.push(f);
    }

    /// What containerd (the `--containerd` build) decides for `registry` from the rendered files.
    pub(crate) fn resolution(&self, registry: &str) -> Option<Resolution> {
        let res = self
            .containerd
            .map(|v| v.tree.configure_hosts(registry, self.flavor()))?;
        self.remember(registry, &res);
        Some(res)
    }

    /// Keeps what later rules ask of a resolution: the directory's reading and the plain-HTTP
    /// hosts (a few bytes per registry, where each question used to parse hosts.toml again).
    fn remember(&self, registry: &str, res: &Resolution) {
        if let Some(dir) = &res.lookup.chosen {
            let outcome = match (&res.error, &res.source) {
                (Some(e), _) => DirOutcome::Unreadable(e.clone()),
                (None, Source::CertFiles(CertFilesReason::Invalid(e))) => {
                    DirOutcome::Invalid(e.error.clone())
                }
                (None, _) => DirOutcome::Read,
            };
            self.memo
                .dirs
                .borrow_mut()
                .entry(dir.clone())
                .or_insert(outcome);
        }
        let plain = res
            .hosts
            .iter()
            .filter(|h| h.plain_http() != PlainHttp::Never)
            .map(|h| PlainHost {
                host: h.config.host.clone(),
                how: h.plain_http(),
                origin: h.config.origin.clone(),
            })
            .collect();
        self.memo
            .plain
            .borrow_mut()
            .insert(registry.to_string(), plain);
    }

    /// The hosts of `registry`'s resolution containerd may speak plain HTTP to, in order;
    /// `None` when the files do not render.
    pub(crate) fn plain_http_hosts(&self, registry: &str) -> Option<Vec<PlainHost>> {
        if let Some(p) = self.memo.plain.borrow().get(registry) {
            return Some(p.clone());
        }
        self.resolution(registry)?;
        self.memo.plain.borrow().get(registry).cloned()
    }

    /// What containerd made of directory `dir`, when a resolution has loaded it.
    pub(crate) fn dir_reading(&self, dir: &str) -> Option<DirOutcome> {
        self.memo.dirs.borrow().get(dir).cloned()
    }

    /// The containerd build that reads the files (`--containerd`).
    pub(crate) fn flavor(&self) -> Flavor {
        self.opts.flavor
    }

    /// The registry names an image can carry that this file configures (every mirrors and
    /// configs key that is a valid reference domain), plus `docker.io` and a name the file does
    /// not mention (which stands for every other registry: the `*` mirror's).
    pub(crate) fn image_registries(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .reg
            .mirrors
            .keys()
            .chain(self.reg.configs.keys())
            // Image references are text: a key that is not UTF-8 names no image's registry.
            .filter_map(|k| k.to_str())
            .filter(|k| {
                crate::containerd::image_ref::parse_docker_ref(&format!("{k}/x"))
                    .is_ok_and(|r| r.domain == *k)
            })
            .map(str::to_string)
            .collect();
        names.push(crate::containerd::docker::DOCKER_HUB.to_string());
        names.push(OTHER_REGISTRY.to_string());
        names.sort();
        names.dedup();
        names
    }

    /// Every request host containerd contacts for a pull from one of [`Self::image_registries`]
    /// (from the rendered files), with the registry it pulls for: the hosts credentials can
    /// reach. `None` when the files do not render.
    pub(crate) fn contacted_hosts(&self) -> Option<&[(String, String)]> {
        self.memo
            .contacted
            .get_or_init(|| self.compute_contacted_hosts())
            .as_deref()
    }

    /// Whether a pull contacts `host` (see [`Self::contacted_hosts`]); `None` when the files
    /// do not render.
    pub(crate) fn is_contacted(&self, host: &[u8]) -> Option<bool> {
        self.memo
            .contacted_set
            .get_or_init(|| {
                self.contacted_hosts()
                    .map(|c| c.iter().map(|(h, _)| h.as_bytes().to_vec()).collect())
            })
            .as_ref()
            .map(|set| set.contains(host))
    }

    fn compute_contacted_hosts(&self) -> Option<Vec<(String, String)>> {
        self.containerd?;
        let mut out = Vec::new();
        for registry in self.image_registries() {
            let Some(res) = self.resolution(&registry) else {
                continue;
            };
            if res.error.is_some() {
                continue;
            }
            for h in &res.hosts {
                if h.config.capabilities.has(Capabilities::PULL) && h.request_error.is_none() {
                    out.push((h.config.host.clone(), registry.clone()));
                }
            }
        }
        Some(out)
    }

    /// Where the key at `path` is (its nearest recorded ancestor's key when it has none; the
    /// file's start when nothing is recorded).
    pub(crate) fn loc_key(&self, path: &[&BStr]) -> Location {
        for n in (1..=path.len()).rev() {
            if let Some(e) = self.map.find(&path[..n]) {
                let width = self.token_width(e.key, true);
                return self.loc(e.key, width, path);
            }
        }
        Location {
            path: owned(path),
            ..Location::file_start(self.file)
        }
    }

    /// Where the value at `path` is.
    pub(crate) fn loc_value(&self, path: &[&BStr]) -> Location {
        match self.map.find(path) {
            Some(e) => {
                // A masked credential shows as the mask; do not let the caret tell its length.
                let width = if super::rules::yaml::is_secret_path(path) {
                    u32::try_from(crate::secret::MASK.chars().count()).unwrap_or(1)
                } else {
                    self.token_width(e.value, false)
                };
                self.loc(e.value, width, path)
            }
            None => self.loc_key(path),
        }
    }

    fn loc(&self, pos: Position, width: u32, path: &[&BStr]) -> Location {
        Location {
            file: self.file.to_string(),
            line: pos.line,
            column: pos.column,
            width,
            path: owned(path),
        }
    }

    /// The width of the scalar token at `pos` (a key when `key`), at least 1.
    fn token_width(&self, pos: Position, key: bool) -> u32 {
        let Some(line) = (pos.line as usize)
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
        else {
            return 1;
        };
        let chars: Vec<char> = line
            .chars()
            .skip((pos.column as usize).saturating_sub(1))
            .collect();
        let n = match chars.first() {
            None => 0,
            Some(q @ ('"' | '\'')) => {
                let mut i = 1;
                let mut end = chars.len();
                while i < chars.len() {
                    if chars[i] == '\\' && *q == '"' {
                        i += 2;
                        continue;
                    }
                    if chars[i] == *q {
                        if *q == '\'' && chars.get(i + 1) == Some(&'\'') {
                            i += 2;
                            continue;
                        }
                        end = i + 1;
                        break;
                    }
                    i += 1;
                }
                end
            }
            Some('{' | '[' | '|' | '>') => 1,
            Some(_) => {
                let before = line.chars().take((pos.column as usize).saturating_sub(1));
                let in_flow = before.into_iter().any(|c| c == '{' || c == '[');
                let stop = |i: usize| {
                    let c = chars[i];
                    let next_blank = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
                    (key && c == ':' && next_blank)
                        || (c == '#' && i > 0 && chars[i - 1].is_whitespace())
                        || (in_flow && matches!(c, ',' | '}' | ']'))
                };
                let mut end = (0..chars.len()).find(|&i| stop(i)).unwrap_or(chars.len());
                while end > 0 && chars[end - 1].is_whitespace() {
                    end -= 1;
                }
                end
            }
        };
        u32::try_from(n.max(1)).unwrap_or(1)
    }

    /// The embedded registry's address, when the embedded registry is on.
    pub(crate) fn embedded_addr(&self) -> Option<&'static str> {
        self.node.embedded_registry.then(|| self.node.mirror_addr())
    }

    /// Whether a mirrors/configs key or a certs.d directory is the one K3s injects for the
    /// embedded registry (not something the user wrote).
    pub(crate) fn is_injected(&self, key: impl AsRef<[u8]>) -> bool {
        self.embedded_addr().map(str::as_bytes) == Some(key.as_ref())
    }

    /// Where a model endpoint came from: its item in the mirror's `endpoint` list, or the
    /// registry key that made it (default endpoints).
    pub(crate) fn endpoint_loc(&self, hc: &HostConfig, ep: &RegistryEndpoint) -> Location {
        if let (Some(k), Some(_)) = (&hc.mirror, ep.index) {
            if let Some(si) = ep.source_index {
                let idx = si.to_string();
                return self.loc_value(ypath!["mirrors", k, "endpoint", &idx]);
            }
            return self.loc_key(ypath!["mirrors", k]);
        }
        if let Some(k) = &hc.mirror {
            return self.loc_key(ypath!["mirrors", k]);
        }
        match &ep.config_key {
            Some(k) => self.loc_key(ypath!["configs", k]),
            None => Location::file_start(self.file),
        }
    }

    /// The key that made certs.d directory `dir`: its mirrors key, else its configs key.
    pub(crate) fn dir_key(&self, dir: &BStr) -> Option<(&'static str, GoString)> {
        // The first key (in key order) naming `dir`: `*` names the default directory and sorts
        // before it; any other key names the directory of its own name. Looked up, not scanned:
        // rules ask this for every directory.
        let star = BStr::new("*");
        let find = |has: &dyn Fn(&BStr) -> bool| {
            if dir == DEFAULT_DIR && has(star) {
                Some(GoString::from(star))
            } else if dir != star && has(dir) {
                Some(GoString::from(dir))
            } else {
                None
            }
        };
        if let Some(k) = find(&|k| self.reg.mirrors.contains_key(k)) {
            return Some(("mirrors", k));
        }
        find(&|k| self.reg.configs.contains_key(k)).map(|k| ("configs", k))
    }

    /// The location of the key that made directory `dir`.
    pub(crate) fn dir_loc(&self, dir: &BStr) -> Location {
        match self.dir_key(dir) {
            Some((section, k)) => self.loc_key(ypath![section, &k]),
            None => Location::file_start(self.file),
        }
    }

    /// The certs.d directories (in model order) whose hosts.toml carries `configs.<key>`.
    pub(crate) fn dirs_using_config(&self, key: &GoString) -> &[GoString] {
        self.memo
            .config_dirs
            .get_or_init(|| {
                let mut by_key: HashMap<GoString, Vec<GoString>> = HashMap::new();
                for (dir, hc) in self.user_hosts() {
                    let mut keys: Vec<&GoString> = hc
                        .default
                        .iter()
                        .chain(hc.endpoints.iter())
                        .filter_map(|ep| ep.config_key.as_ref())
                        .collect();
                    keys.sort_unstable();
                    keys.dedup();
                    for k in keys {
                        by_key.entry(k.clone()).or_default().push(dir.clone());
                    }
                }
                by_key
            })
            .get(key)
            .map_or(&[], Vec::as_slice)
    }

    /// Every host configuration with the endpoints it renders (default first), skipping the
    /// embedded registry's own entry.
    pub(crate) fn user_hosts(&self) -> impl Iterator<Item = (&'a GoString, &'a HostConfig)> + '_ {
        self.model
            .hosts
            .iter()
            .filter(move |(dir, _)| !self.is_injected(dir))
    }
}

/// The port a URL reaches: the explicit one, else the scheme's.
pub(crate) fn effective_port(u: &crate::go::url::Url) -> &BStr {
    let port: &[u8] = u.port();
    match (port, u.scheme.as_bytes()) {
        (b"", b"http") => BStr::new("80"),
        (b"", _) => BStr::new("443"),
        _ => u.port(),
    }
}

fn owned(path: &[&BStr]) -> Vec<String> {
    path.iter().map(|s| display(s).into_owned()).collect()
}

/// A YAML path as messages show it: `configs."registry.example.com".tls.ca_file`. Registry
/// names and rewrite patterns are quoted; list items are `[i]`.
pub(crate) fn fmt_path<S: AsRef<[u8]>>(path: &[S]) -> String {
    let mut out = String::new();
    let text: Vec<std::borrow::Cow<'_, str>> = path.iter().map(|s| display(s.as_ref())).collect();
    for (i, seg) in text.iter().enumerate() {
        let seg = seg.as_ref();
        let parent = i.checked_sub(1).map(|p| text[p].as_ref());
        let is_map_key = (i == 1 && matches!(text[0].as_ref(), "mirrors" | "configs" | "auths"))
            || parent == Some("rewrite") && i == 3;
        let is_index = parent == Some("endpoint") && seg.bytes().all(|b| b.is_ascii_digit());
        if is_index {
            out.push_str(&format!("[{seg}]"));
            continue;
        }
        if i > 0 {
            out.push('.');
        }
        if is_map_key {
            out.push_str(&quote(seg));
        } else {
            out.push_str(seg);
        }
    }
    out
}

/// Double-quoted, with `"` and `\` escaped (bytes that are not UTF-8 as `\xNN`).
pub(crate) fn quote(s: impl AsRef<[u8]>) -> String {
    let s = display(s.as_ref());
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            fmt_path(&["configs", "registry.example.com", "tls", "ca_file"]),
            "configs.\"registry.example.com\".tls.ca_file"
        );
        assert_eq!(
            fmt_path(&["mirrors", "docker.io", "endpoint", "1"]),
            "mirrors.\"docker.io\".endpoint[1]"
        );
        assert_eq!(
            fmt_path(&["mirrors", "*", "rewrite", "^a\"b"]),
            "mirrors.\"*\".rewrite.\"^a\\\"b\""
        );
        assert_eq!(fmt_path(&["mirrors"]), "mirrors");
    }
}
