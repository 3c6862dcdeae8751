//! Rules about which hosts a pull can reach after the mirrors: the registry's own (default)
//! endpoint, `--disable-default-registry-endpoint`, and the `*` wildcard (`_default`), whose
//! directory containerd uses only for registries without one of their own.

use super::super::context::{quote, ypath, Ctx};
use crate::containerd::builds::RootWithoutServer;
use crate::diag::Code;
use crate::diag::{Diagnostic, Severity};
use crate::go::string::GoString;
use crate::k3s::endpoint::normalize_endpoint_address;
use crate::k3s::model::NoteKind;
use crate::k3s::translate::DEFAULT_DIR;

/// Every fallback and wildcard rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    wildcard_config(ctx);
    let honoured = ctx.flavor().build().root_without_server == RootWithoutServer::DroppedWithHosts;
    if ctx.node.disable_default_registry_endpoint && honoured {
        default_kept(ctx);
        no_effect(ctx);
        wildcard_no_fallback(ctx);
    } else if ctx.node.disable_default_registry_endpoint {
        disable_default_ignored(ctx);
        airgap(ctx);
    } else {
        airgap(ctx);
    }
    wildcard_shadowed(ctx);
    without_endpoints(ctx);
}

/// The default URL of a registry key, as K3s writes it in `server`.
fn upstream(ctx: &Ctx<'_>, key: &GoString) -> String {
    if *key == "*" {
        return "each image's own registry".to_string();
    }
    normalize_endpoint_address(key, ctx.node.mirror_addr())
        .map_or_else(|_| quote(key), |n| n.url.string().to_string())
}

/// `wildcard-config-ignored`.
fn wildcard_config(ctx: &mut Ctx<'_>) {
    let Some(c) = ctx.reg.configs.get("*".as_bytes()).cloned() else {
        return;
    };
    if c.auth.is_some() {
        let loc = ctx.loc_key(ypath!["configs", "*", "auth"]);
        let f = Diagnostic::new(
            Code::WildcardConfigIgnored,
            Severity::Error,
            loc,
            "configs.\"*\".auth is never used: K3s writes it as configs.'*'.auth, and containerd looks credentials up by exact host, never by wildcard",
            "Give credentials per endpoint host, e.g. configs.\"mirror.example.com:5000\".auth.",
        );
        ctx.emit(f);
    }
    if c.tls.is_none() {
        return;
    }
    let loc = ctx.loc_key(ypath!["configs", "*", "tls"]);
    if ctx.reg.mirrors.contains_key("*".as_bytes()) {
        let related = ctx.loc_key(ypath!["mirrors", "*"]);
        let f = Diagnostic::new(
                Code::WildcardConfigIgnored,
                Severity::Error,
                loc,
                "configs.\"*\".tls is dropped by K3s because mirrors.\"*\" also exists: the mirror rebuilds _default/hosts.toml without it, so this TLS is written nowhere",
                "Give TLS settings per endpoint host, e.g. configs.\"mirror.example.com:5000\".tls.",
            )
            .related(&related, "the \"*\" mirror");
        ctx.emit(f);
        return;
    }
    let others: Vec<GoString> = ctx
        .user_hosts()
        .map(|(d, _)| d.clone())
        .filter(|d| *d != DEFAULT_DIR)
        .collect();
    if others.is_empty() {
        return;
    }
    let list = others.iter().map(quote).collect::<Vec<_>>().join(", ");
    let f = Diagnostic::new(
        Code::WildcardConfigIgnored,
        Severity::Warning,
        loc,
        format!("configs.\"*\".tls applies only to the default endpoint of registries without a directory of their own; not to any mirror endpoint, and not to {list}"),
        "Give TLS settings per endpoint host, e.g. configs.\"mirror.example.com:5000\".tls.",
    );
    ctx.emit(f);
}

/// `disable-default-ignored`: stock containerd appends the root entry of every hosts.toml,
/// `server` or not (containerd v2.1.5 hosts.go:413-418, v1.6.20 hosts.go:370-375), so the
/// registries K3s wrote without `server` still fall back to themselves.
fn disable_default_ignored(ctx: &mut Ctx<'_>) {
    let mut upstreams: Vec<String> = ctx
        .user_hosts()
        .filter(|(_, hc)| hc.mirror.is_some() && !hc.endpoints.is_empty() && hc.default.is_none())
        .filter_map(|(_, hc)| hc.mirror.as_ref().map(|m| upstream(ctx, m)))
        .collect();
    if upstreams.is_empty() {
        return;
    }
    upstreams.dedup();
    let loc = ctx.loc_key(ypath!["mirrors"]);
    let f = Diagnostic::new(
        Code::DisableDefaultIgnored,
        Severity::Warning,
        loc,
        format!(
            "--disable-default-registry-endpoint has no effect on {}: after all mirrors fail, containerd still tries the registry itself: {}",
            ctx.flavor().build().title,
            upstreams.join(", ")
        ),
        "Run K3s's own containerd (it honours the missing server line), or block the registries' own hosts on the network.",
    );
    ctx.emit(f);
}

/// `default-endpoint-kept`: the mirrors loop of getHostConfigs clears the default endpoint only
/// for entries it creates; a registry also in `configs` already has one.
fn default_kept(ctx: &mut Ctx<'_>) {
    let kept: Vec<(GoString, GoString)> = ctx
        .user_hosts()
        .filter_map(|(_, hc)| {
            let m = hc.mirror.as_ref()?;
            let d = hc.default.as_ref()?;
            // The registry's own URL listed as an endpoint is the documented way to keep
            // upstream; a url-less default writes no `server`.
            (d.index.is_none() && d.url.as_ref().is_some_and(|u| !u.host.is_empty()))
                .then(|| (m.clone(), d.url_string()))
        })
        .collect();
    for (mirror, url) in kept {
        let loc = ctx.loc_key(ypath!["mirrors", &mirror]);
        let related = ctx.loc_key(ypath!["configs", &mirror]);
        let f = Diagnostic::new(
                Code::DefaultEndpointKept,
                Severity::Warning,
                loc,
                format!(
                    "{} still falls back to {url}: --disable-default-registry-endpoint is not applied to registries that also have a configs entry",
                    quote(&mirror)
                ),
                "Move the TLS/auth to the mirror endpoint's host, or accept the fallback.",
            )
            .related(&related, "the configs entry that keeps the default endpoint");
        ctx.emit(f);
    }
}

/// `disable-default-no-effect`: a mirror entry with nothing left is deleted, so no hosts.toml
/// restricts that registry.
fn no_effect(ctx: &mut Ctx<'_>) {
    let keys: Vec<GoString> = ctx
        .reg
        .mirrors
        .keys()
        .filter(|k| !ctx.is_injected(k))
        .cloned()
        .collect();
    let model = ctx.model;
    let rejected_keys: std::collections::HashSet<&GoString> = model
        .notes
        .iter()
        .filter_map(|n| match &n.kind {
            NoteKind::InvalidRegistry { host } => Some(host),
            _ => None,
        })
        .collect();
    for key in keys {
        let dir = if key == "*" {
            DEFAULT_DIR.as_bytes()
        } else {
            key.as_bytes()
        };
        let rejected = rejected_keys.contains(&key);
        if ctx.model.hosts.contains_key(dir) || rejected {
            continue;
        }
        let loc = ctx.loc_key(ypath!["mirrors", &key]);
        let f = Diagnostic::new(
            Code::DisableDefaultNoEffect,
            Severity::Warning,
            loc,
            format!(
                "{} is not restricted by --disable-default-registry-endpoint: it has no usable endpoint, so K3s writes no hosts.toml for it and containerd pulls from {}",
                quote(&key),
                upstream(ctx, &key)
            ),
            format!("List at least one mirror endpoint for {}.", quote(&key)),
        );
        ctx.emit(f);
    }
}

/// `wildcard-no-fallback`.
fn wildcard_no_fallback(ctx: &mut Ctx<'_>) {
    let Some(hc) = ctx
        .model
        .hosts
        .get(DEFAULT_DIR.as_bytes())
        .filter(|h| h.mirror.as_ref().is_some_and(|m| *m == "*") && !h.endpoints.is_empty())
    else {
        return;
    };
    let eps: Vec<String> = hc
        .endpoints
        .iter()
        .filter_map(|e| e.url.as_ref().map(|u| u.redacted().to_string()))
        .collect();
    let loc = ctx.loc_key(ypath!["mirrors", "*"]);
    let f = Diagnostic::new(
        Code::WildcardNoFallback,
        Severity::Warning,
        loc,
        format!(
            "with --disable-default-registry-endpoint, every registry without an entry of its own can only be pulled through {}",
            eps.join(", ")
        ),
        "List registries that must reach upstream with their own URL as an endpoint.",
    );
    ctx.emit(f);
}

/// `wildcard-shadowed`: containerd uses `certs.d/<registry>` before `_default`, without merging.
fn wildcard_shadowed(ctx: &mut Ctx<'_>) {
    let Some(wildcard) = ctx.model.hosts.get(DEFAULT_DIR.as_bytes()).filter(|h| {
        !h.endpoints.is_empty() || h.default.as_ref().is_some_and(|d| d.config.tls.is_some())
    }) else {
        return;
    };
    // The wildcard's own mirror hosts need their directory (for their credentials and TLS);
    // nobody means to pull them through the wildcard.
    let mirror_hosts: Vec<GoString> = wildcard
        .endpoints
        .iter()
        .filter_map(|e| e.url.as_ref().map(|u| u.host.clone()))
        .collect();
    let dirs: Vec<GoString> = ctx
        .user_hosts()
        .map(|(d, _)| d.clone())
        .filter(|d| *d != DEFAULT_DIR && !mirror_hosts.contains(d))
        .collect();
    let star = if ctx.reg.mirrors.contains_key("*".as_bytes()) {
        ctx.loc_key(ypath!["mirrors", "*"])
    } else {
        ctx.loc_key(ypath!["configs", "*"])
    };
    for dir in dirs {
        let loc = ctx.dir_loc(dir.as_bstr());
        let f = Diagnostic::new(
                Code::WildcardShadowed,
                Severity::Warning,
                loc,
                format!("the \"*\" mirror does not apply to {}: K3s writes a separate certs.d/{dir}/hosts.toml for it, which containerd uses instead of _default", quote(&dir)),
                format!("Repeat the wildcard endpoints under mirrors.{} if {} should use them.", quote(&dir), quote(&dir)),
            )
            .related(&star, "the wildcard");
        ctx.emit(f);
    }
}

/// `mirror-without-endpoints`.
fn without_endpoints(ctx: &mut Ctx<'_>) {
    if ctx.node.embedded_registry || ctx.node.disable_default_registry_endpoint {
        // With the embedded registry the name enables peer-to-peer sharing; with the flag,
        // disable-default-no-effect says more.
        return;
    }
    let empty: Vec<GoString> = ctx
        .reg
        .mirrors
        .iter()
        .filter(|(k, m)| {
            m.endpoints.is_empty() && m.rewrites.is_empty() && !ctx.reg.configs.contains_key(*k)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in empty {
        let loc = ctx.loc_key(ypath!["mirrors", &key]);
        let f = Diagnostic::new(
            Code::MirrorWithoutEndpoints,
            Severity::Info,
            loc,
            format!("mirrors.{} has no endpoints and changes nothing: K3s writes no hosts.toml for it (with --embedded-registry it would enable peer-to-peer sharing)", quote(&key)),
            "Add endpoints, or remove the entry.",
        );
        ctx.emit(f);
    }
}

/// `airgap-default-fallback`: without the flag, every mirrored registry keeps `server`.
fn airgap(ctx: &mut Ctx<'_>) {
    let mut upstreams: Vec<String> = ctx
        .user_hosts()
        .filter(|(_, hc)| hc.mirror.is_some() && !hc.endpoints.is_empty() && hc.default.is_some())
        .filter_map(|(_, hc)| hc.mirror.as_ref().map(|m| upstream(ctx, m)))
        .collect();
    if upstreams.is_empty() {
        return;
    }
    upstreams.dedup();
    let loc = ctx.loc_key(ypath!["mirrors"]);
    let help = if ctx.flavor().build().root_without_server == RootWithoutServer::DroppedWithHosts {
        "In an air-gapped cluster start K3s with --disable-default-registry-endpoint, so failed pulls do not wait for unreachable hosts."
    } else {
        "This containerd tries the registry itself whatever K3s writes; in an air-gapped cluster block those hosts so failed pulls do not wait for them."
    };
    let f = Diagnostic::new(
        Code::AirgapDefaultFallback,
        Severity::Info,
        loc,
        format!(
            "after all mirrors fail, containerd tries the registry itself: {}",
            upstreams.join(", ")
        ),
        help,
    );
    ctx.emit(f);
}
