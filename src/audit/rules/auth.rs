//! Rules about credentials: where containerd looks them up (by the request's host, exactly),
//! how it reads them (`ParseAuth`: username/password, else identity token, else base64 `auth`),
//! and how they travel. Credential values never appear in findings.

use std::collections::HashSet;

use super::super::context::{quote, ypath, Ctx};
use crate::containerd::cri::{self, parse_auth, AuthError, CredentialLookup};
use crate::containerd::docker::{default_host, is_localhost, DOCKER_HUB, DOCKER_HUB_HOST};
use crate::containerd::hosts_dir::PlainHttp;
use crate::containerd::hosts_toml::HostOrigin;
use crate::diag::Code;
use crate::diag::{Diagnostic, Severity};
use crate::go::string::GoString;
use crate::k3s::endpoint::normalize_endpoint_address;
use crate::registries::AuthConfig;
use crate::secret::Secret;

/// Every credential rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    auths_ignored(ctx);
    let reg = ctx.reg;
    let configs = reg
        .configs
        .iter()
        .filter_map(|(k, c)| c.auth.as_ref().map(|a| (k, a)));
    for (key, auth) in configs {
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
    let f = Diagnostic::new(
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
/// embedded registry's address (K3s replaces that configs entry). Whether a key is used is
/// decided by the containerd model: is it the host of a request containerd makes for a pull
/// from any registry an image can name? (explain, for each such image, says the same.)
fn never_used(ctx: &mut Ctx<'_>, key: &GoString) {
    let Some(contacted) = ctx.is_contacted(key.as_bytes()) else {
        // The files do not render (K3s does not start either: see config-toml-invalid).
        return;
    };
    let reason = if ctx.is_injected(key) {
        Some(format!(
            "with --embedded-registry K3s replaces configs.{} with the embedded registry's own TLS settings",
            quote(key)
        ))
    } else if contacted {
        None
    } else if *key == DOCKER_HUB || *key == "index.docker.io" {
        Some(format!(
            "Docker Hub is contacted as {}, and containerd asks for credentials of that host",
            quote(DOCKER_HUB_HOST)
        ))
    } else {
        Some(match normalize_endpoint_address(key, ctx.node.mirror_addr()) {
            Err(_) => "the key is not a host[:port], so no request ever has it as its host".to_string(),
            Ok(n) if n.url.host != *key => format!(
                "the key is not a plain host[:port]; requests go to {}, and containerd asks for credentials of that host",
                quote(default_host(n.url.host.as_bstr()))
            ),
            Ok(_) => format!(
                "no pull contacts {}: no image can name it and no mirror endpoint has that host",
                quote(key)
            ),
        })
    };
    let Some(reason) = reason else { return };
    let loc = ctx.loc_key(ypath!["configs", key, "auth"]);
    let help = if *key == DOCKER_HUB || *key == "index.docker.io" {
        "Key Docker Hub credentials by the host actually contacted: configs.\"registry-1.docker.io\".auth (TLS under docker.io does apply)."
    } else {
        "Key credentials by the host[:port] actually contacted, e.g. configs.\"registry-1.docker.io\" for Docker Hub, or the mirror endpoint's host."
    };
    let f = Diagnostic::new(
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

/// The config.toml auth K3s writes for a registries.yaml auth (the fields verbatim).
fn as_written(a: &AuthConfig) -> cri::AuthConfig {
    cri::AuthConfig {
        // What go-toml reads back from K3s's `%q`: the text, unless a byte is not UTF-8 (then
        // config.toml does not decode at all, see config-toml-invalid).
        username: a.username.to_display().into_owned(),
        password: Secret::new(a.password.to_display().into_owned()),
        auth: Secret::new(a.auth.to_display().into_owned()),
        identitytoken: Secret::new(a.identity_token.to_display().into_owned()),
    }
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
        let f = Diagnostic::new(
            Code::AuthIncomplete,
            Severity::Error,
            loc,
            message,
            "Set username and password together (or only auth, or only identity_token).",
        );
        ctx.emit(f);
    }

    if b64 && !user && !token {
        let problem = match parse_auth(&as_written(a)) {
            Err(AuthError::Base64(offset)) => Some(format!(
                "it is not valid base64 (containerd fails at byte {offset})"
            )),
            Err(AuthError::NoColon(_)) => Some(
                "it decodes to text without a `:` (containerd: \"invalid decoded auth\")"
                    .to_string(),
            ),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            let loc = ctx.loc_value(ypath!["configs", key, "auth", "auth"]);
            let f = Diagnostic::new(
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
        let f = Diagnostic::new(
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
        let f = Diagnostic::new(
            Code::IdentityTokenSemantics,
            Severity::Warning,
            loc,
            format!("identity_token for {q} is sent as an OAuth2 refresh token; registries using Basic auth, and personal access tokens, reject it"),
            "For a personal access token or API key use username + password: <token>.",
        );
        ctx.emit(f);
    }
}

/// `credentials-over-http`: a host containerd reaches over plain HTTP (always, or after its
/// HTTPS attempt failed) and sends credentials to, as the containerd model of the rendered files
/// says (explain says the same for each image).
fn over_http(ctx: &mut Ctx<'_>) {
    let Some(view) = ctx.containerd else { return };
    let Some(Ok(cri)) = &view.config else { return };
    let mut found = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (dir, hc) in ctx.user_hosts() {
        let registry = match &hc.mirror {
            Some(m) if m == "*" => super::super::context::OTHER_REGISTRY.to_string(),
            Some(m) => m.to_display().into_owned(),
            None => dir.to_display().into_owned(),
        };
        let Some(plain) = ctx.plain_http_hosts(&registry) else {
            continue;
        };
        for h in &plain {
            let host = &h.host;
            let how = match h.how {
                PlainHttp::Never => continue,
                PlainHttp::OnFallback => "can be sent to {url} over plain HTTP (containerd tries HTTPS first, because TLS settings are configured, and falls back to HTTP when the server answers in plain HTTP or the handshake times out)",
                PlainHttp::Always => "are sent to {url} over plain HTTP",
            };
            if is_localhost(host) || seen.contains(host) {
                continue;
            }
            if !matches!(cri.credentials_for(host), CredentialLookup::Found(_)) {
                continue;
            }
            // The endpoint K3s wrote this host for: a [host."<url>"] table, or `server`.
            let ep = match &h.origin {
                HostOrigin::Table { key } => hc
                    .endpoints
                    .iter()
                    .find(|ep| ep.url.as_ref().is_some_and(|u| u.string() == key.as_str())),
                _ => hc.default.as_ref(),
            };
            let Some(ep) = ep else { continue };
            let url = ep.url.as_ref().map(|u| u.redacted()).unwrap_or_default();
            seen.insert(host.clone());
            found.push((
                ctx.endpoint_loc(hc, ep),
                how.replace("{url}", &url.to_display()),
                host.clone(),
            ));
        }
    }
    for (loc, how, host) in found {
        let related = ctx.loc_key(ypath!["configs", &host, "auth"]);
        let f = Diagnostic::new(
            Code::CredentialsOverHttp,
            Severity::Warning,
            loc,
            format!(
                "credentials for {} (configs.{}) {how}, readable by anyone on the network path",
                quote(&host),
                quote(&host)
            ),
            "Serve the registry over TLS (with ca_file for a private CA).",
        )
        .related(&related, "the credentials");
        ctx.emit(f);
    }
}
