//! Rendering: [`Model`] -> the text of `config.toml` and each `hosts.toml`, through the tera
//! templates in `templates/` (embedded at build time) and K3s's `trimEmpty`.
//!
//! The templates follow K3s's `pkg/agent/templates/templates.go` line for line in what they print.
//! Go's template semantics are made explicit in the context we pass: maps become sorted `Vec`s
//! (Go ranges over map keys in sorted order), truthiness becomes booleans (`has_tls` is Go's
//! non-nil pointer), and `printf "%q"` is the `go_quote` filter. Values K3s inserts raw stay raw,
//! even where that makes invalid TOML: parity means writing what K3s writes.
//!
//! tera renders text, and Go strings are bytes: a [`GoString`] enters the template context
//! through `Transport::encode`, an injective spelling of any bytes as text (see there), and the
//! rendered text is turned back into bytes by `Transport::decode`. The `go_quote` filter decodes
//! its argument and quotes the bytes, and Go's quoting never prints the transport's marker raw.
//!
//! hosts.toml and the credential lines of config.toml are rendered through skeletons (see
//! [`Renderer`]): tera renders each distinct shape once with numbered slots in place of the
//! values, and each file is its shape's skeleton with its values put in (quoted where the
//! template quotes them). Tests check that this gives tera's bytes for any values.
//!
//! Files are rendered once, with the real secrets; each file records where its secrets are
//! ([`SecretSpan`]), and the preview masks them when it prints.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::Serialize;
use tera::{Tera, Value};

use crate::containerd::cri::parse_config_toml;
use crate::containerd::hosts_dir::CertsTree;
use crate::containerd::NodeView;
use crate::go::filepath;
use crate::go::quote::quote;
use crate::go::string::{ByteSlice, GoString};
use crate::go::url::Url;
use crate::k3s::model::{HostConfig, Model, RegistryEndpoint, PROGRAM};
use crate::k3s::node::ConfigVersion;
use crate::registries::{AuthConfig, Registry};
use crate::secret::{SecretSpan, MASK};

/// Where the files go, relative to K3s's `<data-dir>/agent/etc/containerd`.
pub(crate) const CONFIG_TOML: &str = "config.toml";
/// The certs.d directory, relative to the same.
pub(crate) const CERTS_D: &str = "certs.d";
/// What a masked URL password prints as (Go's `URL.Redacted`).
const URL_PASSWORD_MASK: &str = "xxxxx";

const HOSTS_TEMPLATE: &str = include_str!("../../templates/hosts.toml.tera");
const CONFIG_V3_TEMPLATE: &str = include_str!("../../templates/config-v3.toml.tera");
const CONFIG_V2_TEMPLATE: &str = include_str!("../../templates/config-v2.toml.tera");
const AUTH_TEMPLATE: &str = include_str!("../../templates/auth.tera");
/// The templates' names.
const HOSTS_TOML: &str = "hosts.toml";
const AUTH_LINES: &str = "auth.tera";

/// One rendered hosts.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostsFile {
    /// The certs.d directory name, as K3s names it (the registry key; `_default` for `*`).
    pub(crate) dir: GoString,
    /// The file's bytes.
    pub(crate) contents: Vec<u8>,
    /// Where the passwords of endpoint URLs are.
    pub(crate) secrets: Vec<SecretSpan>,
}

/// Everything K3s writes for a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// `config.toml`'s bytes.
    pub(crate) config_toml: Vec<u8>,
    /// Where config.toml's passwords, `auth` strings and identity tokens are.
    pub(crate) config_secrets: Vec<SecretSpan>,
    /// Every hosts.toml, sorted by directory name.
    pub(crate) hosts: Vec<HostsFile>,
}

impl Rendered {
    /// The files as containerd finds them on the node `model` was built for: the hosts files
    /// as a certs.d tree rooted at the node's registry directory, and config.toml's registry
    /// settings. The tree borrows the hosts files.
    pub(crate) fn on_node(&self, model: &Model) -> NodeView<'_> {
        NodeView {
            tree: CertsTree::from_rendered(
                CERTS_D,
                &model.paths.registry_dir,
                self.hosts
                    .iter()
                    .map(|h| (h.dir.as_bytes(), h.contents.as_slice())),
            ),
            config: Some(parse_config_toml(&self.config_toml)),
        }
    }
}

/// A rendering failure. K3s fails the same way (and refuses to start).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    /// A template could not be rendered (a bug in our templates, never in the input).
    #[error("template {name}")]
    Template {
        /// Which template.
        name: &'static str,
        /// tera's error.
        #[source]
        source: tera::Error,
    },
    /// K3s's `trimEmpty` reads lines with a `bufio.Scanner`, whose longest line is 64 KiB: a longer
    /// line fails the render, and K3s with it.
    #[error("{file}: bufio.Scanner: token too long (a line of {len} bytes; K3s's trimEmpty reads at most 65535)")]
    LineTooLong {
        /// Which file.
        file: String,
        /// The line's length in bytes.
        len: usize,
    },
}

/// The renderer: the templates, parsed once.
///
/// hosts.toml files are many and alike: their text depends on the values only where a value is
/// printed (raw or through `go_quote`), and on which values are empty, which flags are set and
/// how long the lists are (the file's shape ([`HostsCtx`])). tera renders each shape once, with every
/// non-empty value replaced by a numbered slot ([`Skeleton`]); each file of that shape is then
/// its skeleton with the values put in the slots. A 10,000-mirror file has a handful of shapes.
#[derive(Debug)]
pub(crate) struct Renderer {
    tera: Tera,
    /// The hosts and auth templates, whose `go_quote` marks quoted slots instead of quoting.
    skeletons: Tera,
    /// hosts.toml's skeletons rendered so far.
    hosts: Skeletons<HostsCtx>,
    /// The credential lines' skeletons rendered so far.
    auths: Skeletons<AuthLinesCtx>,
}

impl Renderer {
    /// Parse the embedded templates.
    pub(crate) fn new() -> Result<Self, RenderError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![]);
        tera.register_filter("go_quote", go_quote_filter);
        tera.add_raw_templates(vec![
            ("config-v3.toml", CONFIG_V3_TEMPLATE),
            ("config-v2.toml", CONFIG_V2_TEMPLATE),
        ])
        .map_err(|source| RenderError::Template {
            name: "templates",
            source,
        })?;
        let mut skeletons = Tera::default();
        skeletons.autoescape_on(vec![]);
        skeletons.register_filter("go_quote", slot_quote_filter);
        skeletons
            .add_raw_templates(vec![
                (HOSTS_TOML, HOSTS_TEMPLATE),
                (AUTH_LINES, AUTH_TEMPLATE),
            ])
            .map_err(|source| RenderError::Template {
                name: "templates",
                source,
            })?;
        Ok(Renderer {
            tera,
            skeletons,
            hosts: Skeletons::new(HOSTS_TOML),
            auths: Skeletons::new(AUTH_LINES),
        })
    }

    /// Render every file K3s writes for the model.
    pub(crate) fn render(&self, model: &Model) -> Result<Rendered, RenderError> {
        let hosts = model
            .hosts
            .iter()
            .map(|(dir, host)| self.render_hosts(dir.clone(), host))
            .collect::<Result<Vec<_>, _>>()?;
        let (config_toml, config_secrets) = self.render_config(model)?;
        Ok(Rendered {
            config_toml,
            config_secrets,
            hosts,
        })
    }

    /// [`Self::render`], consuming the model: each host's model is dropped once its file is
    /// rendered, which keeps the peak memory of a large file down.
    pub(crate) fn render_owned(&self, mut model: Model) -> Result<Rendered, RenderError> {
        let hosts = std::mem::take(&mut model.hosts)
            .into_iter()
            .map(|(dir, host)| self.render_hosts(dir, &host))
            .collect::<Result<Vec<_>, _>>()?;
        let (config_toml, config_secrets) = self.render_config(&model)?;
        Ok(Rendered {
            config_toml,
            config_secrets,
            hosts,
        })
    }

    /// [`Self::render`] for a reader that looks up only some certs.d directories (`wanted`, by
    /// the name containerd finds: see [`CertsTree::found_as`]), as explain does for one image:
    /// config.toml and the wanted hosts files. The others are rendered too when one of them could
    /// fail to render (a line too long for trimEmpty), since K3s then fails, and so do we.
    /// The hosts it does not render leave the model first, which keeps a large file's peak
    /// memory down.
    pub(crate) fn render_for(
        &self,
        model: &mut Model,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Rendered, RenderError> {
        let keep = |dir: &GoString| CertsTree::found_as(dir.as_bytes()).is_some_and(|n| wanted(&n));
        let all = model
            .hosts
            .iter()
            .any(|(dir, host)| !keep(dir) && !lines_fit(host));
        if !all {
            model.hosts.retain(|dir, _| keep(dir));
        }
        self.render(model)
    }

    fn render_hosts(&self, dir: GoString, host: &HostConfig) -> Result<HostsFile, RenderError> {
        let mut slots = Slots::default();
        let shape = HostsCtx::new(host, &mut slots);
        let skeleton = self.hosts.get(&self.skeletons, shape)?;
        let contents =
            trim_empty(&skeleton.fill(&slots.values)).map_err(|len| RenderError::LineTooLong {
                file: format!("{CERTS_D}/{dir}/hosts.toml"),
                len,
            })?;
        let mut secrets = Vec::new();
        for url in &slots.urls {
            url_password_spans(&contents, url, &mut secrets);
        }
        secrets.sort_by_key(|s| s.range.start);
        secrets.dedup();
        Ok(HostsFile {
            dir,
            contents,
            secrets,
        })
    }

    fn render_config(&self, model: &Model) -> Result<(Vec<u8>, Vec<SecretSpan>), RenderError> {
        let p = &model.paths;
        let n = &model.node;
        let era = n.era();
        let imports_dir = match n.config_version {
            ConfigVersion::V2 => "config.toml.d",
            ConfigVersion::V3 => "config-v3.toml.d",
        };
        let ctx = ConfigCtx {
            program: PROGRAM,
            era: EraCtx {
                imports: era
                    .imports
                    .then(|| text(&filepath::join(&[&p.template_dir, imports_dir, "*.toml"]))),
                v3_header_template: era.v3_header_template,
                use_local_image_pull: era.use_local_image_pull,
                cni_bin_dirs: era.cni_bin_dirs,
                rootless_disables_nri: era.rootless_disables_nri,
            },
            // K3s's templates test `eq .NodeConfig.AgentConfig.Snapshotter "nix"` from the era
            // that knows the nix snapshotter on; before it, "nix" is a name like any other.
            nix_snapshotter: era.nix_snapshotter && n.snapshotter == "nix",
            root: text(&p.root),
            state: text(&p.state),
            address: text(&p.address),
            opt: text(&p.root),
            selinux: n.selinux,
            enable_unprivileged: true,
            nonroot_devices: n.nonroot_devices,
            snapshotter: text(&n.snapshotter),
            pause_image: text(&n.pause_image),
            cni_bin_dir: text(&p.cni_bin_dir),
            cni_conf_dir: text(&p.cni_conf_dir),
            blockio_config: text(&p.blockio_config),
            rdt_config: text(&p.rdt_config),
            // SetupContainerdConfig: `Systemd = !isRunningInUserNS && cpuset && INVOCATION_ID`
            // (a systemd service on a cgroup v2 host, unless rootless).
            systemd_cgroup: !n.rootless,
            rootless: n.rootless,
            registry_dir: text(&p.registry_dir),
            image_service_socket: text(&p.image_service_socket),
            auths: model
                .registry
                .configs
                .iter()
                .filter_map(|(key, c)| c.auth.as_ref().map(|a| self.auth(key, a)))
                .collect::<Result<_, _>>()?,
        };
        let name = match n.config_version {
            ConfigVersion::V2 => "config-v2.toml",
            ConfigVersion::V3 => "config-v3.toml",
        };
        let text = self.render_one(name, &ctx)?;
        let bytes =
            trim_empty(&Transport::decode(&text)).map_err(|len| RenderError::LineTooLong {
                file: CONFIG_TOML.to_string(),
                len,
            })?;
        let mut secrets = Vec::new();
        credential_spans(&bytes, &model.registry, &mut secrets);
        secrets.sort_by_key(|s| s.range.start);
        secrets.dedup();
        Ok((bytes, secrets))
    }

    /// One credential's context: its key and its lines (auth.tera's text, through its skeleton).
    fn auth(&self, key: &GoString, a: &AuthConfig) -> Result<AuthCtx, RenderError> {
        let mut slots = Slots::default();
        let shape = AuthLinesCtx {
            a: AuthLines {
                username: slots.put(&a.username),
                password: slots.put(&a.password),
                auth: slots.put(&a.auth),
                identitytoken: slots.put(&a.identity_token),
            },
        };
        let lines = self.auths.get(&self.skeletons, shape)?.fill(&slots.values);
        Ok(AuthCtx {
            key: go(key),
            lines: Transport::encode(&lines),
        })
    }

    fn render_one(&self, name: &'static str, ctx: &impl Serialize) -> Result<String, RenderError> {
        let context = tera::Context::from_serialize(ctx)
            .map_err(|source| RenderError::Template { name, source })?;
        self.tera
            .render(name, &context)
            .map_err(|source| RenderError::Template { name, source })
    }
}

/// Render a model with a fresh [`Renderer`].
#[cfg(test)]
pub(crate) fn render(model: &Model) -> Result<Rendered, RenderError> {
    Renderer::new()?.render(model)
}

/// Every line `  <field> = <%q of value>` of a rendered config.toml (the auth template's lines),
/// for every credential of `registry`: the quoted text between the quotes is the secret. Every
/// such line is marked, so a value repeated elsewhere in the same form is masked too, never the
/// other way round. One pass over the file, looking each such line up among the credentials
/// (searching the file once per credential made a large file quadratic).
fn credential_spans(bytes: &[u8], registry: &Registry, out: &mut Vec<SecretSpan>) {
    const FIELDS: [&str; 3] = ["password", "auth", "identitytoken"];
    let mut quoted: [HashSet<Vec<u8>>; 3] = Default::default();
    for a in registry.configs.values().filter_map(|c| c.auth.as_ref()) {
        for (set, value) in quoted
            .iter_mut()
            .zip([&a.password, &a.auth, &a.identity_token])
        {
            if !value.is_empty() {
                set.insert(quote(value).into_bytes());
            }
        }
    }
    if quoted.iter().all(HashSet::is_empty) {
        return;
    }
    // A line counts only when a `\n` precedes and follows it (the first line never does).
    let mut lines = bytes.split(|&b| b == b'\n');
    let mut offset = lines.next().map_or(0, |first| first.len() + 1);
    let mut lines = lines.peekable();
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len() + 1;
        if lines.peek().is_none() {
            break; // not followed by `\n`
        }
        let Some(rest) = line.strip_prefix(b"  ") else {
            continue;
        };
        for (field, set) in FIELDS.iter().zip(&quoted) {
            let Some(value) = rest
                .strip_prefix(field.as_bytes())
                .and_then(|r| r.strip_prefix(b" = "))
            else {
                continue;
            };
            if set.contains(value) {
                let from = start + 2 + field.len() + 3 + 1;
                out.push(SecretSpan {
                    range: from..from + value.len() - 2,
                    mask: MASK,
                });
            }
        }
    }
}

/// Whether every line of `host`'s hosts.toml is surely shorter than trimEmpty's limit (so that
/// rendering it cannot fail): a line holds at most one URL, two `%q`-quoted paths (at most four
/// bytes per byte) or one rewrite, plus a few dozen bytes of TOML.
fn lines_fit(host: &HostConfig) -> bool {
    const LIMIT: usize = 64 * 1024 - 256;
    host.default.iter().chain(host.endpoints.iter()).all(|e| {
        let url = e.url.as_ref().map_or(0, |u| u.string().len());
        let tls = e.config.tls.as_ref().map_or(0, |t| {
            4 * (t.ca_file.len().max(t.cert_file.len() + t.key_file.len()))
        });
        let rewrites = e
            .rewrites
            .iter()
            .map(|(p, r)| p.len() + r.len())
            .max()
            .unwrap_or(0);
        url.max(tls).max(rewrites) < LIMIT
    })
}

/// The password of an endpoint URL (`scheme://user:password@host...`, as `URL.String` prints
/// it) wherever the URL is in a rendered hosts.toml; a user name without a password is a token
/// (`https://TOKEN@host`) and is masked whole.
fn url_password_spans(bytes: &[u8], url: &[u8], out: &mut Vec<SecretSpan>) {
    let Some(after_scheme) = url.find("://").map(|i| i + 3) else {
        return;
    };
    let Some(at) = url[after_scheme..]
        .find_byte(b'@')
        .map(|i| after_scheme + i)
    else {
        return;
    };
    // The user name is escaped, `:` included, so the first `:` ends it.
    let (from, mask) = match url[after_scheme..at].find_byte(b':') {
        Some(colon) => (after_scheme + colon + 1, URL_PASSWORD_MASK),
        None => (after_scheme, MASK),
    };
    if from == at {
        return;
    }
    for start in find_all(bytes, url) {
        out.push(SecretSpan {
            range: start + from..start + at,
            mask,
        });
    }
}

fn find_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    (0..hay.len().saturating_sub(needle.len()) + 1)
        .filter(move |&i| !needle.is_empty() && hay[i..].starts_with(needle))
}

/// `printf "%q"` as a tera filter: Go's `strconv.Quote` of the Go string's bytes.
fn go_quote_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    match value {
        Value::String(s) => Ok(Value::String(quote(Transport::decode(s)))),
        other => Err(tera::Error::msg(format!(
            "go_quote expects a string, got {other}"
        ))),
    }
}

/// How Go strings travel through tera, which only renders text.
///
/// [`Transport::encode`] spells any bytes as text: valid UTF-8 as it is, except the marker
/// U+FDD0, which is doubled; every byte that is not part of valid UTF-8 as the marker and two
/// lower-case hex digits. [`Transport::decode`] undoes it, so `decode(encode(b)) == b` for all
/// bytes, and no real character is ever read as a byte. Decoding a whole rendered file is safe
/// because nothing else in it holds the marker: the templates do not, and `go_quote`'s output
/// never does (U+FDD0 is a noncharacter, which Go's `%q` prints as `\ufdd0`).
struct Transport;

impl Transport {
    const MARKER: char = '\u{FDD0}';

    /// Bytes to text.
    fn encode(b: &[u8]) -> String {
        // Almost every value: valid UTF-8 without the marker, spelled as it is.
        if let Ok(text) = std::str::from_utf8(b) {
            if !text.contains(Self::MARKER) {
                return text.to_string();
            }
        }
        let mut out = String::with_capacity(b.len());
        for chunk in b.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == Self::MARKER {
                    out.push(Self::MARKER);
                }
                out.push(c);
            }
            for byte in chunk.invalid() {
                out.push(Self::MARKER);
                out.push_str(&format!("{byte:02x}"));
            }
        }
        out
    }

    /// Text back to bytes.
    fn decode(s: &str) -> Cow<'_, [u8]> {
        if !s.contains(Self::MARKER) {
            return Cow::Borrowed(s.as_bytes());
        }
        let mut out = Vec::with_capacity(s.len());
        let mut chars = s.chars();
        let mut buf = [0u8; 4];
        while let Some(c) = chars.next() {
            if c != Self::MARKER {
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            match chars.next() {
                Some(Self::MARKER) => {
                    out.extend_from_slice(Self::MARKER.encode_utf8(&mut buf).as_bytes());
                }
                Some(h) => {
                    let l = chars.next().unwrap_or('0');
                    let hex = |d: char| d.to_digit(16).unwrap_or(0) as u8;
                    out.push(hex(h) << 4 | hex(l));
                }
                None => {}
            }
        }
        Cow::Owned(out)
    }
}

/// The skeletons of one template, rendered by tera the first time each shape is asked for.
#[derive(Debug)]
struct Skeletons<S> {
    template: &'static str,
    cache: RefCell<HashMap<S, Rc<Skeleton>>>,
}

impl<S: Serialize + Eq + std::hash::Hash> Skeletons<S> {
    fn new(template: &'static str) -> Self {
        Skeletons {
            template,
            cache: RefCell::default(),
        }
    }

    /// The skeleton for `shape`, rendered with `tera` (whose `go_quote` is the slots') unless
    /// it was before.
    fn get(&self, tera: &Tera, shape: S) -> Result<Rc<Skeleton>, RenderError> {
        if let Some(s) = self.cache.borrow().get(&shape) {
            return Ok(Rc::clone(s));
        }
        let name = self.template;
        let context = tera::Context::from_serialize(&shape)
            .map_err(|source| RenderError::Template { name, source })?;
        let text = tera
            .render(name, &context)
            .map_err(|source| RenderError::Template { name, source })?;
        let skeleton = Rc::new(Skeleton::parse(&text));
        self.cache.borrow_mut().insert(shape, Rc::clone(&skeleton));
        Ok(skeleton)
    }
}

/// A Go string as a template value.
fn go(s: &GoString) -> String {
    Transport::encode(s.as_bytes())
}

/// Text (node settings) as a template value.
fn text(s: &str) -> String {
    Transport::encode(s.as_bytes())
}

/// K3s's `trimEmpty`: drop lines that are empty or white space (Go's `strings.TrimSpace`, Unicode
/// white space), put one empty line before each line that starts with `[`, end every line with
/// `\n`. Lines are read as `bufio.ScanLines` reads them: split at `\n`, one trailing `\r` dropped.
/// The scanner's buffer is 64 KiB, so a line of 65536 bytes or more fails; the error carries the
/// line's length.
pub(crate) fn trim_empty(bytes: &[u8]) -> Result<Vec<u8>, usize> {
    /// `bufio.MaxScanTokenSize`: a line and its `\n` must fit.
    const MAX_LINE: usize = 64 * 1024;
    let mut out = Vec::with_capacity(bytes.len());
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(out);
    }
    for raw in body.split(|&b| b == b'\n') {
        if raw.len() >= MAX_LINE {
            return Err(raw.len());
        }
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if is_blank(line) {
            continue;
        }
        if line.first() == Some(&b'[') {
            out.push(b'\n');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    Ok(out)
}

/// Go's `strings.TrimSpace(line) == ""`: every rune is Unicode white space (an invalid byte is
/// not).
fn is_blank(line: &[u8]) -> bool {
    // ASCII first (Unicode's White_Space there is \t, \n, \v, \f, \r and space): a line of
    // TOML almost always has a printable ASCII byte after its indentation.
    let Some(i) = line.iter().position(|b| !matches!(b, b'\t'..=b'\r' | b' ')) else {
        return true;
    };
    if line[i].is_ascii() {
        return false;
    }
    line[i..]
        .utf8_chunks()
        .all(|chunk| chunk.invalid().is_empty() && chunk.valid().chars().all(char::is_whitespace))
}

/// The context of the hosts template for one file, every non-empty value replaced by its slot:
/// the file's shape. Files of one shape differ only in what their slots hold.
#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
struct HostsCtx {
    program: &'static str,
    default: Option<EndpointCtx>,
    endpoints: Vec<EndpointCtx>,
}

impl HostsCtx {
    fn new<'a>(host: &'a HostConfig, slots: &mut Slots<'a>) -> Self {
        HostsCtx {
            program: PROGRAM,
            default: host.default.as_ref().map(|e| EndpointCtx::new(e, slots)),
            endpoints: host
                .endpoints
                .iter()
                .map(|e| EndpointCtx::new(e, slots))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
struct EndpointCtx {
    has_url: bool,
    url: String,
    override_path: bool,
    has_tls: bool,
    ca_file: String,
    has_client: bool,
    cert_file: String,
    key_file: String,
    skip_verify: bool,
    rewrites: Vec<(String, String)>,
}

impl EndpointCtx {
    fn new<'a>(e: &'a RegistryEndpoint, slots: &mut Slots<'a>) -> Self {
        static NO_TLS: std::sync::OnceLock<crate::registries::TlsConfig> =
            std::sync::OnceLock::new();
        let tls = e
            .config
            .tls
            .as_ref()
            .unwrap_or_else(|| NO_TLS.get_or_init(Default::default));
        EndpointCtx {
            has_url: e.url.is_some(),
            url: e.url.as_ref().map(|u| slots.url(u)).unwrap_or_default(),
            override_path: e.override_path,
            has_tls: e.config.tls.is_some(),
            has_client: !tls.cert_file.is_empty() || !tls.key_file.is_empty(),
            ca_file: slots.put(&tls.ca_file),
            cert_file: slots.put(&tls.cert_file),
            key_file: slots.put(&tls.key_file),
            skip_verify: tls.insecure_skip_verify,
            rewrites: e
                .rewrites
                .iter()
                .map(|(k, v)| (slots.put(k), slots.put(v)))
                .collect(),
        }
    }
}

/// A slot in a skeleton's text: `SLOT`, the value's number, `SLOT`; `QUOTED_SLOT` likewise for a
/// value printed through `go_quote`. Both are noncharacters: the template holds neither, and no
/// value enters the skeleton's rendering (they are all slots), so the text holds no other.
const SLOT: char = '\u{FDD1}';
const QUOTED_SLOT: char = '\u{FDD2}';

/// The values of one hosts.toml, in the order its shape numbers them.
#[derive(Default)]
struct Slots<'a> {
    values: Vec<Cow<'a, [u8]>>,
    /// The endpoint URLs as printed (where their passwords are looked for).
    urls: Vec<Vec<u8>>,
}

impl<'a> Slots<'a> {
    /// `value`'s slot, or the empty string for an empty value (which the template tests, and
    /// prints as nothing or as `""`).
    fn put(&mut self, value: &'a GoString) -> String {
        self.slot(Cow::Borrowed(value.as_bytes()))
    }

    /// The slot of an endpoint URL as Go's `URL.String` prints it.
    fn url(&mut self, url: &Url) -> String {
        let printed = url.string().into_bytes();
        self.urls.push(printed.clone());
        self.slot(Cow::Owned(printed))
    }

    fn slot(&mut self, value: Cow<'a, [u8]>) -> String {
        if value.is_empty() {
            return String::new();
        }
        self.values.push(value);
        slot_text(SLOT, self.values.len() - 1)
    }
}

/// A slot's spelling: `delim`, `n` in decimal, `delim` (written out: `format!` costs more than
/// the rest of a file's slots).
fn slot_text(delim: char, n: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(2 * delim.len_utf8() + digits.len() - at);
    out.push(delim);
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
    out.push(delim);
    out
}

/// The number in a slot's spelling `delim` N `delim`, if `s` is one.
fn slot_number(s: &str, delim: char) -> Option<usize> {
    s.strip_prefix(delim)?.strip_suffix(delim)?.parse().ok()
}

/// The skeleton's `go_quote`: a slot becomes a quoted slot (quoted when the file is filled in);
/// the empty string is quoted as Go quotes it.
fn slot_quote_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    match value {
        Value::String(s) if s.is_empty() => Ok(Value::String(quote(""))),
        Value::String(s) => match slot_number(s, SLOT) {
            Some(n) => Ok(Value::String(slot_text(QUOTED_SLOT, n))),
            None => Err(tera::Error::msg(format!(
                "go_quote expects a slot, got {s:?}"
            ))),
        },
        other => Err(tera::Error::msg(format!(
            "go_quote expects a string, got {other}"
        ))),
    }
}

/// One piece of a skeleton.
#[derive(Debug)]
enum Piece {
    /// Template text.
    Text(Box<[u8]>),
    /// A value, printed raw.
    Raw(usize),
    /// A value, printed as Go's `%q` prints it.
    Quoted(usize),
}

/// hosts.toml as tera renders it for one shape ([`HostsCtx`]), cut at its slots.
#[derive(Debug)]
struct Skeleton {
    pieces: Vec<Piece>,
}

impl Skeleton {
    fn parse(text: &str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find([SLOT, QUOTED_SLOT]) {
            let delim = rest[at..].chars().next().unwrap_or(SLOT);
            let after = at + delim.len_utf8();
            let end = rest[after..].find(delim).map_or(rest.len(), |i| after + i);
            let number = rest[after..end].parse().unwrap_or(usize::MAX);
            if at > 0 {
                pieces.push(Piece::Text(rest.as_bytes()[..at].into()));
            }
            pieces.push(if delim == SLOT {
                Piece::Raw(number)
            } else {
                Piece::Quoted(number)
            });
            rest = rest.get(end + delim.len_utf8()..).unwrap_or("");
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.as_bytes().into()));
        }
        Skeleton { pieces }
    }

    /// The file's text before trimEmpty: the skeleton with `values` in its slots.
    fn fill(&self, values: &[Cow<'_, [u8]>]) -> Vec<u8> {
        let len = self.pieces.iter().map(|p| match p {
            Piece::Text(t) => t.len(),
            Piece::Raw(i) | Piece::Quoted(i) => values.get(*i).map_or(0, |v| v.len() + 2),
        });
        let mut out = Vec::with_capacity(len.sum());
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Raw(i) => out.extend_from_slice(values.get(*i).map_or(&[][..], |v| v)),
                Piece::Quoted(i) => {
                    out.extend_from_slice(quote(values.get(*i).map_or(&[][..], |v| v)).as_bytes());
                }
            }
        }
        out
    }
}

/// One credential of config.toml's `registry.configs`: the key, and the lines under its `auth`
/// table as auth.tera prints them.
#[derive(Serialize)]
struct AuthCtx {
    key: String,
    lines: String,
}

/// auth.tera's context: the credential `a`, its values in slots.
#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
struct AuthLinesCtx {
    a: AuthLines,
}

#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
struct AuthLines {
    username: String,
    password: String,
    auth: String,
    identitytoken: String,
}

/// What the node's K3s release changes in config.toml (see [`crate::k3s::versions::Era`]).
#[derive(Serialize)]
struct EraCtx {
    /// `imports`'s one path (`filepathjoin` of the template dir, the drop-in dir and `*.toml`).
    imports: Option<String>,
    v3_header_template: &'static str,
    use_local_image_pull: bool,
    cni_bin_dirs: bool,
    rootless_disables_nri: bool,
}

#[derive(Serialize)]
struct ConfigCtx {
    program: &'static str,
    era: EraCtx,
    nix_snapshotter: bool,
    root: String,
    state: String,
    address: String,
    opt: String,
    selinux: bool,
    enable_unprivileged: bool,
    nonroot_devices: bool,
    snapshotter: String,
    pause_image: String,
    cni_bin_dir: String,
    cni_conf_dir: String,
    blockio_config: String,
    rdt_config: String,
    systemd_cgroup: bool,
    rootless: bool,
    registry_dir: String,
    image_service_socket: String,
    auths: Vec<AuthCtx>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn trim(s: &str) -> String {
        String::from_utf8(trim_empty(s.as_bytes()).expect("short lines")).expect("utf-8")
    }

    /// Rendered once with the real secrets; the spans say where they are, for the preview.
    #[test]
    fn secrets_are_rendered_once_and_located() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://u:pw%40x@m.example.com\"]\nconfigs:\n  m.example.com:\n    auth: {username: u, password: \"s3\\\"cret\", identity_token: tok}\n";
        let loaded = crate::registries::load_str(yaml.as_bytes(), "r.yaml").expect("loads");
        let model = crate::k3s::translate::translate(&loaded.registry, &Default::default());
        let r = render(&model).expect("renders");
        let config = String::from_utf8(r.config_toml.clone()).expect("utf-8");
        assert!(config.contains("  password = \"s3\\\"cret\"\n"), "{config}");
        let masked =
            String::from_utf8(crate::secret::mask_spans(&r.config_toml, &r.config_secrets))
                .expect("utf-8");
        assert!(masked.contains("  password = \"********\"\n"), "{masked}");
        assert!(
            masked.contains("  identitytoken = \"********\"\n"),
            "{masked}"
        );
        assert!(masked.contains("  username = \"u\"\n"), "{masked}");
        let hosts = &r.hosts[0];
        let text = String::from_utf8(hosts.contents.clone()).expect("utf-8");
        assert!(text.contains("https://u:pw%40x@m.example.com/v2"), "{text}");
        let masked = String::from_utf8(crate::secret::mask_spans(&hosts.contents, &hosts.secrets))
            .expect("utf-8");
        assert!(
            masked.contains("[host.\"https://u:xxxxx@m.example.com/v2\"]"),
            "{masked}"
        );
        assert!(!masked.contains("pw"), "{masked}");
    }

    /// explain's rendering: the wanted directories and config.toml, byte for byte what a full
    /// render writes; the other hosts leave the model. When another host's file could fail to
    /// render, every file is rendered (and fails as K3s does).
    #[test]
    fn render_for_renders_the_wanted_dirs_and_drops_the_others() {
        let yaml = "mirrors:\n  a.example.com:\n    endpoint: [\"https://m.example.com\"]\n  b.example.com:\n    endpoint: [\"https://n.example.com\"]\nconfigs:\n  c.example.com:\n    auth: {username: u, password: secret-pw}\n";
        let loaded = crate::registries::load_str(yaml.as_bytes(), "r.yaml").expect("loads");
        let mut model = crate::k3s::translate::translate(&loaded.registry, &Default::default());
        let full = render(&model).expect("renders");
        let part = Renderer::new()
            .expect("templates")
            .render_for(&mut model, |name| name == "b.example.com")
            .expect("renders");
        assert_eq!(part.config_toml, full.config_toml);
        assert_eq!(part.hosts.len(), 1);
        assert_eq!(part.hosts[0].dir.as_bytes(), b"b.example.com");
        assert_eq!(
            Some(&part.hosts[0]),
            full.hosts
                .iter()
                .find(|h| h.dir.as_bytes() == b"b.example.com")
        );
        let left: Vec<&[u8]> = model.hosts.keys().map(|d| d.as_bytes()).collect();
        assert_eq!(left, [b"b.example.com".as_slice()]);

        // A rewrite too long for trimEmpty under another registry: everything is rendered.
        let long = format!(
            "mirrors:\n  a.example.com:\n    endpoint: [\"https://m.example.com\"]\n    rewrite: {{\"^a\": \"{}\"}}\n  b.example.com:\n    endpoint: [\"https://n.example.com\"]\n",
            "x".repeat(70_000)
        );
        let loaded = crate::registries::load_str(long.as_bytes(), "r.yaml").expect("loads");
        let mut model = crate::k3s::translate::translate(&loaded.registry, &Default::default());
        let err = Renderer::new()
            .expect("templates")
            .render_for(&mut model, |name| name == "b.example.com");
        assert!(
            matches!(err, Err(RenderError::LineTooLong { .. })),
            "{err:?}"
        );
        assert_eq!(model.hosts.len(), 2);
    }

    /// hosts.toml rendered the direct way: tera with the real values (through the transport) in
    /// the context, as config.toml is rendered. The skeletons must give the same bytes.
    fn render_hosts_directly(host: &HostConfig) -> Vec<u8> {
        let mut slots = Slots::default();
        let mut ctx = HostsCtx::new(host, &mut slots);
        let real = |s: &mut String| {
            if let Some(n) = slot_number(s, SLOT) {
                *s = Transport::encode(&slots.values[n]);
            }
        };
        for e in ctx.default.iter_mut().chain(ctx.endpoints.iter_mut()) {
            for s in [
                &mut e.url,
                &mut e.ca_file,
                &mut e.cert_file,
                &mut e.key_file,
            ] {
                real(s);
            }
            for (k, v) in &mut e.rewrites {
                real(k);
                real(v);
            }
        }
        trim_empty(&render_directly(HOSTS_TOML, &ctx)).expect("short lines")
    }

    /// A template rendered by a tera of its own, the values in the context (through the
    /// transport), `go_quote` quoting them.
    fn render_directly(name: &'static str, ctx: &impl Serialize) -> Vec<u8> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![]);
        tera.register_filter("go_quote", go_quote_filter);
        tera.add_raw_templates(vec![
            (HOSTS_TOML, HOSTS_TEMPLATE),
            (AUTH_LINES, AUTH_TEMPLATE),
        ])
        .expect("templates");
        let text = tera
            .render(name, &tera::Context::from_serialize(ctx).expect("context"))
            .expect("renders");
        Transport::decode(&text).into_owned()
    }

    fn go_bytes() -> impl Strategy<Value = GoString> {
        // Empty values, quotes, line breaks, invalid UTF-8, the transport's marker and the
        // skeleton's slot characters.
        proptest::collection::vec(
            prop_oneof![
                Just(b"".to_vec()),
                "[a-z/.:$^()*\\\"\n\r\t \\[\\]#=]{1,6}".prop_map(String::into_bytes),
                Just("\u{FDD0}".as_bytes().to_vec()),
                Just("\u{FDD1}0\u{FDD1}".as_bytes().to_vec()),
                Just("\u{FDD2}".as_bytes().to_vec()),
                Just(b"\xff\xfe".to_vec()),
                Just("\u{2028}\u{a0}".as_bytes().to_vec()),
            ],
            0..4,
        )
        .prop_map(|parts| GoString::from(parts.concat()))
    }

    fn endpoint() -> impl Strategy<Value = RegistryEndpoint> {
        let url = proptest::option::of(
            "(https?://)?(u(:p)?@)?[a-z]{1,5}(:[0-9]{1,4})?(/[a-z%0-9]{0,4}){0,2}"
                .prop_filter_map("parses", |u| crate::go::url::parse(u).ok()),
        );
        let tls = proptest::option::of((go_bytes(), go_bytes(), go_bytes(), any::<bool>()));
        let rewrites = proptest::collection::btree_map(go_bytes(), go_bytes(), 0..3);
        (url, any::<bool>(), tls, rewrites).prop_map(|(url, override_path, tls, rewrites)| {
            RegistryEndpoint {
                url: url.map(Box::new),
                override_path,
                rewrites,
                config: std::sync::Arc::new(crate::registries::RegistryConfig {
                    auth: None,
                    tls: tls.map(|(ca_file, cert_file, key_file, insecure_skip_verify)| {
                        crate::registries::TlsConfig {
                            ca_file,
                            cert_file,
                            key_file,
                            insecure_skip_verify,
                        }
                    }),
                }),
                ..RegistryEndpoint::default()
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Skeletons are tera's rendering with the values in place: the same bytes as rendering
        /// the values themselves, for any values (slot characters and invalid UTF-8 included),
        /// rendered after many others of the same and other shapes (the cache).
        #[test]
        fn skeletons_render_what_tera_renders(
            hosts in proptest::collection::vec(
                (proptest::option::of(endpoint()), proptest::collection::vec(endpoint(), 0..4)),
                1..6,
            )
        ) {
            let r = Renderer::new().expect("templates");
            for (default, endpoints) in hosts {
                let host = HostConfig { default, endpoints, mirror: None };
                let ours = r.render_hosts(GoString::from("d"), &host).expect("renders");
                let direct = render_hosts_directly(&host);
                prop_assert_eq!(ours.contents.as_bstr(), direct.as_bstr());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The credential lines through their skeletons are what auth.tera renders for the
        /// values themselves.
        #[test]
        fn auth_lines_are_what_tera_renders(
            auths in proptest::collection::vec((go_bytes(), go_bytes(), go_bytes(), go_bytes()), 1..6)
        ) {
            let r = Renderer::new().expect("templates");
            for (username, password, auth, identity_token) in auths {
                let a = AuthConfig { username, password, auth, identity_token };
                let ours = r.auth(&GoString::from("k"), &a).expect("renders");
                let real = |v: &GoString| Transport::encode(v.as_bytes());
                let direct = render_directly(AUTH_LINES, &AuthLinesCtx {
                    a: AuthLines {
                        username: real(&a.username),
                        password: real(&a.password),
                        auth: real(&a.auth),
                        identitytoken: real(&a.identity_token),
                    },
                });
                let ours = Transport::decode(&ours.lines).into_owned();
                prop_assert_eq!(ours.as_bstr(), direct.as_bstr());
            }
        }
    }

    #[test]
    fn slots_are_spelled_and_read_back() {
        for n in [0, 7, 10, 12345, usize::MAX] {
            let text = slot_text(SLOT, n);
            assert_eq!(text, format!("{SLOT}{n}{SLOT}"));
            assert_eq!(slot_number(&text, SLOT), Some(n));
            assert_eq!(slot_number(&text, QUOTED_SLOT), None);
        }
    }

    #[test]
    fn one_skeleton_serves_every_file_of_a_shape() {
        let yaml = "mirrors:\n  a.example.com:\n    endpoint: [\"https://m.example.com\"]\n  b.example.com:\n    endpoint: [\"https://n.example.com\"]\n  c.example.com:\n    endpoint: [\"https://o.example.com\", \"http://p.example.com\"]\n";
        let loaded = crate::registries::load_str(yaml.as_bytes(), "r.yaml").expect("loads");
        let model = crate::k3s::translate::translate(&loaded.registry, &Default::default());
        let r = Renderer::new().expect("templates");
        let rendered = r.render(&model).expect("renders");
        assert_eq!(rendered.hosts.len(), 3);
        assert_eq!(r.hosts.cache.borrow().len(), 2);
        for h in &rendered.hosts {
            let host = &model.hosts[&h.dir];
            assert_eq!(h.contents, render_hosts_directly(host), "{}", h.dir);
        }
    }

    #[test]
    fn trim_empty_drops_blank_lines_and_spaces_tables() {
        assert_eq!(trim("a\n\n  \nb\n[c]\n\t\n  [d]\n"), "a\nb\n\n[c]\n  [d]\n");
        assert_eq!(trim(""), "");
        assert_eq!(trim("\n\n"), "");
        // No trailing newline: the last line still counts; a trailing \r is dropped.
        assert_eq!(trim("a\r\nb"), "a\nb\n");
        // Unicode white space is white space to Go's TrimSpace too.
        assert_eq!(trim("\u{a0}\u{2028}\u{3000}\nx\n"), "x\n");
        // The first line starting with "[" gets a blank line too.
        assert_eq!(trim("[a]\n"), "\n[a]\n");
    }

    #[test]
    fn trim_empty_keeps_invalid_bytes_and_fails_on_long_lines() {
        assert_eq!(trim_empty(b"\xff\n"), Ok(b"\xff\n".to_vec()));
        assert_eq!(
            trim_empty("x".repeat(65535).as_bytes()).map(|v| v.len()),
            Ok(65536)
        );
        assert_eq!(trim_empty("x".repeat(65536).as_bytes()), Err(65536));
        assert_eq!(
            trim_empty(format!("{}\r\n", "x".repeat(65535)).as_bytes()),
            Err(65536)
        );
    }

    proptest! {
        #[test]
        // (Not with CRs: ScanLines drops one trailing CR a pass, so "[\r\r" needs two passes.)
        fn trim_empty_is_idempotent_on_its_output(s in "[a-c \\[\\]\t\n]{0,80}") {
            let once = trim_empty(s.as_bytes()).expect("short");
            // Its output only ever gains the blank lines it adds before "[" lines.
            let twice = trim_empty(&once).expect("short");
            prop_assert_eq!(once, twice);
        }
    }
}
