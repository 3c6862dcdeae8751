//! Rules about TLS settings and about which endpoint a configs entry reaches: half client
//! pairs, relative and unusable files, disabled verification, and settings keyed by a name the
//! contacted endpoint does not have.

use std::collections::HashMap;

use super::super::context::{effective_port, quote, ypath, Ctx};
use super::yaml::intended_tls_key;
use crate::containerd::docker::{DOCKER_HUB, DOCKER_HUB_HOST};
use crate::containerd::pem::{pem_facts, PemFacts};
use crate::diag::Code;
use crate::diag::{Diagnostic, Location, Severity};
use crate::fs;
use crate::go::filepath;
use crate::go::string::{BStr, GoString};
use crate::k3s::endpoint::normalize_endpoint_address;
use crate::registries::TlsConfig;
use crate::yaml::{Note, Position};

/// Every TLS rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let reg = ctx.reg;
    let tls = reg
        .configs
        .iter()
        .filter_map(|(k, c)| c.tls.as_ref().map(|t| (k, t, c.auth.is_some())));
    let typos = cert_file_typos(ctx);
    for (key, t, has_auth) in tls {
        pairs(ctx, key, t, &typos);
        paths(ctx, key, t);
        if t.insecure_skip_verify {
            skip_verify(ctx, key, has_auth);
        }
    }
    not_for_endpoint(ctx);
}

/// The certs.d directories whose hosts.toml carries `configs.<key>` (for messages).
fn dirs_using(ctx: &Ctx<'_>, key: &GoString) -> Vec<GoString> {
    ctx.dirs_using_config(key).to_vec()
}

fn registries_phrase(ctx: &Ctx<'_>, key: &GoString) -> String {
    let dirs = dirs_using(ctx, key);
    if dirs.is_empty() {
        quote(key)
    } else {
        dirs.iter().map(quote).collect::<Vec<_>>().join(", ")
    }
}

/// The first misspelled cert_file (`certfile`) under each `configs.<key>.tls`, by key: found in
/// one pass over the source map, not one per key.
fn cert_file_typos<'m>(ctx: &Ctx<'m>) -> HashMap<&'m BStr, (GoString, Position)> {
    let map = ctx.map;
    let mut typos = HashMap::new();
    let unknown = map
        .entries()
        .filter(|e| e.notes.iter().any(|n| matches!(n, Note::UnknownKey { .. })));
    for e in unknown {
        let p = map.path(e);
        if p.len() == 4
            && p[0] == "configs"
            && p[2] == "tls"
            && intended_tls_key(&crate::go::string::display(p[3])) == Some("cert_file")
        {
            typos
                .entry(p[1])
                .or_insert_with(|| (GoString::from(p[3]), e.key));
        }
    }
    typos
}

/// `tls-key-without-cert` and `tls-cert-without-key`.
fn pairs(
    ctx: &mut Ctx<'_>,
    key: &GoString,
    t: &TlsConfig,
    typos: &HashMap<&BStr, (GoString, Position)>,
) {
    if !t.key_file.is_empty() && t.cert_file.is_empty() {
        let regs = registries_phrase(ctx, key);
        let loc = ctx.loc_key(ypath!["configs", key, "tls", "key_file"]);
        // A misspelled cert_file next to it (`certfile`) is the usual cause.
        let typo = typos.get(key.as_bstr()).cloned();
        let (tail, help) = match &typo {
            Some((name, pos)) => (
                format!(
                    "; the {} on line {} was meant to be cert_file",
                    quote(name),
                    pos.line
                ),
                format!("Rename {} to cert_file.", quote(name)),
            ),
            None => (
                String::new(),
                "Set cert_file too (or remove key_file).".to_string(),
            ),
        };
        let mut f = Diagnostic::new(
            Code::TlsKeyWithoutCert,
            Severity::Error,
            loc.clone(),
            format!(
                "key_file without cert_file: K3s writes client = [[\"\", {}]], containerd tries to read the hosts directory as the certificate and fails every pull from {regs}{tail}",
                quote(&t.key_file)
            ),
            help,
        );
        if let Some((name, pos)) = typo {
            f = f.related(
                &Location {
                    line: pos.line,
                    column: pos.column,
                    ..loc
                },
                format!("{} is not read by K3s", quote(&name)),
            );
        }
        ctx.emit(f);
    }
    if !t.cert_file.is_empty() && t.key_file.is_empty() {
        let regs = registries_phrase(ctx, key);
        // K3s writes the pair form client = [["<cert>", ""]]. containerd's parseHostConfig passes
        // each element of a pair through makeAbsPath, and filepath.Join(hostsDir, "") is the
        // hosts directory itself: reading it as the key fails. (Only the single-string form,
        // client = "<cert>", makes containerd take the key from the certificate file.)
        let loc = ctx.loc_key(ypath!["configs", key, "tls", "cert_file"]);
        let f = Diagnostic::new(
            Code::TlsCertWithoutKey,
            Severity::Error,
            loc,
            format!(
                "cert_file without key_file: K3s writes client = [[{}, \"\"]], containerd resolves the empty key path to the hosts directory and fails every pull from {regs} (\"unable to read CERT file ...: is a directory\")",
                quote(&t.cert_file)
            ),
            "Set key_file too (a combined certificate+key PEM still needs key_file: name the same file), or remove cert_file.",
        );
        ctx.emit(f);
    }
}

/// `tls-relative-path` and, with `--check-files`, `tls-file-unusable`.
fn paths(ctx: &mut Ctx<'_>, key: &GoString, t: &TlsConfig) {
    let dirs = dirs_using(ctx, key);
    let certs_d = ctx.model.paths.registry_dir.clone();
    for (field, value) in t.files() {
        if value.is_empty() {
            continue;
        }
        // Located only for a finding: most paths have none.
        let at = ypath!["configs", key, "tls", field];
        if !value.starts_with(b"/") {
            let dir = dirs.first().cloned().unwrap_or_else(|| key.clone());
            let resolved = GoString::from(filepath::join_bytes(&[
                certs_d.as_bytes(),
                dir.as_bytes(),
                value.as_bytes(),
            ]));
            let f = Diagnostic::new(
                Code::TlsRelativePath,
                Severity::Error,
                ctx.loc_value(at),
                format!(
                    "{field} {} is relative: containerd resolves it to {resolved}, in the directory K3s deletes and recreates at every start, so every pull from {} fails",
                    quote(value),
                    registries_phrase(ctx, key)
                ),
                "Use an absolute path.",
            );
            ctx.emit(f);
            continue;
        }
        if !ctx.opts.check_files {
            continue;
        }
        let registries = registries_phrase(ctx, key);
        let fails =
            |problem: String| format!("{problem}; containerd fails every pull from {registries}");
        let message = match fs::read_tls_file(&bytes_path(value)) {
            // containerd's os.ReadFile blocks on a FIFO and never ends on /dev/zero.
            Err(fs::Refusal::NotRegular { kind }) => Some(format!(
                "is {kind}, not a regular file (audit does not read it); containerd blocks or fails reading it at every pull from {registries}"
            )),
            Err(fs::Refusal::TooLarge { limit }) => Some(format!(
                "is larger than {} MiB (audit does not read it), far more than any certificate or key; containerd reads it whole at every pull from {registries}",
                limit.max / (1024 * 1024)
            )),
            Ok(Err(e)) => Some(fails(format!("cannot be read here: {}", e.reason))),
            Ok(Ok(b)) => pem_problem(field, &pem_facts(&b)).map(fails),
        };
        if let Some(message) = message {
            let f = Diagnostic::new(
                Code::TlsFileUnusable,
                Severity::Error,
                ctx.loc_value(at),
                format!("{field} {} {message}", quote(value)),
                "Fix the path or the PEM; containerd reads the file at pull time, not when K3s starts.",
            );
            ctx.emit(f);
        }
    }
}

/// `insecure-skip-verify`.
fn skip_verify(ctx: &mut Ctx<'_>, key: &GoString, has_auth: bool) {
    let loc = ctx.loc_key(ypath!["configs", key, "tls", "insecure_skip_verify"]);
    let creds = if has_auth {
        "; the credentials configured for it can be intercepted"
    } else {
        ""
    };
    let f = Diagnostic::new(
        Code::InsecureSkipVerify,
        Severity::Warning,
        loc,
        format!(
            "TLS verification is disabled for {}: any certificate is accepted{creds}",
            quote(key)
        ),
        "Prefer ca_file with the registry's CA.",
    );
    ctx.emit(f);
}

/// A Go string as a file path (its bytes).
fn bytes_path(s: &GoString) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStringExt;
    std::path::PathBuf::from(std::ffi::OsString::from_vec(s.as_bytes().to_vec()))
}

/// `config-not-for-endpoint`.
fn not_for_endpoint(ctx: &mut Ctx<'_>) {
    // Every configs key with settings that is a plain host[:port], by hostname, in key order:
    // computed once, so each endpoint looks its hostname up instead of normalising every key.
    let reg = ctx.reg;
    let mut by_hostname: HashMap<&BStr, Vec<&GoString>> = HashMap::new();
    let normalized: Vec<_> = reg
        .configs
        .iter()
        .filter(|(_, c)| c.auth.is_some() || c.tls.is_some())
        .filter_map(|(k, _)| {
            normalize_endpoint_address(k, ctx.node.mirror_addr())
                .ok()
                .filter(|n| n.url.host == *k)
                .map(|n| (k, n.url))
        })
        .collect();
    for (k, url) in &normalized {
        by_hostname.entry(url.hostname()).or_default().push(k);
    }
    let mut found = Vec::new();
    for (_, hc) in ctx.user_hosts() {
        let Some(mirror) = &hc.mirror else { continue };
        for ep in hc
            .endpoints
            .iter()
            .chain(hc.default.iter().filter(|d| d.index.is_some()))
        {
            let Some(u) = &ep.url else { continue };
            if ep.config_key.is_some() || ctx.is_injected(&u.host) {
                continue;
            }
            // (b) the same host under another port (or none).
            let other_port = by_hostname
                .get(u.hostname())
                .and_then(|keys| keys.iter().find(|k| ***k != u.host))
                .map(|k| (*k).clone());
            if let Some(k) = other_port {
                let same_port = normalize_endpoint_address(&k, ctx.node.mirror_addr())
                    .is_ok_and(|n| effective_port(&n.url) == effective_port(u));
                let why = if same_port {
                    "the lookup uses the host exactly as the endpoint spells it, port included"
                } else {
                    "the ports differ"
                };
                found.push((
                    ctx.endpoint_loc(hc, ep),
                    k,
                    u.redacted(),
                    u.host.clone(),
                    why,
                ));
                continue;
            }
            // (a) settings keyed by the mirror's registry name.
            // `*` has wildcard-config-ignored.
            let registry_config = ctx
                .reg
                .configs
                .get(mirror)
                .filter(|c| mirror != "*" && (c.auth.is_some() || c.tls.is_some()));
            if registry_config.is_some()
                && u.host != *mirror
                && !(mirror == DOCKER_HUB && u.host == DOCKER_HUB_HOST)
            {
                found.push((
                    ctx.endpoint_loc(hc, ep),
                    mirror.clone(),
                    u.redacted(),
                    u.host.clone(),
                    "settings under a registry name apply only to requests to that registry itself",
                ));
            }
        }
    }
    for (loc, key, url, host, why) in found {
        let related = ctx.loc_key(ypath!["configs", &key]);
        let f = Diagnostic::new(
                Code::ConfigNotForEndpoint,
                Severity::Warning,
                loc,
                format!(
                    "configs.{} does not apply to endpoint {url}: {why}; containerd would use configs.{} for it, which does not exist",
                    quote(&key),
                    quote(&host)
                ),
                format!("Add a configs entry keyed exactly by the endpoint's host[:port]: configs.{}.", quote(&host)),
            )
            .related(&related, "the settings that are not used for it");
        ctx.emit(f);
    }

    // (c) TLS for registry-1.docker.io with nothing under docker.io: only a directory
    // certs.d/registry-1.docker.io gets it, which docker.io images never use.
    let hub_tls = ctx
        .reg
        .configs
        .get(DOCKER_HUB_HOST.as_bytes())
        .is_some_and(|c| c.tls.is_some());
    if hub_tls
        && !ctx.reg.mirrors.contains_key(DOCKER_HUB.as_bytes())
        && !ctx.reg.configs.contains_key(DOCKER_HUB.as_bytes())
    {
        let loc = ctx.loc_key(ypath!["configs", DOCKER_HUB_HOST, "tls"]);
        let f = Diagnostic::new(
            Code::ConfigNotForEndpoint,
            Severity::Warning,
            loc,
            "configs.\"registry-1.docker.io\".tls goes to certs.d/registry-1.docker.io, which only images literally named registry-1.docker.io/... use; docker.io images do not get it",
            "Put Docker Hub's TLS settings under configs.\"docker.io\" (credentials stay under registry-1.docker.io).",
        );
        ctx.emit(f);
    }
}

/// What is wrong with a TLS file's PEM contents for its field, if anything.
fn pem_problem(field: &str, p: &PemFacts) -> Option<String> {
    match field {
        "ca_file" if p.certificates == 0 => {
            Some("holds no PEM certificate (containerd: `unable to load CA cert`)".to_string())
        }
        "cert_file" if p.certificates == 0 => Some(
            "holds no PEM certificate (containerd: `failed to load X509 key pair`)".to_string(),
        ),
        "key_file" if p.private_keys == 0 && p.encrypted_keys > 0 => {
            Some("holds only an encrypted private key, which containerd cannot load".to_string())
        }
        "key_file" if p.private_keys == 0 => Some(
            "holds no PEM private key (containerd: `failed to load X509 key pair`)".to_string(),
        ),
        _ => None,
    }
}
