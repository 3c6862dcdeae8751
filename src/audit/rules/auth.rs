//! Rules about credentials: where containerd looks them up (by the request's host, exactly),
//! how it reads them (`ParseAuth`: username/password, else identity token, else base64 `auth`),
//! and how they travel. Credential values never appear in findings.

use super::super::context::{quote, ypath, Ctx};
use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Severity};
use crate::go::base64::decode_string;
use crate::go::string::GoString;
use crate::k3s::endpoint::{
    default_host, is_localhost, normalize_endpoint_address, DOCKER_HUB, DOCKER_HUB_HOST,
};
use crate::registries::AuthConfig;

/// Every credential rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    auths_ignored(ctx);
    let configs: Vec<(GoString, AuthConfig)> = ctx
        .reg
        .configs
        .iter()
        .filter_map(|(k, c)| c.auth.clone().map(|a| (k.clone(), a)))
        .collect();
    for (key, auth) in &configs {
        if key != "*" {
            never_used(ctx, key);
        }
        forms(ctx, key, auth);
    }
    over_http(ctx);
}

/// `auths-ignored`: wharfie still parses the deprecated `auths`, nothing in K3s reads it.
fn auths_ignored(ctx: &mut Ctx<'_>) {
    if ctx.reg.auths.is_empty() {
        return;
    }
    let n = ctx.reg.auths.len();
    let loc = ctx.loc_key(ypath!["auths"]);
    let f = Finding::new(
        Code::AuthsIgnored,
        Severity::Error,
        loc,
        format!(
            "`auths` ({n} {}) is accepted but ignored by K3s: these credentials are never used",
            if n == 1 { "entry" } else { "entries" }
        ),
        "Move each entry to configs.\"<host>\".auth (username, password, auth, identity_token).",
    );
    ctx.emit(f);
}

/// `auth-never-used`: containerd asks for credentials with the request URL's host, which is
/// never `docker.io` (Docker Hub is reached as registry-1.docker.io), never a URL, and never the
/// embedded registry's address (K3s replaces that configs entry).
fn never_used(ctx: &mut Ctx<'_>, key: &GoString) {
    // A mirror endpoint contacted with exactly this host: the credentials are used. (The
    // default endpoint a configs key makes for itself counts only when images can name that
    // registry, which the checks below decide.)
    let contacted = ctx
        .model
        .hosts
        .values()
        .flat_map(|h| {
            h.endpoints
                .iter()
                .chain(h.default.iter().filter(|d| d.index.is_some()))
        })
        .any(|ep| ep.url.as_ref().is_some_and(|u| u.host == *key));
    let reason = if ctx.is_injected(key) {
        Some(format!(
            "with --embedded-registry K3s replaces configs.{} with the embedded registry's own TLS settings",
            quote(key)
        ))
    } else if contacted {
        None
    } else if key == DOCKER_HUB || key == "index.docker.io" {
        Some(format!(
            "Docker Hub is contacted as {}, and containerd asks for credentials of that host",
            quote(DOCKER_HUB_HOST)
        ))
    } else {
        match normalize_endpoint_address(key, ctx.node.mirror_addr()) {
            Err(_) => Some("the key is not a host[:port], so no request ever has it as its host".to_string()),
            Ok(n) if n.url.host != *key => Some(format!(
                "the key is not a plain host[:port]; requests go to {}, and containerd asks for credentials of that host",
                quote(default_host(&n.url.host))
            )),
            Ok(_) => None,
        }
    };
    let Some(reason) = reason else { return };
    let loc = ctx.loc_key(ypath!["configs", key, "auth"]);
    let help = if key == DOCKER_HUB || key == "index.docker.io" {
        "Key Docker Hub credentials by the host actually contacted: configs.\"registry-1.docker.io\".auth (TLS under docker.io does apply)."
    } else {
        "Key credentials by the host[:port] actually contacted, e.g. configs.\"registry-1.docker.io\" for Docker Hub, or the mirror endpoint's host."
    };
    let f = Finding::new(
        Code::AuthNeverUsed,
        Severity::Error,
        loc,
        format!(
            "credentials under configs.{} are never used, so pulls are anonymous: {reason}",
            quote(key)
        ),
        help,
    );
    ctx.emit(f);
}

/// `auth-incomplete`, `auth-invalid-base64`, `auth-fields-conflict`,
/// `identity-token-semantics`: containerd's `ParseAuth` reads username (with password), else
/// identity_token, else auth (base64 of user:password).
fn forms(ctx: &mut Ctx<'_>, key: &GoString, a: &AuthConfig) {
    let q = quote(key);
    let (user, pass, b64, token) = (
        !a.username.is_empty(),
        !a.password.is_empty(),
        !a.auth.is_empty(),
        !a.identity_token.is_empty(),
    );
    let incomplete = if user && !pass {
        Some((ctx.loc_key(ypath!["configs", key, "auth", "username"]), format!("auth for {q} has a username but no password: containerd sends an empty password, Basic challenges fail and Bearer ones get an anonymous token")))
    } else if pass && !user && !b64 && !token {
        Some((ctx.loc_key(ypath!["configs", key, "auth", "password"]), format!("auth for {q} has a password but no username: containerd ignores a password alone and the pull is anonymous")))
    } else if !user && !pass && !b64 && !token {
        Some((
            ctx.loc_key(ypath!["configs", key, "auth"]),
            format!("auth for {q} is empty: the pull is anonymous, yet K3s writes an empty auth table and a hosts.toml for it (which takes precedence over a \"*\" mirror)"),
        ))
    } else {
        None
    };
    if let Some((loc, message)) = incomplete {
        let f = Finding::new(
            Code::AuthIncomplete,
            Severity::Error,
            loc,
            message,
            "Set username and password together (or only auth, or only identity_token).",
        );
        ctx.emit(f);
    }

    if b64 && !user && !token {
        let cleaned: Vec<u8> = a.auth.as_bytes().to_vec();
        let problem = match decode_string(&cleaned) {
            Err(offset) => Some(format!(
                "it is not valid base64 (containerd fails at byte {offset})"
            )),
            Ok(decoded) if !decoded.contains(&b':') => Some(
                "it decodes to text without a `:` (containerd: \"invalid decoded auth\")"
                    .to_string(),
            ),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            let loc = ctx.loc_value(ypath!["configs", key, "auth", "auth"]);
            let f = Finding::new(
                Code::AuthInvalidBase64,
                Severity::Error,
                loc,
                format!("auth for {q} is not base64(\"user:password\"): {problem}, so every pull that needs credentials fails"),
                "Use username and password, or auth: $(printf '%s' 'user:password' | base64).",
            );
            ctx.emit(f);
        }
    }

    let conflict = if user && (b64 || token) {
        let ignored: Vec<&str> = [(b64, "auth"), (token, "identity_token")]
            .iter()
            .filter(|(set, _)| *set)
            .map(|(_, n)| *n)
            .collect();
        Some((
            ignored[0],
            format!(
                "{} ignored because username is set",
                ignored.join(" and ") + if ignored.len() > 1 { " are" } else { " is" }
            ),
        ))
    } else if token && b64 {
        Some((
            "auth",
            "auth is ignored because identity_token is set".to_string(),
        ))
    } else {
        None
    };
    if let Some((field, message)) = conflict {
        let loc = ctx.loc_key(ypath!["configs", key, "auth", field]);
        let f = Finding::new(
            Code::AuthFieldsConflict,
            Severity::Warning,
            loc,
            format!("auth for {q}: {message} (containerd uses username/password, else identity_token, else auth)"),
            "Keep one credential form.",
        );
        ctx.emit(f);
    }

    if token && !user {
        let loc = ctx.loc_key(ypath!["configs", key, "auth", "identity_token"]);
        let f = Finding::new(
            Code::IdentityTokenSemantics,
            Severity::Warning,
            loc,
            format!("identity_token for {q} is sent as an OAuth2 refresh token; registries using Basic auth, and personal access tokens, reject it"),
            "For a personal access token or API key use username + password: <token>.",
        );
        ctx.emit(f);
    }
}

/// `credentials-over-http`: an http endpoint whose host has credentials.
fn over_http(ctx: &mut Ctx<'_>) {
    let mut seen = Vec::new();
    let mut found = Vec::new();
    for (_, hc) in ctx.user_hosts() {
        for ep in hc.default.iter().chain(hc.endpoints.iter()) {
            let Some(u) = &ep.url else { continue };
            if u.scheme != "http" || ep.config.auth.is_none() || is_localhost(&u.host) {
                continue;
            }
            let url = u.redacted();
            if seen.contains(&url) {
                continue;
            }
            seen.push(url.clone());
            found.push((
                ctx.endpoint_loc(hc, ep),
                url,
                ep.config_key.clone().unwrap_or_default(),
                u.host.clone(),
            ));
        }
    }
    for (loc, url, key, host) in found {
        let related = ctx.loc_key(ypath!["configs", &key, "auth"]);
        let f = Finding::new(
                Code::CredentialsOverHttp,
                Severity::Warning,
                loc,
                format!("credentials for {} (configs.{}) are sent to {url} over plain HTTP, readable by anyone on the network path", quote(&host), quote(&key)),
                "Serve the registry over TLS (with ca_file for a private CA).",
            )
            .related(&related, "the credentials");
        ctx.emit(f);
    }
}
