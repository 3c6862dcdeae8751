//! Rules about mirror endpoints, read from the model K3s's getHostConfigs port builds (and its
//! notes for the endpoints K3s drops): invalid, unusable, duplicated and self-referencing
//! endpoints, path overrides, credentials in URLs, plain HTTP, defaulted schemes.

use super::super::context::{effective_port, quote, ypath, Ctx};
use crate::containerd::docker::is_localhost;
use crate::diag::Code;
use crate::diag::{Diagnostic, Location, Severity};
use crate::go::string::GoString;
use crate::k3s::endpoint::normalize_endpoint_address;
use crate::k3s::model::{HostConfig, NoteKind, RegistryEndpoint};
use crate::secret::mask_userinfo;

/// Every endpoint rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    dropped(ctx);
    // References into the model (which outlives the context), not copies of it.
    let hosts: Vec<&HostConfig> = ctx.user_hosts().map(|(_, h)| h).collect();
    let reg = ctx.reg;
    let no_endpoint = GoString::default();
    for hc in hosts {
        let Some(mirror) = &hc.mirror else {
            continue;
        };
        for ep in hc
            .endpoints
            .iter()
            .chain(hc.default.iter().filter(|d| d.index.is_some()))
        {
            let Some(i) = ep.source_index else {
                continue;
            };
            let raw = reg
                .mirrors
                .get(mirror)
                .and_then(|m| m.endpoints.get(i))
                .unwrap_or(&no_endpoint);
            endpoint(ctx, hc, ep, raw);
        }
        self_reference(ctx, hc, mirror);
    }
}

/// `endpoint-invalid` (dropped) and `endpoint-duplicate`, from the notes K3s logs.
fn dropped(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    let notes = &model.notes;
    // How many endpoints K3s dropped per mirror, counted once (not per note).
    let mut dropped_per_host: std::collections::HashMap<&GoString, usize> =
        std::collections::HashMap::new();
    for o in notes {
        if let NoteKind::InvalidEndpoint { host, .. } | NoteKind::DuplicateEndpoint { host, .. } =
            &o.kind
        {
            *dropped_per_host.entry(host).or_default() += 1;
        }
    }
    for n in notes {
        let (host, source_index, endpoint, invalid) = match &n.kind {
            NoteKind::InvalidEndpoint {
                host,
                source_index,
                endpoint,
                ..
            } => (host, *source_index, endpoint, true),
            NoteKind::DuplicateEndpoint {
                host,
                source_index,
                endpoint,
                ..
            } => (host, *source_index, endpoint, false),
            NoteKind::InvalidRegistry { .. } => continue,
        };
        // None: an endpoint the embedded registry added, not something the user wrote.
        let Some(si) = source_index else {
            continue;
        };
        let idx = si.to_string();
        let loc = ctx.loc_value(ypath!["mirrors", host, "endpoint", &idx]);
        let shown = mask_userinfo(&endpoint.to_display()).into_owned();
        let message = mask_userinfo(&n.message);
        let f = if invalid {
            let all_dropped = !ctx.node.embedded_registry
                && ctx.reg.mirrors.get(host).is_some_and(|m| {
                    m.endpoints.len() == dropped_per_host.get(host).copied().unwrap_or(0)
                });
            let tail = if all_dropped {
                "; no endpoint of this mirror is left, so its images come from the registry itself"
            } else {
                ""
            };
            Diagnostic::new(
                Code::EndpointInvalid,
                Severity::Error,
                loc,
                format!(
                    "endpoint {si} {} of {} is ignored by K3s (it logs \"{message}\"){tail}",
                    quote(shown.as_bytes()),
                    quote(host)
                ),
                "Write endpoints as scheme://host[:port][/v2].",
            )
        } else {
            let first = ctx.reg.mirrors.get(host).and_then(|m| {
                let this = normalize_endpoint_address(endpoint, ctx.node.mirror_addr())
                    .ok()?
                    .url
                    .string();
                m.endpoints[..si.min(m.endpoints.len())]
                    .iter()
                    .position(|e| {
                        normalize_endpoint_address(e, ctx.node.mirror_addr())
                            .is_ok_and(|n| n.url.string() == this)
                    })
            });
            // K3s folds the last endpoint into `server` only when it is the registry's own URL;
            // a skipped duplicate never is, so say so only when it was that URL.
            let own_url = normalize_endpoint_address(host, ctx.node.mirror_addr())
                .ok()
                .map(|n| n.url.string());
            let this_url = normalize_endpoint_address(endpoint, ctx.node.mirror_addr())
                .ok()
                .map(|n| n.url.string());
            let last = ctx
                .reg
                .mirrors
                .get(host)
                .is_some_and(|m| si + 1 == m.endpoints.len())
                && own_url.is_some()
                && own_url == this_url;
            let tail = if last {
                "; because it was the last one, the registry's own URL is not folded into `server`"
            } else {
                ""
            };
            let mut f = Diagnostic::new(
                Code::EndpointDuplicate,
                Severity::Warning,
                loc,
                format!(
                    "endpoint {si} {} of {} is the same URL as endpoint {} after K3s normalises it, and is skipped{tail}",
                    quote(shown.as_bytes()),
                    quote(host),
                    match first {
                        Some(i) => i.to_string(),
                        None if ctx.node.embedded_registry => "0, the embedded registry K3s inserts first,".to_string(),
                        None => "before it".to_string(),
                    }
                ),
                "Remove the duplicate (K3s before March 2024 rejected the whole file).",
            );
            if let Some(i) = first {
                let l = ctx.loc_value(ypath!["mirrors", host, "endpoint", &i.to_string()]);
                f = f.related(&l, "the first one");
            }
            f
        };
        ctx.emit(f);
    }
}

/// The rules about one kept endpoint of mirror `hc`.
fn endpoint(ctx: &mut Ctx<'_>, hc: &HostConfig, ep: &RegistryEndpoint, raw: &GoString) {
    let Some(mirror) = &hc.mirror else { return };
    let raw = &*raw.to_display();
    let Some(u) = &ep.url else { return };
    // Located only for a finding, once: most endpoints have none.
    let mut at: Option<Location> = None;
    let mut loc = |ctx: &Ctx<'_>| at.get_or_insert_with(|| ctx.endpoint_loc(hc, ep)).clone();
    let shown = u.redacted();
    let q = quote(mirror);

    // endpoint-invalid: kept, but containerd cannot use it.
    let unusable = if u.scheme != "http" && u.scheme != "https" {
        Some((Severity::Error, format!("has the scheme {}; containerd prefixes https:// to anything that does not start with http, giving an unusable URL", quote(&u.scheme))))
    } else if u.hostname() == "http" || u.hostname() == "https" {
        Some((Severity::Error, format!("has a mangled scheme (a missing `:` or `/`): K3s reads {} as the host and writes {shown}", quote(u.hostname()))))
    } else if u.hostname().is_empty() {
        Some((
            Severity::Error,
            format!("has an empty host, so K3s writes {shown}"),
        ))
    } else if !u.raw_query.is_empty() || u.force_query || !u.fragment.is_empty() {
        Some((
            Severity::Warning,
            "has a query or fragment, which K3s keeps and containerd ignores".to_string(),
        ))
    } else {
        None
    };
    let broken = unusable
        .as_ref()
        .is_some_and(|(s, _)| *s == Severity::Error);
    if let Some((severity, why)) = unusable {
        let f = Diagnostic::new(
            Code::EndpointInvalid,
            severity,
            loc(ctx),
            format!(
                "endpoint {} of {q} {why}",
                quote(mask_userinfo(raw).as_bytes())
            ),
            "Write endpoints as scheme://host[:port][/v2].",
        );
        ctx.emit(f);
    }

    if u.user.is_some() {
        let f = Diagnostic::new(
            Code::EndpointUserinfo,
            Severity::Error,
            loc(ctx),
            format!("endpoint {shown} embeds credentials: containerd never sends them, and K3s copies them into hosts.toml"),
            format!("Move them to configs.{}.auth.", quote(&u.host)),
        );
        ctx.emit(f);
    }

    if ep.override_path && u.path != "/v2/" && !broken {
        let why = if !u.path.starts_with(b"/v2") {
            format!("{} does not start with /v2, so containerd sends API calls to {}/manifests/... (typically HTML errors)", quote(&u.path), u.path.to_display().trim_end_matches('/'))
        } else if u.path.starts_with(b"/v2/") {
            format!("{} puts a project into the API root; a Harbor proxy then issues tokens for the unprefixed repository (401s)", quote(&u.path))
        } else {
            format!("{} is used as given", quote(&u.path))
        };
        let f = Diagnostic::new(
            Code::EndpointPathOverride,
            Severity::Warning,
            loc(ctx),
            format!("endpoint {shown}: the path is used as the registry API root (override_path = true), not as a repository prefix: {why}"),
            "Use https://host/v2 plus rewrite: {'(.*)': '<project>/$1'} to prefix repositories.",
        );
        ctx.emit(f);
    }

    let hostname = u.hostname().to_ascii_lowercase();
    if [".svc", ".svc.cluster.local", ".cluster.local"]
        .iter()
        .any(|s| hostname.ends_with(s.as_bytes()))
    {
        let f = Diagnostic::new(
            Code::ClusterDnsEndpoint,
            Severity::Warning,
            loc(ctx),
            format!("endpoint host {} is a cluster DNS name; containerd resolves names with the node's resolver, not CoreDNS, and usually cannot resolve it", quote(u.hostname())),
            "Use a node-reachable address (NodePort, hostPort, load-balancer IP or an /etc/hosts entry).",
        );
        ctx.emit(f);
    }

    if u.scheme == "http" && !is_localhost(&u.host) && ep.config.auth.is_none() && !broken {
        let f = Diagnostic::new(
            Code::PlainHttpEndpoint,
            Severity::Info,
            loc(ctx),
            format!("{shown} is plain HTTP: pulls through it are unauthenticated and unencrypted in transit"),
            "Fine on a trusted network; otherwise serve the mirror over https.",
        );
        ctx.emit(f);
    }

    if !raw.contains("://") && !raw.is_empty() && !broken {
        let port80 = u.port() == "80" && u.scheme == "https";
        let f = Diagnostic::new(
            Code::EndpointSchemeDefaulted,
            if port80 {
                Severity::Warning
            } else {
                Severity::Info
            },
            loc(ctx),
            format!(
                "endpoint {} has no scheme; K3s uses {shown}{}",
                quote(mask_userinfo(raw).as_bytes()),
                if port80 { ", HTTPS to port 80" } else { "" }
            ),
            "Write the scheme explicitly (http:// for a plain-HTTP registry).",
        );
        ctx.emit(f);
    }
}

/// `endpoint-self-reference`: K3s folds the registry's own URL into `server` only when it is
/// the last endpoint, spelled exactly as K3s normalises the key.
fn self_reference(ctx: &mut Ctx<'_>, hc: &HostConfig, mirror: &GoString) {
    if *mirror == "*" {
        return;
    }
    let Ok(own) = normalize_endpoint_address(mirror, ctx.node.mirror_addr()) else {
        return;
    };
    let own_url = own.url.string();
    let q = quote(mirror);
    let mut findings = Vec::new();
    if let Some(d) = hc.default.as_ref().filter(|d| d.index.is_some()) {
        let rewrites = ctx
            .reg
            .mirrors
            .get(mirror)
            .is_some_and(|m| !m.rewrites.is_empty());
        findings.push((
            Severity::Info,
            ctx.endpoint_loc(hc, d),
            format!(
                "{q}'s own URL {own_url} is listed last, so K3s makes it the `server` (default) entry rather than a mirror{}",
                if rewrites { "; the mirror's rewrites are not applied to it" } else { "" }
            ),
        ));
    }
    for ep in &hc.endpoints {
        let Some(u) = &ep.url else { continue };
        let s = u.string();
        if s == own_url && hc.default.is_some() {
            let rewrites = if ep.rewrites.is_empty() {
                ""
            } else {
                ", with the mirror's rewrites applied to upstream"
            };
            findings.push((
                Severity::Warning,
                ctx.endpoint_loc(hc, ep),
                format!("{q}'s own URL {own_url} is listed before other endpoints: upstream is tried at this position{rewrites}, and again at the end as `server`"),
            ));
        } else if s != own_url
            && u.hostname() == own.url.hostname()
            && effective_port(u) == effective_port(&own.url)
            && u.path == own.url.path
            && hc.default.is_some()
        {
            findings.push((
                Severity::Warning,
                ctx.endpoint_loc(hc, ep),
                format!("{} is {q} itself spelled differently from K3s's {own_url}, so it is not recognised as the default: upstream is tried twice, the second time as {own_url}", u.redacted()),
            ));
        }
    }
    for (severity, loc, message) in findings {
        let f = Diagnostic::new(
            Code::EndpointSelfReference,
            severity,
            loc,
            message,
            "Put the registry's own URL last, or remove it (it is the default anyway).",
        );
        ctx.emit(f);
    }
}
