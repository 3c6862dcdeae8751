//! Rules about how yaml.v2 reads the file: load errors (K3s refuses the file), and what the
//! decoder's notes in the [`SourceMap`](crate::yaml::SourceMap) say it did differently from what
//! a reader expects: unknown keys, duplicates, nulls, YAML 1.1 booleans, non-string scalars,
//! merge keys; plus documents after the first, which yaml.v2 never reads.

use std::collections::BTreeSet;

use super::super::context::{fmt_path, quote, ypath, Ctx};
use crate::diag::Code;
use crate::diag::{Diagnostic, Location, Severity};
use crate::go::string::{display, BStr, ByteSlice, GoString};
use crate::yaml::{Entry, ErrorKind, LoadError, Note, Position, SourceMap};

/// The registries schema, level by level (wharfie's field names, in declaration order).
const TOP: &[&str] = &["mirrors", "configs", "auths"];
const MIRROR: &[&str] = &["endpoint", "rewrite"];
const CONFIG: &[&str] = &["auth", "tls"];
const AUTH: &[&str] = &["username", "password", "auth", "identity_token"];
const TLS: &[&str] = &["ca_file", "cert_file", "key_file", "insecure_skip_verify"];

/// Which struct a mapping is decoded into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Mirror,
    Config,
    Auth,
    Tls,
}

impl Level {
    fn of(valid: &[&str]) -> Option<Level> {
        [
            (TOP, Level::Top),
            (MIRROR, Level::Mirror),
            (CONFIG, Level::Config),
            (AUTH, Level::Auth),
            (TLS, Level::Tls),
        ]
        .into_iter()
        .find(|(f, _)| *f == valid)
        .map(|(_, l)| l)
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Level::Top => TOP,
            Level::Mirror => MIRROR,
            Level::Config => CONFIG,
            Level::Auth => AUTH,
            Level::Tls => TLS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Top => "at the top level",
            Level::Mirror => "under a mirrors entry",
            Level::Config => "under a configs entry",
            Level::Auth => "under auth",
            Level::Tls => "under tls",
        }
    }
}

/// Common misspellings and synonyms of schema keys, after lower-casing.
const ALIASES: &[(&str, &str)] = &[
    ("endpoints", "endpoint"),
    ("url", "endpoint"),
    ("urls", "endpoint"),
    ("server", "endpoint"),
    ("rewrites", "rewrite"),
    ("mirror", "mirrors"),
    ("config", "configs"),
    ("registries", "configs"),
    ("ca", "ca_file"),
    ("cacert", "ca_file"),
    ("ca_cert", "ca_file"),
    ("ca-cert", "ca_file"),
    ("ca_certificate", "ca_file"),
    ("cafile", "ca_file"),
    ("cert", "cert_file"),
    ("certfile", "cert_file"),
    ("cert file", "cert_file"),
    ("client_cert", "cert_file"),
    ("clientcert", "cert_file"),
    ("key", "key_file"),
    ("keyfile", "key_file"),
    ("client_key", "key_file"),
    ("clientkey", "key_file"),
    ("insecure", "insecure_skip_verify"),
    ("skip_verify", "insecure_skip_verify"),
    ("skip-verify", "insecure_skip_verify"),
    ("skipverify", "insecure_skip_verify"),
    ("insecureskipverify", "insecure_skip_verify"),
    ("token", "identity_token"),
    ("identitytoken", "identity_token"),
    ("user", "username"),
    ("login", "username"),
    ("pass", "password"),
    ("passwd", "password"),
    ("credentials", "auth"),
];

/// K3s flags people put into registries.yaml.
const K3S_FLAGS: &[&str] = &[
    "disable-default-registry-endpoint",
    "embedded-registry",
    "system-default-registry",
    "private-registry",
];

/// Findings for a file yaml.v2 refuses: K3s does not start.
pub(crate) fn load_error(err: &LoadError, file: &str, lines: &[&str]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in &err.problems {
        let line = p.line.unwrap_or(1);
        let column = p.column.unwrap_or(1);
        let src = (line as usize)
            .checked_sub(1)
            .and_then(|i| lines.get(i))
            .copied()
            .unwrap_or("");
        let at: String = src
            .chars()
            .skip((column as usize).saturating_sub(1))
            .collect();
        // A scalar from a secret position is quoted masked by the loader itself.
        let message = &p.message;
        let loc = Location {
            file: file.to_string(),
            line,
            column,
            width: 1,
            path: Vec::new(),
        };
        let f = match err.kind {
            ErrorKind::Type => Diagnostic::new(
                Code::YamlTypeMismatch,
                Severity::Error,
                loc,
                format!("yaml.v2 {message}; K3s refuses the file (`yaml: unmarshal errors`) and does not start"),
                type_help(&p.message),
            ),
            kind => Diagnostic::new(
                Code::YamlSyntaxError,
                Severity::Error,
                loc,
                format!("the file is not valid YAML for yaml.v2: {message}; K3s refuses it and does not start"),
                syntax_help(kind, &p.message, &at),
            ),
        };
        out.push(f);
    }
    out
}

fn type_help(msg: &str) -> String {
    if msg.ends_with("into bool") {
        "Write booleans unquoted: insecure_skip_verify: true (or false).".to_string()
    } else if msg.ends_with("into []string") {
        "Give endpoint as a list: endpoint: [\"https://mirror.example.com\"] (or one `- ` item per line).".to_string()
    } else if msg.ends_with("into string") {
        "This key takes one string; quote the value instead of giving a list or a mapping."
            .to_string()
    } else {
        "This key takes a mapping (`key: value` lines indented below it); check the indentation and that the value is not a plain string or list.".to_string()
    }
}

fn syntax_help(kind: ErrorKind, msg: &str, at: &str) -> String {
    if at.starts_with('*') {
        return "`*` starts an alias in YAML: quote the wildcard key, \"*\":, and any value starting with *.".to_string();
    }
    if at.starts_with('\t') || msg.contains("tab") {
        return "Indent with spaces only; YAML does not allow tabs for indentation.".to_string();
    }
    if at.starts_with('@') || at.starts_with('`') {
        return "Values starting with @ or ` are reserved in YAML: quote the value.".to_string();
    }
    if msg.contains("unknown anchor") {
        return "`*name` refers to an anchor `&name` defined earlier; define it, or quote the value if `*` is literal.".to_string();
    }
    if msg.contains("block scalar") {
        return "After | or > only an indentation digit, +/- and a comment may follow; quote the value if it starts with | or >.".to_string();
    }
    if kind == ErrorKind::Encoding {
        return "Save the file as UTF-8 (or UTF-16 with a BOM) without control characters."
            .to_string();
    }
    if msg.contains("merge") {
        return "The value of `<<` must be a mapping, an alias of one, or a list of them."
            .to_string();
    }
    "Quote keys and values that start with * & ! @ ` | > % (e.g. \"*\":) and indent with spaces only.".to_string()
}

/// Every rule fed by the source map, plus multiple-documents.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let entries: Vec<&Entry> = ctx.map.entries().collect();
    let misplaced = misplaced_sections(ctx);
    let anchors_used: BTreeSet<String> = ctx
        .map
        .notes()
        .filter_map(|(_, n)| match n {
            Note::Alias { anchor } => Some(anchor.clone()),
            _ => None,
        })
        .collect();
    for (idx, e) in entries.iter().enumerate() {
        for note in &e.notes {
            let f = match note {
                Note::UnknownKey { valid } => {
                    let p = ctx.map.path(e);
                    if misplaced.iter().any(|(s, k)| p.len() > 2 && p[0] == *s && p[1] == k.as_bstr()) {
                        None
                    } else {
                        Some(unknown_key(ctx, e, valid, &anchors_used))
                    }
                }
                Note::DuplicateKey { first } => Some(duplicate_key(ctx, &entries, idx, *first)),
                Note::Null => null_value(ctx, e),
                Note::Yaml11Bool { text, value } => Some(Diagnostic::new(
                    Code::Yaml11Boolean,
                    Severity::Info,
                    loc_value(ctx, e),
                    format!("`{text}` is a YAML 1.1 boolean: K3s reads {value}, YAML 1.2 tools read the string \"{text}\""),
                    format!("Write {value}."),
                )),
                Note::NonStringScalar { tag } => Some(non_string(ctx, e, tag, false)),
                Note::NonStringKey { tag } => Some(non_string(ctx, e, tag, true)),
                Note::MergeKey => {
                    for f in merge_order(ctx, &entries, idx) {
                        ctx.emit(f);
                    }
                    None
                }
                _ => None,
            };
            if let Some(f) = f {
                ctx.emit(f);
            }
        }
    }
    for (section, key) in misplaced {
        let f = misplaced_finding(ctx, section, &key);
        ctx.emit(f);
    }
    multiple_documents(ctx);
}

fn loc_key(ctx: &Ctx<'_>, e: &Entry) -> Location {
    let p = ctx.map.path(e);
    let mut loc = ctx.loc_key(&p);
    loc.line = e.key.line;
    loc.column = e.key.column;
    loc
}

fn loc_value(ctx: &Ctx<'_>, e: &Entry) -> Location {
    let p = ctx.map.path(e);
    let mut loc = ctx.loc_value(&p);
    if (loc.line, loc.column) != (e.value.line, e.value.column) {
        loc.line = e.value.line;
        loc.column = e.value.column;
        loc.width = 1;
    }
    loc
}

/// Mirrors and configs entries named like a schema key: the k3s#10135 mis-indent (`configs:`
/// indented under `mirrors:`) or a missing registry name line (`configs:` directly followed by
/// `auth:`).
fn misplaced_sections(ctx: &Ctx<'_>) -> Vec<(&'static str, GoString)> {
    let schema = |k: &GoString| {
        [TOP, MIRROR, CONFIG, AUTH, TLS]
            .iter()
            .any(|l| l.iter().any(|f| k == f))
    };
    let mut out = Vec::new();
    for k in ctx.reg.mirrors.keys().filter(|k| schema(k)) {
        out.push(("mirrors", k.clone()));
    }
    for k in ctx.reg.configs.keys().filter(|k| schema(k)) {
        out.push(("configs", k.clone()));
    }
    out
}

fn misplaced_finding(ctx: &Ctx<'_>, section: &str, key: &GoString) -> Diagnostic {
    let loc = ctx.loc_key(ypath![section, key]);
    // Only schema key names get here: text.
    let key = &*key.to_display();
    let (message, help) = if TOP.contains(&key) {
        (
            format!(
                "{section} has an entry named {q}: the {q} line is indented under {section}:, so K3s reads it as a registry name and ignores everything below it",
                q = quote(key)
            ),
            format!("Outdent \"{key}:\" to column 1, level with \"{section}:\"."),
        )
    } else {
        (
            format!(
                "{section} has an entry named {q}: the registry name line above it is missing, so K3s reads {q} as a registry name and ignores its settings",
                q = quote(key)
            ),
            format!("Add the registry host (e.g. \"registry.example.com\":) under \"{section}:\" and indent \"{key}:\" below it."),
        )
    };
    Diagnostic::new(Code::UnknownKey, Severity::Error, loc, message, help)
}

fn normalize(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The schema key `key` most likely stands for: this level first (spelling, the table of
/// common names, one typo), then a key of another level written exactly, then the same
/// searches everywhere.
fn intended(level: Level, key: &str) -> Option<&'static str> {
    let lower = key.to_lowercase();
    let norm = normalize(key);
    let normalized =
        |fields: &'static [&'static str]| fields.iter().find(|k| normalize(k) == norm).copied();
    let aliased = |fields: &'static [&'static str]| {
        ALIASES
            .iter()
            .find(|(from, _)| *from == lower || normalize(from) == norm)
            .and_then(|(_, to)| fields.iter().find(|k| *k == to).copied())
    };
    let typo = |fields: &'static [&'static str], max: usize| {
        if key.chars().count() < 4 {
            return None;
        }
        fields
            .iter()
            .map(|k| (levenshtein(&lower, k), *k))
            .filter(|(d, _)| *d <= max)
            .min_by_key(|(d, _)| *d)
            .map(|(_, k)| k)
    };
    let here = level.fields();
    if let Some(k) = normalized(here).or_else(|| aliased(here)) {
        return Some(k);
    }
    // `mirror` is `mirrors` at the top level and `endpoint` under a mirror.
    if lower == "mirror" && level != Level::Top {
        return Some("endpoint");
    }
    if let Some(k) = typo(here, 1) {
        return Some(k);
    }
    let all = [TOP, MIRROR, CONFIG, AUTH, TLS];
    if let Some(k) = all.iter().flat_map(|l| l.iter()).find(|k| **k == key) {
        return Some(k);
    }
    all.iter()
        .find_map(|l| normalized(l).or_else(|| aliased(l)))
        .or_else(|| typo(here, 2))
        .or_else(|| all.iter().find_map(|l| typo(l, 2)))
}

/// The TLS key an unknown key under `tls` most likely stands for.
pub(crate) fn intended_tls_key(key: &str) -> Option<&'static str> {
    intended(Level::Tls, key)
}

/// Where `target` belongs, seen from a mapping at `level` whose registry key is `reg`.
fn home(level: Level, target: &str, reg: Option<&GoString>) -> Option<String> {
    let r = reg.map_or_else(|| "\"<registry>\"".to_string(), quote);
    let in_level = |l: &[&str]| l.contains(&target);
    if level.fields().contains(&target) {
        return None;
    }
    Some(if in_level(TOP) {
        "the top level (column 1)".to_string()
    } else if in_level(MIRROR) {
        format!("mirrors.{r}")
    } else if in_level(CONFIG) {
        format!("configs.{r}")
    } else if in_level(AUTH) {
        format!("configs.{r}.auth")
    } else {
        format!("configs.{r}.tls")
    })
}

fn consequence(target: Option<&str>, level: Level) -> &'static str {
    match target {
        Some("ca_file") => ", so no CA is configured",
        Some("cert_file") => ", so no client certificate is configured",
        Some("key_file") => ", so no client key is configured",
        Some("insecure_skip_verify") => ", so TLS verification stays on",
        Some("username") => ", so no username is set",
        Some("password") => ", so no password is set",
        Some("identity_token") => ", so no identity token is set",
        Some("auth") if level == Level::Auth => ", so no auth string is set",
        Some("auth") => ", so no credentials are configured",
        Some("tls") => ", so none of its TLS settings apply",
        Some("endpoint") => ", so no mirror endpoint is configured",
        Some("rewrite") => ", so no rewrite is applied",
        Some("mirrors") => ", so no mirror is configured",
        Some("configs") => ", so no auth or TLS is configured",
        Some("auths") => "",
        _ => ", so it and everything under it is ignored",
    }
}

fn unknown_key(
    ctx: &Ctx<'_>,
    e: &Entry,
    valid: &[&str],
    anchors_used: &BTreeSet<String>,
) -> Diagnostic {
    let path = ctx.map.path(e);
    let last = path.last().map(|k| display(k)).unwrap_or_default();
    let key = &*last;
    let loc = loc_key(ctx, e);
    let level = Level::of(valid).unwrap_or(Level::Top);
    let valid_list = valid.join(", ");

    // An anchor holder: `x-tls: &tls {...}` only exists to be aliased.
    if let Some(anchor) = anchor_at(ctx, e.value) {
        if anchors_used.contains(&anchor) {
            return Diagnostic::new(
                Code::UnknownKey,
                Severity::Info,
                loc,
                format!("{} is not a key K3s reads; it holds the anchor &{anchor}, which is used elsewhere, and is otherwise ignored", quote(key)),
                format!("Nothing to fix if that is its only purpose (valid keys {}: {valid_list}).", level.name()),
            );
        }
    }

    let reg = match path.first().map(|s| s.as_bytes()) {
        Some(b"mirrors" | b"configs" | b"auths") => path.get(1).map(|k| GoString::from(*k)),
        _ => None,
    };
    let target = intended(level, key);
    let lenient = "K3s reads registries.yaml leniently and drops unknown keys without a log line";
    let (tail, help) = match target {
        Some(t) if valid.contains(&t) => (
            format!("; did you mean {}?", quote(t)),
            format!("{lenient}: rename it to {} (valid keys {}: {valid_list}).", quote(t), level.name()),
        ),
        Some(t) => match home(level, t, reg.as_ref()) {
            Some(place) if t == key => (
                format!("; {} belongs under {place}", quote(t)),
                format!("{lenient}: move it under {place}."),
            ),
            Some(place) => (
                format!("; did you mean {} under {place}?", quote(t)),
                format!("{lenient}: rename it to {} and move it under {place}.", quote(t)),
            ),
            None => (String::new(), format!("{lenient}; valid keys {}: {valid_list}.", level.name())),
        },
        None if level == Level::Top && K3S_FLAGS.contains(&key) => (
            "; it is a K3s flag, not a registries.yaml setting".to_string(),
            format!("Set {key} in /etc/rancher/k3s/config.yaml or pass --{key} to K3s."),
        ),
        None if level == Level::Top && (key.contains('.') || key.contains(':') || key == "localhost" || key == "*") => (
            "; a registry name must be under mirrors: or configs:".to_string(),
            format!("{lenient}: indent it under \"mirrors:\" (endpoints, rewrites) or \"configs:\" (auth, tls)."),
        ),
        None => (String::new(), format!("{lenient}: fix the name or indentation (valid keys {}: {valid_list}).", level.name())),
    };
    let message = format!(
        "{} is not a key K3s reads{}{tail}",
        quote(key),
        consequence(target, level)
    );
    Diagnostic::new(Code::UnknownKey, Severity::Error, loc, message, help)
}

/// The anchor name when the text at `pos` starts with `&name`.
fn anchor_at(ctx: &Ctx<'_>, pos: Position) -> Option<String> {
    let line = ctx.lines.get((pos.line as usize).checked_sub(1)?)?;
    let rest: String = line
        .chars()
        .skip((pos.column as usize).saturating_sub(1))
        .collect();
    let name: String = rest
        .strip_prefix('&')?
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '{' | '}' | '[' | ']'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// What decoding a duplicated key does to the earlier occurrence.
fn duplicate_key(ctx: &Ctx<'_>, entries: &[&Entry], idx: usize, first: Position) -> Diagnostic {
    let e = entries[idx];
    let p = &ctx.map.path(e);
    let key = p.last().copied().unwrap_or_default();
    let parent = fmt_path(&p[..p.len() - 1]);
    let parent = if parent.is_empty() {
        "the top level".to_string()
    } else {
        parent
    };
    let loc = loc_key(ctx, e);
    let first_loc = Location {
        line: first.line,
        column: first.column,
        ..loc.clone()
    };
    let text = text_path(p);
    let segs: Vec<&str> = text.iter().map(AsRef::as_ref).collect();
    // Map entries (registry names, rewrite patterns) are replaced wholesale.
    let map_entry = matches!(
        segs.as_slice(),
        ["mirrors" | "configs" | "auths", _] | ["mirrors", _, "rewrite", _]
    );
    // Mapping fields are decoded into the same value: merged key by key.
    let merged_field = matches!(
        segs.as_slice(),
        ["mirrors" | "configs" | "auths"]
            | ["mirrors", _, "rewrite"]
            | ["configs", _, "auth" | "tls"]
    );
    let (severity, what) = if map_entry {
        (
            Severity::Error,
            format!(
                "K3s keeps only this one and discards the one at line {}",
                first.line
            ),
        )
    } else if merged_field {
        let is_null = e.notes.contains(&Note::Null);
        let earlier = children(ctx.map, entries, p, first);
        let later = children_after(ctx.map, entries, idx);
        let overwritten: Vec<&&BStr> = later.iter().filter(|k| earlier.contains(k)).collect();
        if is_null {
            (
                Severity::Error,
                format!("this null resets everything set at line {}", first.line),
            )
        } else if !overwritten.is_empty() {
            let names: Vec<String> = overwritten.iter().map(quote).collect();
            (
                Severity::Error,
                format!(
                    "yaml.v2 merges the two blocks and {} from line {} is overwritten",
                    names.join(", "),
                    first.line
                ),
            )
        } else {
            (
                Severity::Warning,
                format!("yaml.v2 merges the two blocks without loss, but yaml.v3, linters and most tools reject duplicate keys (first at line {})", first.line),
            )
        }
    } else {
        (
            Severity::Error,
            format!(
                "K3s keeps this value and discards the one at line {}",
                first.line
            ),
        )
    };
    Diagnostic::new(
        Code::DuplicateKey,
        severity,
        loc,
        format!("{} appears twice in {parent}; {what}", quote(key)),
        "Keep one occurrence (merge the two into one).",
    )
    .related(&first_loc, "first occurrence")
}

/// The child keys recorded for the occurrence of `path` whose key is at `first`.
fn children<'m>(
    map: &'m SourceMap,
    entries: &[&Entry],
    path: &[&BStr],
    first: Position,
) -> Vec<&'m BStr> {
    let Some(start) = entries
        .iter()
        .position(|e| e.key == first && map.path_is(e, path))
    else {
        return Vec::new();
    };
    children_after(map, entries, start)
}

/// The child keys of the entry at `idx` (entries under it, recorded right after it).
fn children_after<'m>(map: &'m SourceMap, entries: &[&Entry], idx: usize) -> Vec<&'m BStr> {
    let p = map.path(entries[idx]);
    entries[idx + 1..]
        .iter()
        .map(|c| map.path(c))
        .take_while(|c| c.len() > p.len() && c.starts_with(&p))
        .filter(|c| c.len() == p.len() + 1)
        .filter_map(|c| c.last().copied())
        .collect()
}

pub(crate) fn is_secret_path<S: AsRef<[u8]>>(p: &[S]) -> bool {
    let text = text_path(p);
    let s: Vec<&str> = text.iter().map(AsRef::as_ref).collect();
    // Every key of an auth block but the username: a misspelled `pasword:` or `Password:` (which
    // K3s drops) still holds the password.
    match s.as_slice() {
        ["configs", _, "auth", key] | ["auths", _, key] => !key.eq_ignore_ascii_case("username"),
        _ => false,
    }
}

/// A path's segments as text, for matching against key names (bytes that are not UTF-8 become
/// `\xNN`, which no key name contains).
pub(crate) fn text_path<S: AsRef<[u8]>>(p: &[S]) -> Vec<std::borrow::Cow<'_, str>> {
    p.iter()
        .map(|s| crate::go::string::display(s.as_ref()))
        .collect()
}

fn null_value(ctx: &Ctx<'_>, e: &Entry) -> Option<Diagnostic> {
    let path = ctx.map.path(e);
    let text = text_path(&path);
    let s: Vec<&str> = text.iter().map(AsRef::as_ref).collect();
    let (severity, effect) = match s.as_slice() {
        ["configs", _, "auth", f @ ("username" | "password" | "auth" | "identity_token")] => (
            Severity::Error,
            format!("no {} is set", f.replace('_', " ")),
        ),
        ["configs", _, "tls", f @ ("ca_file" | "cert_file" | "key_file")] => (
            Severity::Error,
            format!("no {} is configured", f.replace('_', " ")),
        ),
        ["configs", _, "tls", "insecure_skip_verify"] => {
            (Severity::Warning, "it reads as false".to_string())
        }
        ["configs", _, section @ ("auth" | "tls")] => (
            Severity::Warning,
            format!("the {section} block is ignored (K3s writes no {section} for this registry)"),
        ),
        ["configs", _] => (
            Severity::Warning,
            "the entry configures nothing".to_string(),
        ),
        ["mirrors", _, "rewrite", _] => (
            Severity::Warning,
            "matching repositories are rewritten to the empty string".to_string(),
        ),
        ["mirrors" | "configs" | "auths"] => {
            (Severity::Warning, "the whole section is empty".to_string())
        }
        _ => return None,
    };
    let loc = loc_key(ctx, e);
    let why = null_cause(ctx, e);
    Some(Diagnostic::new(
        Code::NullValue,
        severity,
        loc,
        format!(
            "{} is empty ({why}); K3s treats it as not set: {effect}",
            fmt_path(&path)
        ),
        "Quote values that start with # & ! or * (password: \"#...\"), or remove the key.",
    ))
}

/// Why a value is null, from the text after the key.
fn null_cause(ctx: &Ctx<'_>, e: &Entry) -> String {
    let line = (e.key.line as usize)
        .checked_sub(1)
        .and_then(|i| ctx.lines.get(i))
        .copied()
        .unwrap_or("");
    let after_key: String = line.chars().skip(e.key.column as usize).collect();
    let after = after_key.split_once(':').map_or("", |(_, v)| v).trim();
    if after.starts_with('#') {
        "YAML null: the text after # is a comment".to_string()
    } else if after.starts_with('&') {
        "YAML null: &... only names an anchor".to_string()
    } else if after.starts_with('!') {
        "YAML null: !... only sets a tag".to_string()
    } else {
        "YAML null".to_string()
    }
}

fn non_string(ctx: &Ctx<'_>, e: &Entry, tag: &str, key: bool) -> Diagnostic {
    let kind = tag.trim_start_matches("!!");
    let (loc, what) = if key {
        (
            loc_key(ctx, e),
            format!("the key `{}`", token_text(ctx, e.key)),
        )
    } else {
        let path = ctx.map.path(e);
        let text = if is_secret_path(&path) {
            crate::secret::MASK.to_string()
        } else {
            token_text(ctx, e.value)
        };
        (loc_value(ctx, e), format!("{} `{text}`", fmt_path(&path)))
    };
    let message = if kind == "null" {
        format!("{what} is a YAML null, which yaml.v2 reads as the empty string \"\"")
    } else {
        format!("{what} looks like a YAML {kind}; K3s keeps the text as written, other YAML tools may not")
    };
    Diagnostic::new(
        Code::NonStringScalar,
        Severity::Info,
        loc,
        message,
        "Quote it.",
    )
}

/// The plain scalar at `pos`, as written.
fn token_text(ctx: &Ctx<'_>, pos: Position) -> String {
    let line = (pos.line as usize)
        .checked_sub(1)
        .and_then(|i| ctx.lines.get(i))
        .copied()
        .unwrap_or("");
    let rest: String = line
        .chars()
        .skip((pos.column as usize).saturating_sub(1))
        .collect();
    let end = rest.find([',', '}', ']', '#']).unwrap_or(rest.len());
    let token = rest[..end].trim_end();
    // A block key ends at `: `.
    let token = token.find(": ").map_or(token, |i| &token[..i]);
    token.strip_suffix(':').unwrap_or(token).to_string()
}

/// `<<` after explicit keys it also sets: yaml.v2 applies the merge in place, so it wins.
fn merge_order(ctx: &Ctx<'_>, entries: &[&Entry], m: usize) -> Vec<Diagnostic> {
    let map = ctx.map;
    let merge = entries[m];
    let merge_path = map.path(merge);
    let parent = &merge_path[..merge_path.len() - 1];
    // The mapping holding the `<<`: its entry is the last one for `parent` recorded before it.
    let start = entries[..m].iter().rposition(|e| map.path_is(e, parent));
    let lower = start.map_or(Position { line: 0, column: 0 }, |i| entries[i].value);
    let explicit: Vec<(&Entry, Vec<&BStr>)> = entries[start.map_or(0, |i| i + 1)..m]
        .iter()
        .map(|e| (*e, map.path(e)))
        .filter(|(_, p)| p.len() == parent.len() + 1 && p.starts_with(parent))
        .filter(|(e, p)| {
            e.key >= lower && e.key < merge.key && p.last().is_some_and(|k| *k != "<<")
        })
        .collect();
    let mut overridden: Vec<(GoString, Position)> = Vec::new();
    for (e, path) in entries[m + 1..]
        .iter()
        .map(|e| (e, map.path(e)))
        .take_while(|(_, p)| p.len() > parent.len() && p.starts_with(parent))
    {
        if path.len() != parent.len() + 1
            || e.notes
                .iter()
                .any(|n| matches!(n, Note::DuplicateKey { .. }))
        {
            continue;
        }
        if let Some((x, _)) = explicit.iter().find(|(_, p)| *p == path) {
            let last = path.last().copied().unwrap_or_default();
            if !overridden.iter().any(|(k, _)| k == last) {
                overridden.push((GoString::from(last), x.key));
            }
        }
    }
    if overridden.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = overridden.iter().map(|(k, _)| quote(k)).collect();
    let loc = loc_key(ctx, merge);
    let mut f = Diagnostic::new(
        Code::MergeKeyOrder,
        Severity::Warning,
        loc.clone(),
        format!(
            "merge `<<` at {} comes after {} and overrides {} (yaml.v2 applies merges where they appear)",
            if parent.is_empty() { "the top level".to_string() } else { fmt_path(parent) },
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        ),
        "Put `<<:` first in the mapping, so the keys written explicitly win.",
    );
    for (k, pos) in &overridden {
        f = f.related(
            &Location {
                line: pos.line,
                column: pos.column,
                ..loc.clone()
            },
            format!("{} set here is overridden", quote(k)),
        );
    }
    vec![f]
}

/// A `---` (or `...`) after content: everything after it is another document, never read.
fn multiple_documents(ctx: &mut Ctx<'_>) {
    let is_marker = |l: &str, m: &str| {
        l == m
            || l.strip_prefix(m)
                .is_some_and(|r| r.starts_with([' ', '\t']))
    };
    let is_content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !l.starts_with('%')
    };
    let mut seen_content = false;
    let mut split = None;
    let mut documents = 1;
    for (i, raw) in ctx.lines.iter().enumerate() {
        let l = raw.trim_end_matches('\r');
        let start = is_marker(l, "---");
        let end = is_marker(l, "...");
        if (start || end) && seen_content {
            let after_marker = l.get(3..).unwrap_or("");
            let rest_has_content = is_content(after_marker)
                || ctx.lines[i + 1..]
                    .iter()
                    .any(|l| is_content(l) && !is_marker(l, "---") && !is_marker(l, "..."));
            if rest_has_content {
                split.get_or_insert(i);
                if start {
                    documents += 1;
                }
            }
            continue;
        }
        if start {
            // A leading `---` (maybe with content after it on the same line).
            seen_content |= is_content(l.get(3..).unwrap_or(""));
            continue;
        }
        seen_content |= is_content(l);
    }
    let Some(i) = split else { return };
    let last = ctx.lines.iter().rposition(|l| is_content(l)).unwrap_or(i) + 1;
    let first_ignored = i + 1;
    let loc = Location {
        file: ctx.file.to_string(),
        line: u32::try_from(first_ignored).unwrap_or(u32::MAX),
        column: 1,
        width: 3,
        path: Vec::new(),
    };
    let documents = documents.max(2);
    let f = Diagnostic::new(
        Code::MultipleDocuments,
        Severity::Error,
        loc,
        format!(
            "{} holds {documents} YAML documents; K3s reads only the first, so lines {first_ignored}-{last} are ignored",
            ctx.file
        ),
        "Remove the `---` separators and merge the documents into one mapping.",
    );
    ctx.emit(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(intended(Level::Tls, "cafile"), Some("ca_file"));
        assert_eq!(intended(Level::Tls, "certfile"), Some("cert_file"));
        assert_eq!(intended(Level::Tls, "caFile"), Some("ca_file"));
        assert_eq!(
            intended(Level::Tls, "insecureSkipVerify"),
            Some("insecure_skip_verify")
        );
        assert_eq!(
            intended(Level::Tls, "insecure-skip-verify"),
            Some("insecure_skip_verify")
        );
        assert_eq!(intended(Level::Mirror, "endpoints"), Some("endpoint"));
        assert_eq!(intended(Level::Mirror, "mirror"), Some("endpoint"));
        assert_eq!(intended(Level::Top, "mirror"), Some("mirrors"));
        assert_eq!(intended(Level::Top, "Mirrors"), Some("mirrors"));
        assert_eq!(intended(Level::Mirror, "auth"), Some("auth"));
        assert_eq!(intended(Level::Config, "ca_file"), Some("ca_file"));
        assert_eq!(intended(Level::Auth, "usernme"), Some("username"));
        assert_eq!(intended(Level::Config, "auths"), Some("auth"));
        assert_eq!(intended(Level::Tls, "cert file"), Some("cert_file"));
        assert_eq!(intended(Level::Top, "base"), None);
        assert_eq!(
            home(Level::Config, "ca_file", Some(&"r.io".into())),
            Some("configs.\"r.io\".tls".to_string())
        );
        assert_eq!(
            home(Level::Mirror, "tls", Some(&"r.io".into())),
            Some("configs.\"r.io\"".to_string())
        );
        assert_eq!(home(Level::Tls, "ca_file", Some(&"r.io".into())), None);
    }
}
