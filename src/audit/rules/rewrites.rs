//! Rules about `rewrite`: patterns Go's regexp rejects (as containerd reads them from
//! hosts.toml), replacements that reference missing groups, patterns that overlap (containerd
//! picks one in Go's random map order for every request), rewrites no endpoint receives, and
//! Docker Hub's `library/` prefix.

use std::collections::BTreeMap;

use super::super::context::{quote, ypath, Ctx};
use super::super::template::{anchored_literal_prefix, template_literal_text, template_refs};
use crate::containerd::docker::DOCKER_HUB;
use crate::diag::Code;
use crate::diag::{Diagnostic, Severity};
use crate::go::regexp::Regexp;
use crate::go::string::GoString;
use crate::k3s::translate::DEFAULT_DIR;

/// Every rewrite rule.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let mirrors: Vec<(GoString, BTreeMap<GoString, GoString>)> = ctx
        .reg
        .mirrors
        .iter()
        .filter(|(k, m)| !m.rewrites.is_empty() && !ctx.is_injected(k))
        .map(|(k, m)| (k.clone(), m.rewrites.clone()))
        .collect();
    if !ctx.flavor().build().rewrites {
        ignored(ctx, &mirrors);
        return;
    }
    for (mirror, rewrites) in &mirrors {
        let mut compiled = Vec::new();
        for (pattern, replacement) in rewrites {
            // containerd compiles the pattern it reads from hosts.toml, after TOML unescaping
            // (`\e` there is an escape character, which Go's regexp accepts). A pattern that
            // breaks the file is hosts-toml-invalid's, and containerd never compiles it.
            let Ok(as_read) = super::output::pattern_as_read(pattern) else {
                continue;
            };
            match Regexp::compile(&as_read) {
                Err(e) => {
                    let loc = ctx.loc_key(ypath!["mirrors", mirror, "rewrite", pattern]);
                    let f = Diagnostic::new(
                        Code::RewriteInvalidRegex,
                        Severity::Error,
                        loc,
                        format!("rewrite pattern {} is not valid Go (RE2) syntax ({e}); containerd skips it, so matching images are requested unrewritten", quote(pattern)),
                        "RE2 has no look-around or back-references; rewrite with anchored alternatives (e.g. ^library/(.*)).",
                    );
                    ctx.emit(f);
                }
                Ok(re) => {
                    // A pattern that compiles is UTF-8.
                    let pattern = re.as_str().to_string();
                    replacement_checks(ctx, mirror, &pattern, replacement, &re);
                    library(ctx, mirror, &pattern);
                    compiled.push((pattern, re));
                }
            }
        }
        overlaps(ctx, mirror, &compiled);
        unused(ctx, mirror);
    }
}

/// `rewrite-ignored`: stock containerd has no `rewrite` field in hosts.toml (containerd v2.1.5
/// hosts.go:337-377, v1.6.20 hosts.go:289-325); the rules about patterns are moot there.
fn ignored(ctx: &mut Ctx<'_>, mirrors: &[(GoString, BTreeMap<GoString, GoString>)]) {
    for (mirror, _) in mirrors {
        let loc = ctx.loc_key(ypath!["mirrors", mirror, "rewrite"]);
        let f = Diagnostic::new(
            Code::RewriteIgnored,
            Severity::Error,
            loc,
            format!(
                "{} does not read rewrite tables: the endpoints of {} are asked for each image's own repository",
                ctx.flavor().build().title,
                quote(mirror)
            ),
            "Mirror the repositories under their original names, or run K3s's own containerd.",
        );
        ctx.emit(f);
    }
}

/// `rewrite-replacement-suspicious`: Go's `Expand` turns an unknown group into nothing.
fn replacement_checks(
    ctx: &mut Ctx<'_>,
    mirror: &GoString,
    pattern: &str,
    replacement: &GoString,
    re: &Regexp,
) {
    // Read as text: `$` references are ASCII; other bytes show as `\xNN`.
    let replacement = &*replacement.to_display();
    let mut problems = Vec::new();
    for r in template_refs(replacement) {
        let known = match r.num {
            Some(n) => n <= re.num_subexp(),
            None => re.subexp_names().iter().skip(1).any(|n| *n == r.name),
        };
        if known {
            continue;
        }
        let digits: String = r.name.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && r.num.is_none() && digits.len() < r.name.len() {
            problems.push(format!(
                "{} is read as the group named {} (which the pattern does not define) and becomes empty; write ${{{digits}}}{}",
                r.text,
                quote(&r.name),
                &r.name[digits.len()..]
            ));
        } else {
            problems.push(format!("{} references a group the pattern does not define (it has {}), so it becomes empty", r.text, re.num_subexp()));
        }
    }
    let literal = template_literal_text(replacement);
    if replacement.starts_with('/') {
        problems
            .push("the result starts with `/`, which is not a valid repository name".to_string());
    }
    if literal.chars().any(|c| c.is_ascii_uppercase()) {
        problems.push("it has upper-case letters, which repository names cannot have".to_string());
    }
    if problems.is_empty() {
        return;
    }
    let loc = ctx.loc_value(ypath!["mirrors", mirror, "rewrite", pattern]);
    let f = Diagnostic::new(
        Code::RewriteReplacementSuspicious,
        Severity::Warning,
        loc,
        format!("replacement {} of rewrite {}: {}", quote(replacement), quote(pattern), problems.join("; ")),
        "Use ${1} when a group number is followed by letters, digits or _; keep repository names lower-case and relative.",
    );
    ctx.emit(f);
}

/// `rewrite-dockerhub-library`: official images are `library/<name>`.
fn library(ctx: &mut Ctx<'_>, mirror: &GoString, pattern: &str) {
    if *mirror != DOCKER_HUB && *mirror != "*" {
        return;
    }
    let Some(prefix) = anchored_literal_prefix(pattern) else {
        return;
    };
    if prefix.contains('/') || "library/".starts_with(&prefix) {
        return;
    }
    let loc = ctx.loc_key(ypath!["mirrors", mirror, "rewrite", pattern]);
    let f = Diagnostic::new(
        Code::RewriteDockerhubLibrary,
        Severity::Info,
        loc,
        format!("official Docker Hub images are named library/<name> (nginx is docker.io/library/nginx), so {} never matches them", quote(pattern)),
        format!("Match ^library/{prefix} instead."),
    );
    ctx.emit(f);
}

/// `rewrite-order-nondeterministic`: unless every pattern is anchored on a literal prefix and no
/// prefix is a prefix of another, two patterns can match the same repository.
fn overlaps(ctx: &mut Ctx<'_>, mirror: &GoString, compiled: &[(String, Regexp)]) {
    if compiled.len() < 2 {
        return;
    }
    let prefixes: Vec<Option<String>> = compiled
        .iter()
        .map(|(p, _)| anchored_literal_prefix(p))
        .collect();
    let mut pairs = Vec::new();
    for i in 0..compiled.len() {
        for j in i + 1..compiled.len() {
            let exclusive = match (&prefixes[i], &prefixes[j]) {
                (Some(a), Some(b)) => !a.starts_with(b.as_str()) && !b.starts_with(a.as_str()),
                _ => false,
            };
            if !exclusive {
                pairs.push((i, j));
            }
        }
    }
    let Some(&(i, j)) = pairs.first() else { return };
    let more = if pairs.len() > 1 {
        format!(" ({} overlapping pairs in all)", pairs.len())
    } else {
        String::new()
    };
    let loc = ctx.loc_key(ypath!["mirrors", mirror, "rewrite"]);
    let first = ctx.loc_key(ypath!["mirrors", mirror, "rewrite", &compiled[i].0]);
    let second = ctx.loc_key(ypath!["mirrors", mirror, "rewrite", &compiled[j].0]);
    let f = Diagnostic::new(
            Code::RewriteOrderNondeterministic,
            Severity::Warning,
            loc,
            format!(
                "rewrites {} and {} of {} can both match one repository; containerd picks one in random order for every request, so one pull can mix both and fail with not found{more}",
                quote(&compiled[i].0),
                quote(&compiled[j].0),
                quote(mirror)
            ),
            "Make the patterns mutually exclusive: anchor each with ^ and a distinct literal prefix (^library/, ^bitnami/).",
        )
        .related(&first, "one pattern")
        .related(&second, "the other");
    ctx.emit(f);
}

/// `rewrite-unused`: rewrites are rendered only on `[host]` entries that carry them.
fn unused(ctx: &mut Ctx<'_>, mirror: &GoString) {
    let dir = if *mirror == "*" {
        DEFAULT_DIR.as_bytes()
    } else {
        mirror.as_bytes()
    };
    let hc = ctx.model.hosts.get(dir);
    if hc.is_some_and(|h| h.endpoints.iter().any(|e| !e.rewrites.is_empty())) {
        return;
    }
    let user_endpoints = ctx
        .reg
        .mirrors
        .get(mirror.as_bytes())
        .map_or(0, |m| m.endpoints.len());
    let why = if user_endpoints == 0 && ctx.node.embedded_registry {
        "its only endpoint is the embedded registry, which K3s never gives rewrites"
    } else if user_endpoints == 0 {
        "it has no endpoints, and rewrites never apply to the registry's own (default) endpoint"
    } else if hc.is_some_and(|h| h.default.as_ref().is_some_and(|d| d.index.is_some())) {
        "its only endpoint is the registry's own URL listed last, which K3s folds into `server`, where rewrites are not rendered"
    } else {
        "none of its endpoints is kept as a mirror entry (invalid or duplicate endpoints are dropped)"
    };
    let loc = ctx.loc_key(ypath!["mirrors", mirror, "rewrite"]);
    let f = Diagnostic::new(
        Code::RewriteUnused,
        Severity::Warning,
        loc,
        format!("rewrites of {} are never applied: {why}", quote(mirror)),
        "Add the target registry as an endpoint (use :443, e.g. https://registry-1.docker.io:443, to target upstream itself).",
    );
    ctx.emit(f);
}
