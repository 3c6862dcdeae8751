//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz) and for the regression corpus they
//! found, which `cargo test` replays (`tests/integration/fuzz_corpus.rs`). Not part of the
//! command-line tool's interface: hidden from the documentation, and nothing here prints.
//!
//! Each function takes arbitrary bytes, drives one part of the pipeline the way the tool does,
//! and panics only when an invariant breaks (a panic inside the tool is a finding too). The
//! invariants are ones Go's own code has, or ones this tool promises:
//! - [`yaml_loader`]: loading with and without positions gives the same registry or the same
//!   error; every error names at least one problem;
//! - [`url`]: a URL Go's `url.Parse` accepts prints (`String`) to text that parses again and
//!   prints the same; query and path escaping round-trip; K3s's endpoint normalisation never
//!   panics;
//! - [`quote`]: Go's `strconv.Quote` output is printable and unquotes to the input bytes;
//! - [`hosts_toml`], [`config_toml`]: containerd's readers never panic, and the TOML syntax
//!   check agrees with the parser;
//! - [`image_ref`]: a reference containerd accepts normalises to itself;
//! - [`render`]: the whole pipeline (load, translate, render, preview, explain, audit) never
//!   panics, and what is printed holds no terminal control character;
//! - [`secrets`]: nothing printed by render, explain or audit holds a secret of the input.
#![allow(clippy::unwrap_used)]

use crate::audit::{self, Input, NodeFiles, Options};
use crate::containerd::hosts_dir::CertsTree;
use crate::containerd::{cri, gotoml, hosts_toml, image_ref, Flavor};
use crate::explain::{explain, Files};
use crate::go;
use crate::go::string::GoString;
use crate::k3s::node::{ConfigVersion, NodeOptions};
use crate::k3s::render::Renderer;
use crate::k3s::translate::translate;
use crate::registries;
use crate::report::Reporter;
use crate::secret::{Secrets, MASK};

/// The YAML loader: positions never change the outcome.
pub fn yaml_loader(data: &[u8]) {
    let with = registries::load_str(data, "fuzz.yaml");
    let without = registries::load_str_without_positions(data, "fuzz.yaml");
    match (&with, &without) {
        (Ok(a), Ok(b)) => assert_eq!(a.registry, b.registry, "positions change the registry"),
        (Err(a), Err(b)) => assert_eq!(a, b, "positions change the error"),
        (a, b) => panic!(
            "positions change the outcome: {:?} vs {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    }
    if let Err(e) = &with {
        assert!(!e.problems.is_empty(), "an error without a problem");
        let _ = e.to_string();
        let _ = e.go_error();
    }
}

/// Go's `url.Parse`/`String`, escaping, and K3s's endpoint normalisation.
pub fn url(data: &[u8]) {
    if let Ok(u) = go::url::parse_bytes(data) {
        let s = u.string();
        let _ = (u.redacted(), u.hostname(), u.port());
        let again = go::url::parse(&s);
        if let Ok(v) = again {
            assert_eq!(v.string(), s, "String() is not stable for {s:?}");
        }
    }
    // Go strings are bytes: escaping round-trips any of them.
    for mode in [
        go::url::Encoding::QueryComponent,
        go::url::Encoding::Path,
        go::url::Encoding::UserPassword,
        go::url::Encoding::Fragment,
    ] {
        let escaped = go::url::escape(data, mode);
        match go::url::unescape(&escaped, mode) {
            Ok(back) => assert_eq!(&*back, data, "{mode:?} escaping does not round-trip"),
            Err(e) => panic!("{mode:?} escaping gives what does not unescape: {e}"),
        }
    }
    let endpoint = GoString::from(data);
    let text = String::from_utf8_lossy(data);
    let mirror = text.split('\n').next().unwrap_or_default();
    let _ = crate::k3s::endpoint::normalize_endpoint_address(&endpoint, mirror);
}

/// Go's `strconv.Quote`: printable, and the inverse gives the bytes back.
pub fn quote(data: &[u8]) {
    let q = go::quote::quote(data);
    assert!(q.len() >= 2 && q.starts_with('"') && q.ends_with('"'));
    assert!(
        q.chars().all(go::quote::is_print),
        "unprintable rune in {q:?}"
    );
    assert_eq!(
        go::quote::unquote(&q).as_deref(),
        Some(data),
        "quote does not round-trip"
    );
}

/// containerd's hosts.toml reader, with the directory lookup around it.
pub fn hosts_toml(data: &[u8]) {
    // The parser is the syntax check, then the document's structure (a key defined twice is
    // go-toml syntax but not a document): what the check refuses, the parser refuses.
    if gotoml::check(data).is_err() {
        assert!(
            gotoml::parse(data).is_err(),
            "the parser accepts what the syntax check refuses"
        );
    }
    for flavor in [Flavor::K3sFork, Flavor::Upstream] {
        let _ = hosts_toml::parse_hosts_file("/etc/containerd/certs.d/r.example.com", data, flavor);
    }
    let tree = CertsTree::from_rendered(
        "certs.d",
        "/etc/containerd/certs.d",
        [(&b"r.example.com"[..], data)],
    );
    let res = tree.configure_hosts("r.example.com", Flavor::K3sFork);
    for h in &res.hosts {
        let _ = (h.plain_http(), h.is_default());
    }
}

/// containerd's reading of config.toml's registry credentials.
pub fn config_toml(data: &[u8]) {
    if let Ok(reg) = cri::parse_config_toml(data) {
        for host in [
            "docker.io",
            "registry-1.docker.io",
            "r.example.com:5000",
            "",
        ] {
            let _ = reg.credentials_for(host);
        }
    }
}

/// containerd's image references: what it accepts normalises to itself.
pub fn image_ref(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = image_ref::parse_normalized_named(s);
    if let Ok(r) = image_ref::parse_docker_ref(s) {
        let again = image_ref::parse_docker_ref(&r.to_string())
            .unwrap_or_else(|e| panic!("{r} (from {s:?}) is refused: {e}"));
        assert_eq!(again, r, "not stable: {s:?}");
    }
}

/// The node options a fuzz input picks with its first byte.
fn node_options(flags: u8) -> NodeOptions {
    NodeOptions {
        disable_default_registry_endpoint: flags & 1 != 0,
        embedded_registry: flags & 2 != 0,
        config_version: if flags & 4 != 0 {
            ConfigVersion::V2
        } else {
            ConfigVersion::V3
        },
        ..NodeOptions::default()
    }
}

/// What every printer of the tool prints for a registries file: render's preview, explain (text
/// and JSON) for an image of the first registry and for `nginx`, and audit in every format.
/// Masked unless `show_secrets`. Empty when the file does not load.
pub fn printed(data: &[u8], flags: u8, show_secrets: bool, terminal: bool) -> Vec<u8> {
    let node = node_options(flags);
    let mut out = Vec::new();
    let mut err = Vec::new();
    {
        let mut rep = Reporter::new(&mut out, &mut err);
        rep.show_secrets(show_secrets);
        rep.set_terminal(terminal);
        if let Ok(loaded) = registries::load_str(data, "fuzz.yaml") {
            rep.secrets(&loaded.registry.secrets());
            let model = translate(&loaded.registry, &node);
            let _ = rep.notes(&model.notes);
            if let Ok(renderer) = Renderer::new() {
                if let Ok(rendered) = renderer.render(&model) {
                    let _ = rep.preview(&rendered);
                    let files = Files::rendered("fuzz.yaml", &model, &rendered);
                    let first = loaded.registry.mirrors.keys().next().cloned();
                    for image in ["nginx".to_string()]
                        .into_iter()
                        .chain(first.map(|m| format!("{m}/team/app:1")))
                    {
                        if let Ok(r) = image_ref::parse_docker_ref(&image) {
                            let e = explain(&image, &r, &files, Flavor::K3sFork);
                            let _ = rep.explain_text(&e);
                            let _ = rep.explain_json(&e);
                        }
                    }
                }
            }
        } else if let Err(mut e) = registries::load_str(data, "fuzz.yaml") {
            crate::yaml::mask_secret_quotes(&mut e, data);
            let mut secrets = Secrets::default();
            for (_, v) in crate::yaml::secret_scalars(data) {
                secrets.add(&v);
            }
            rep.secrets(&secrets);
            let _ = rep.error(&e.to_string());
        }
        let input = Input {
            name: "fuzz.yaml".to_string(),
            path: None,
            bytes: data.to_vec(),
        };
        if let Ok(report) = audit::check(&input, &node, &Options::default(), &NodeFiles::default())
        {
            let _ = rep.audit_text(&report, false);
            let _ = rep.audit_json(&report);
            let _ = rep.audit_sarif(&report);
        }
    }
    out.extend_from_slice(&err);
    out
}

/// The whole pipeline: nothing panics, and nothing printed for a terminal holds a control
/// character other than a newline or a tab.
pub fn render(data: &[u8]) {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let node = node_options(flags);
    if let Ok(loaded) = registries::load_str(data, "fuzz.yaml") {
        let model = translate(&loaded.registry, &node);
        if let Ok(renderer) = Renderer::new() {
            if let Ok(rendered) = renderer.render(&model) {
                let _ = rendered.on_node(&model);
            }
        }
    }
    let printed = printed(data, flags, false, true);
    let text = String::from_utf8_lossy(&printed);
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "a control character reached the terminal"
    );
}

/// The secrets of a registries file that the invariant looks for in what is printed: the values
/// [`Secrets`] collects, without the ones that cannot be told apart from the tool's own words or
/// from a mask (all of them made of characters the output is full of anyway).
fn sought_secrets(data: &[u8]) -> Vec<String> {
    let mut s = Secrets::default();
    match registries::load_str(data, "fuzz.yaml") {
        Ok(loaded) => s.extend(&loaded.registry.secrets()),
        Err(_) => {
            for (_, v) in crate::yaml::secret_scalars(data) {
                s.add(&v);
            }
        }
    }
    s.values()
        .map(|v| v.reveal().to_string())
        // Only values with a run of three letters or digits (`****`, `::/@` or ` - ` are made
        // of what masks and layout print) and a letter that is not a hex digit or the `u`/`x`
        // of an escape (`1000` is a JSON number, `u001b` the JSON escape of ESC), and that are
        // not part of a JSON literal (`identity_token: false` is the string "false"; `false`
        // is printed as JSON's own).
        .filter(|v| {
            v.as_bytes()
                .windows(3)
                .any(|w| w.iter().all(u8::is_ascii_alphanumeric))
        })
        .filter(|v| {
            v.chars()
                .any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit() && !"uxUX".contains(c))
        })
        .filter(|v| {
            !["true", "false", "null", MASK]
                .iter()
                .any(|l| l.contains(v.as_str()))
        })
        .collect()
}

/// The invariant: nothing render, explain or audit prints (in any format, on either stream)
/// holds a secret of the input, unless `--show-secrets`. The first byte picks node options.
pub fn secrets(data: &[u8]) {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let sought = sought_secrets(data);
    if sought.is_empty() {
        return;
    }
    for terminal in [false, true] {
        let printed = printed(data, flags, false, terminal);
        for v in &sought {
            assert!(
                !printed.windows(v.len()).any(|w| w == v.as_bytes()),
                "the secret {v:?} is printed (terminal: {terminal})"
            );
        }
    }
}
