//! Rules about the files K3s writes: each is rendered exactly as K3s renders it and decoded the
//! way containerd decodes it (the [`crate::containerd`] model explain uses). K3s inserts rewrites,
//! endpoint URLs and configs keys raw, and credentials and TLS paths through Go's `%q`, whose
//! escapes are not all TOML; a file containerd cannot parse is ignored (hosts.toml) or stops
//! containerd and K3s (config.toml).
//!
//! Each inserted value is also checked on its own, in the form the template gives it, to point
//! at the YAML key responsible; the whole-file parse is the verdict, and a file that fails
//! without a value to blame is still reported.

use super::super::context::{quote, ypath, Ctx, DirOutcome};
use crate::containerd::gotoml::{self, DecodeError, TomlError};
use crate::containerd::hosts_dir::{CertFilesReason, Source};
use crate::containerd::hosts_toml::parse_hosts_file;
use crate::diag::Code;
use crate::diag::{Diagnostic, Location, Severity};
use crate::fs::PathError;
use crate::go::quote::quote as go_quote;
use crate::go::string::{BStr, ByteSlice, GoString};
use crate::k3s::model::HostConfig;
use crate::k3s::node::ConfigVersion;
use crate::k3s::render::{Rendered, CERTS_D, CONFIG_TOML};

/// Both rules, on the rendered files.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    match ctx.rendered {
        Err(e) => render_failed(ctx, &e.to_string()),
        Ok(r) => {
            config_toml(ctx, r);
            hosts_tomls(ctx, r);
        }
    }
}

/// K3s's trimEmpty reads at most 64 KiB per line; a longer line fails the render and K3s.
fn render_failed(ctx: &mut Ctx<'_>, error: &str) {
    let (code, loc) = match error
        .strip_prefix(&format!("{CERTS_D}/"))
        .and_then(|r| r.split_once("/hosts.toml"))
    {
        Some((dir, _)) => (Code::HostsTomlInvalid, ctx.dir_loc(BStr::new(dir))),
        None => {
            let longest = ctx
                .reg
                .configs
                .iter()
                .filter_map(|(k, c)| {
                    c.auth.as_ref().map(|a| {
                        (
                            k,
                            a.username.len()
                                + a.password.len()
                                + a.auth.len()
                                + a.identity_token.len(),
                        )
                    })
                })
                .max_by_key(|(_, n)| *n)
                .map(|(k, _)| k.clone());
            let loc = longest.map_or_else(
                || Location::file_start(ctx.file),
                |k| ctx.loc_key(ypath!["configs", &k, "auth"]),
            );
            (Code::ConfigTomlInvalid, loc)
        }
    };
    let f = Diagnostic::new(
        code,
        Severity::Error,
        loc,
        format!("K3s cannot write its files: {error}; K3s does not start"),
        "Shorten the value: K3s reads each rendered line with a 64 KiB buffer.",
    );
    ctx.emit(f);
}

/// A value as it stands in the template, parsed alone: `Ok` with what containerd reads. The
/// snippet is bytes, as K3s writes them.
fn parse_alone(
    snippet: impl AsRef<[u8]>,
    read: impl Fn(&toml_edit::Document<String>) -> Option<String>,
) -> Result<String, TomlError> {
    let doc = gotoml::parse(snippet.as_ref())?;
    Ok(read(&doc).unwrap_or_default())
}

/// Whether `value`, pasted raw between TOML quotes (basic `"..."` or literal `'...'`), is read
/// back as itself: printable ASCII without quotes or backslashes. Such a value can neither end
/// its string early nor hold an escape or a character TOML refuses, so its snippet needs no
/// parse (most values are like this; parsing each took a parse per endpoint, TLS file and
/// rewrite).
fn pastes_verbatim(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| matches!(b, b' '..=b'~') && !matches!(b, b'"' | b'\\' | b'\''))
}

/// `before`, `value` and `after` as the template writes them (`value` raw), parsed alone with
/// `read`, which must read `value` back: what containerd reads there.
fn read_pasted(
    before: &[u8],
    value: &[u8],
    after: &[u8],
    read: impl Fn(&toml_edit::Document<String>) -> Option<String>,
) -> Result<String, TomlError> {
    if pastes_verbatim(value) {
        return Ok(String::from_utf8_lossy(value).into_owned());
    }
    parse_alone(snippet(&[before, value, after]), read)
}

/// `x = <value through Go's %q>`, as K3s writes credentials and TLS paths, parsed alone: `Err`
/// when go-toml refuses Go's escapes. Printable ASCII needs no parse: %q escapes only `"` and
/// `\` in it, as TOML does.
fn read_go_quoted(value: &[u8]) -> Result<(), TomlError> {
    if value.iter().all(|&b| matches!(b, b' '..=b'~')) {
        return Ok(());
    }
    parse_alone(format!("x = {}\n", go_quote(value)), value_x).map(drop)
}

/// `parts` joined, as bytes.
fn snippet(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The rewrite pattern containerd reads where K3s writes `"<pattern>" = ...`.
pub(super) fn pattern_as_read(pattern: &GoString) -> Result<String, TomlError> {
    read_pasted(b"\"", pattern.as_bytes(), b"\" = 1\n", |d| {
        d.as_table().iter().next().map(|(k, _)| k.to_string())
    })
}

fn first_key(doc: &toml_edit::Document<String>, table: &str) -> Option<String> {
    doc.as_table()
        .get(table)?
        .as_table()?
        .iter()
        .next()
        .map(|(k, _)| k.to_string())
}

fn value_x(doc: &toml_edit::Document<String>) -> Option<String> {
    doc.as_table().get("x")?.as_str().map(str::to_string)
}

/// `config-toml-invalid`.
fn config_toml(ctx: &mut Ctx<'_>, r: &Rendered) {
    let v2 = ctx.node.config_version == ConfigVersion::V2;
    let mut blamed = false;
    let model = ctx.model;
    let auths = model
        .registry
        .configs
        .iter()
        .filter_map(|(k, c)| c.auth.as_ref().map(|a| (k, a)));
    for (key, a) in auths {
        // The table header: `configs.'<key>'.auth` (v3) or `configs."<key>".auth` (v2).
        let header = if v2 {
            read_pasted(b"[a.\"", key.as_bytes(), b"\".auth]\n", |_| None)
        } else {
            read_pasted(b"[a.'", key.as_bytes(), b"'.auth]\n", |_| None)
        };
        if let Err(p) = header {
            let loc = ctx.loc_key(ypath!["configs", key]);
            let quoting = if v2 { "double" } else { "single" };
            let f = Diagnostic::new(
                Code::ConfigTomlInvalid,
                Severity::Error,
                loc,
                format!(
                    "configs key {} is pasted between {quoting} quotes into config.toml's auth table header, which makes config.toml invalid TOML ({}); containerd cannot load it, and K3s does not start",
                    quote(key),
                    p.message
                ),
                "Registry names are host[:port]: remove quotes, backslashes and control characters from the key.",
            );
            ctx.emit(f);
            blamed = true;
        }
        for (field, yaml, value) in [
            ("username", "username", &a.username),
            ("password", "password", &a.password),
            ("auth", "auth", &a.auth),
            ("identitytoken", "identity_token", &a.identity_token),
        ] {
            if value.is_empty() {
                continue;
            }
            if let Err(p) = read_go_quoted(value.as_bytes()) {
                let loc = ctx.loc_value(ypath!["configs", key, "auth", yaml]);
                let f = Diagnostic::new(
                    Code::ConfigTomlInvalid,
                    Severity::Error,
                    loc,
                    format!(
                        "the {yaml} of configs.{} holds a control character or a byte that is not UTF-8; K3s prints it into config.toml ({field} = ...) with a Go escape (\\a, \\v or \\xNN) that go-toml (containerd's TOML parser) does not have ({}), so containerd cannot load config.toml and K3s does not start",
                        quote(key),
                        p.message
                    ),
                    "Remove control characters (and non-UTF-8 !!binary bytes) from credentials.",
                );
                ctx.emit(f);
                blamed = true;
            }
        }
    }
    if std::str::from_utf8(&r.config_toml).is_err() {
        if !blamed {
            let f = Diagnostic::new(
                Code::ConfigTomlInvalid,
                Severity::Error,
                Location::file_start(ctx.file),
                "K3s would write config.toml with bytes that are not UTF-8, which TOML does not allow; containerd cannot load it and K3s does not start",
                "Remove !!binary values that are not UTF-8 text.",
            );
            ctx.emit(f);
        }
        return;
    }
    if let Err(p) = config_toml_verdict(ctx, r) {
        if !blamed {
            let line = p.line;
            let f = Diagnostic::new(
                Code::ConfigTomlInvalid,
                Severity::Error,
                Location::file_start(ctx.file),
                format!("K3s would write an invalid {CONFIG_TOML} (line {line}: {}); containerd cannot load it and K3s does not start", p.message),
                "Run `k3s-registries render` to see the file, and remove the value that breaks it.",
            );
            ctx.emit(f);
        }
    }
}

/// Whether containerd can parse the rendered config.toml, and where it fails. The containerd
/// view already parsed it (into its registry settings): that parse is the verdict when it
/// succeeded, and go-toml's syntax check (which allocates nothing) finds most failures; only a
/// file that passes the syntax check and still failed is parsed again, for the error.
fn config_toml_verdict(ctx: &Ctx<'_>, r: &Rendered) -> Result<(), TomlError> {
    gotoml::check(&r.config_toml)?;
    if let Some(Some(Ok(_))) = ctx.containerd.map(|v| v.config.as_ref()) {
        return Ok(());
    }
    gotoml::parse(&r.config_toml).map(drop)
}

/// `hosts-toml-invalid` and `hosts-toml-value-changed`: each rendered hosts.toml decoded as
/// containerd decodes it (the verdict), and each value K3s inserts checked on its own (to point
/// at the YAML key responsible).
fn hosts_tomls(ctx: &mut Ctx<'_>, r: &Rendered) {
    for file in &r.hosts {
        if ctx.is_injected(&file.dir) {
            continue;
        }
        let model = ctx.model;
        let Some(hc) = model.hosts.get(file.dir.as_bytes()) else {
            continue;
        };
        let verdict = hosts_toml_verdict(ctx, &file.dir, &file.contents);
        let blamed = hosts_values(ctx, &file.dir, hc, verdict.is_err());
        if let (Err(why), false) = (verdict, blamed) {
            let loc = ctx.dir_loc(file.dir.as_bstr());
            let f = Diagnostic::new(
                Code::HostsTomlInvalid,
                Severity::Error,
                loc,
                format!("K3s would write {CERTS_D}/{}/hosts.toml, which containerd cannot decode ({why}); containerd ignores the whole file and pulls from the registry itself", file.dir),
                "Run `k3s-registries render` to see the file, and remove the value that breaks it.",
            );
            ctx.emit(f);
        }
    }
}

/// What containerd makes of one rendered hosts.toml: the model's reading of the directory when
/// containerd can find it (a name without `/`), else the file decoded on its own.
fn hosts_toml_verdict(ctx: &Ctx<'_>, dir: &GoString, contents: &[u8]) -> Result<(), Refusal> {
    // A name that is not UTF-8 is never looked up (image references are text).
    let findable = dir.to_str().filter(|d| !d.contains('/'));
    if let (Some(view), Some(dir)) = (ctx.containerd, findable) {
        // Most directories were read already, by the resolutions of the rules before.
        match ctx.dir_reading(dir) {
            Some(DirOutcome::Read) => return Ok(()),
            Some(DirOutcome::Invalid(e)) => return Err(Refusal::Decode(e)),
            Some(DirOutcome::Unreadable(e)) => return Err(Refusal::Read(e)),
            None => {}
        }
        if let Some(state) = view.tree.load(dir, ctx.flavor()) {
            return match state.map(|l| l.source) {
                Ok(Source::CertFiles(CertFilesReason::Invalid(e))) => Err(Refusal::Decode(e.error)),
                Ok(_) => Ok(()),
                Err(e) => Err(Refusal::Read(e)),
            };
        }
    }
    let dir_path =
        crate::go::filepath::join_bytes(&[ctx.model.paths.registry_dir.as_bytes(), dir.as_bytes()]);
    parse_hosts_file(
        &crate::go::string::display(&dir_path),
        contents,
        ctx.flavor(),
    )
    .map(|_| ())
    .map_err(Refusal::Decode)
}

/// Why containerd cannot use a rendered hosts.toml.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// It does not decode.
    #[error("{0}")]
    Decode(DecodeError),
    /// Its directory cannot be read.
    #[error("{0}")]
    Read(PathError),
}

/// Checks each value K3s inserts into one hosts.toml; whether any was blamed.
fn hosts_values(ctx: &mut Ctx<'_>, dir: &GoString, hc: &HostConfig, file_invalid: bool) -> bool {
    let ignored = "containerd ignores the whole file, so this registry gets no mirrors, no TLS settings and no rewrites, and is pulled from upstream even with --disable-default-registry-endpoint";
    let mut findings = Vec::new();
    let mut changed = Vec::new();
    let mirror = hc.mirror.clone();
    let all = hc
        .default
        .iter()
        .map(|e| (e, true))
        .chain(hc.endpoints.iter().map(|e| (e, false)));
    for (ep, is_default) in all {
        // Located only for a finding: most endpoints have none.
        let loc = || ctx.endpoint_loc(hc, ep);
        // The URL, raw, in `server = "..."` (default) or as a table name (mirrors).
        if let Some(u) = &ep.url {
            let url = u.string();
            let (before, after): (&[u8], &[u8]) = if is_default {
                (b"x = \"", b"\"\n")
            } else {
                (b"[host.\"", b"\"]\n")
            };
            let read =
                |d: &toml_edit::Document<String>| first_key(d, "host").or_else(|| value_x(d));
            match read_pasted(before, url.as_bytes(), after, read) {
                Err(p) => findings.push((loc(), format!("endpoint {} is written unescaped into {CERTS_D}/{dir}/hosts.toml and makes it invalid TOML ({}); {ignored}", u.redacted(), p.message))),
                Ok(read) if url != read => changed.push((loc(), format!("endpoint {} is written unescaped into {CERTS_D}/{dir}/hosts.toml, where TOML reads it as a different URL; containerd contacts that one", u.redacted()))),
                Ok(_) => {}
            }
        }
        // TLS paths, through Go's %q.
        if let Some(t) = &ep.config.tls {
            for (field, value) in t.files() {
                if value.is_empty() {
                    continue;
                }
                if let Err(p) = read_go_quoted(value.as_bytes()) {
                    let key = ep.config_key.clone().unwrap_or_default();
                    let l = ctx.loc_value(ypath!["configs", &key, "tls", field]);
                    findings.push((l, format!("{field} {} holds a control character or a byte that is not UTF-8, which K3s prints with a Go escape go-toml (containerd's TOML parser) does not have ({}); {ignored}", quote(value), p.message)));
                }
            }
        }
        // Rewrites: `"<pattern>" = "<replacement>"`, both raw.
        for (pattern, replacement) in &ep.rewrites {
            let Some(m) = &mirror else { continue };
            let at = || ctx.loc_key(ypath!["mirrors", m, "rewrite", pattern]);
            let key = pattern_as_read(pattern);
            let val = read_pasted(b"x = \"", replacement.as_bytes(), b"\"\n", value_x);
            for (what, raw, res) in [("pattern", pattern, key), ("replacement", replacement, val)] {
                match res {
                    Err(p) => findings.push((
                        at(),
                        format!("rewrite {what} {} is written unescaped into {CERTS_D}/{dir}/hosts.toml and makes it invalid TOML ({}); {ignored}", quote(raw), p.message),
                    )),
                    // `\\` in registries.yaml is the known workaround: TOML turns it into the
                    // intended single backslash.
                    Ok(read)
                        if read.as_bytes() != raw.as_bytes()
                            && read.as_bytes() != raw.replace("\\\\", "\\").as_slice() =>
                    {
                        changed.push((
                        at(),
                        format!("rewrite {what} {} is written unescaped into {CERTS_D}/{dir}/hosts.toml, where TOML reads it as {}: containerd uses a different {what} than the one written", quote(raw), quote(&read)),
                        ));
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    // A value that breaks the file when alone but not in it is still read as something else.
    if !file_invalid {
        changed.append(&mut findings);
    }
    let blamed = !findings.is_empty();
    let help = "Avoid \\ and \" in rewrites and endpoints (use [.] instead of \\.), or double every backslash, which K3s's TOML unescapes.";
    for (code, list) in [
        (Code::HostsTomlInvalid, findings),
        (Code::HostsTomlValueChanged, changed),
    ] {
        for (loc, message) in list {
            ctx.emit(Diagnostic::new(code, Severity::Error, loc, message, help));
        }
    }
    blamed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcuts give the parse's answer: every byte, alone and between other characters,
    /// in each template form.
    #[test]
    fn shortcuts_agree_with_the_parse() {
        let first_key =
            |d: &toml_edit::Document<String>| first_key(d, "host").or_else(|| value_x(d));
        for b in 0..=u8::MAX {
            for value in [
                vec![b],
                vec![b'a', b, b'z'],
                b"https://r.example.com/".to_vec(),
            ] {
                let forms: [(&[u8], &[u8]); 3] = [
                    (b"x = \"", b"\"\n"),
                    (b"[host.\"", b"\"]\n"),
                    (b"[a.'", b"'.auth]\n"),
                ];
                for (before, after) in forms {
                    let parsed = parse_alone(snippet(&[before, &value, after]), first_key)
                        .map(|r| r.is_empty() || r.as_bytes() == value.as_slice());
                    let short = read_pasted(before, &value, after, first_key)
                        .map(|r| r.is_empty() || r.as_bytes() == value.as_slice());
                    assert_eq!(short.is_ok(), parsed.is_ok(), "{value:?} in {before:?}");
                    if pastes_verbatim(&value) {
                        assert_eq!(parsed.ok(), Some(true), "{value:?} in {before:?}");
                    }
                }
                let parsed = parse_alone(format!("x = {}\n", go_quote(&value)), value_x);
                assert_eq!(read_go_quoted(&value).is_ok(), parsed.is_ok(), "{value:?}");
            }
        }
    }
}
