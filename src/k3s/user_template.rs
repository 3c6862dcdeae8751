//! User templates: when `<data-dir>/agent/etc/containerd/config-v3.toml.tmpl` or
//! `config.toml.tmpl` exists (tried in that order), K3s renders config.toml from it instead of
//! its built-in template, with the built-in template of that generation defined as `"base"`
//! (`{{ template "base" . }}` stands for it). K3s's `writeContainerdConfig` and
//! `templates.ParseTemplateFromConfig` (pkg/agent/containerd/config.go, templates.go), the same
//! in every modelled release: `templateGenerations` lists config-v3.toml.tmpl (version 3) then
//! config.toml.tmpl (version 2); the template is parsed with `template.Must`, so one Go's
//! text/template refuses makes K3s panic; the result goes through `trimEmpty`.
//!
//! We do not execute Go templates, so a user template's config.toml cannot be rendered byte for
//! byte, except in the one case K3s documents for the v2 schema: a template that is only
//! `{{ template "base" . }}` renders exactly the built-in template of its generation. For any
//! other template this module says what the template likely breaks ([`analyse`]), reading its
//! text: which registry settings it keeps, under which plugin, which template functions it calls.
//! Pure.

use crate::k3s::node::ConfigVersion;
use crate::k3s::versions::Era;

/// The user template files, in the order K3s tries them.
pub(crate) const TEMPLATE_FILES: &[(&str, ConfigVersion)] = &[
    ("config-v3.toml.tmpl", ConfigVersion::V3),
    ("config.toml.tmpl", ConfigVersion::V2),
];

/// Go's text/template builtins and keywords (go1.24 text/template/funcs.go `builtins`, parse's
/// keywords).
const GO_TEMPLATE_WORDS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne", "if", "else", "end", "range",
    "with", "define", "template", "block", "break", "continue", "nil", "true", "false",
];

/// A user template on the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserTemplate {
    /// Its file name (`config-v3.toml.tmpl`).
    pub(crate) file: &'static str,
    /// Where it is, as shown to people.
    pub(crate) path: String,
    /// Which built-in template is its `"base"`, and which config version K3s starts containerd
    /// with.
    pub(crate) version: ConfigVersion,
    /// Its text.
    pub(crate) text: String,
}

impl UserTemplate {
    /// Whether it is exactly `{{ template "base" . }}` (white space and trim markers aside): K3s
    /// then writes the built-in template of its generation, byte for byte.
    pub(crate) fn is_base_only(&self) -> bool {
        let actions = actions(&self.text);
        let outside: String = outside_actions(&self.text);
        outside.trim().is_empty()
            && actions.len() == 1
            && words(actions[0].body) == ["template", "\"base\"", "."]
    }
}

/// One `{{ ... }}` action: its body (trim markers and comments removed) and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Action<'a> {
    body: &'a str,
    line: u32,
}

/// The actions of a template, in order. An action that is never closed ends the scan.
fn actions(text: &str) -> Vec<Action<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let mut body = &after[..end];
        body = body.strip_prefix("- ").unwrap_or(body);
        body = body.strip_suffix(" -").unwrap_or(body);
        let body = body.trim();
        let line = text[..offset + start].matches('\n').count() as u32 + 1;
        if !(body.starts_with("/*") && body.ends_with("*/")) {
            out.push(Action { body, line });
        }
        offset += start + 2 + end + 2;
        rest = &after[end + 2..];
    }
    out
}

/// The template's text outside its actions.
fn outside_actions(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("}}") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// An action's words, quoted strings kept whole.
fn words(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' => {
                cur.push(c);
                let close = c;
                while let Some(d) = chars.next() {
                    cur.push(d);
                    if d == '\\' && close == '"' {
                        if let Some(e) = chars.next() {
                            cur.push(e);
                        }
                        continue;
                    }
                    if d == close {
                        break;
                    }
                }
            }
            c if c.is_whitespace() || c == '(' || c == ')' || c == '|' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// What a user template likely breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Issue {
    /// An action calls a function this K3s release does not define: Go's parser refuses the
    /// template and K3s panics (`template.Must`).
    UnknownFunction {
        /// The function.
        name: String,
        /// 1-based line.
        line: u32,
    },
    /// `{{` without `}}`: Go's parser refuses the template, K3s panics.
    Unclosed {
        /// 1-based line.
        line: u32,
    },
    /// No `{{ template "base" . }}` and no `config_path`: containerd reads no certs.d, so every
    /// mirror and TLS setting of registries.yaml is ignored.
    NoConfigPath,
    /// No `{{ template "base" . }}` and nothing that prints `.PrivateRegistryConfig`'s auths,
    /// while registries.yaml has credentials: containerd never gets them.
    NoAuth,
    /// The registry table is under the plugin another config version reads: version 3 reads
    /// `io.containerd.cri.v1.images`, version 2 `io.containerd.grpc.v1.cri`.
    WrongNamespace {
        /// The version the template declares (`version = N`; 1 when none).
        declared: i64,
        /// The plugin it puts the registry table under.
        plugin: &'static str,
        /// 1-based line.
        line: u32,
    },
    /// The template adds a table the built-in template it includes already has: containerd
    /// refuses a config.toml that defines a table twice.
    DuplicateTable {
        /// The table header as written.
        header: String,
        /// 1-based line.
        line: u32,
    },
    /// No `{{ template "base" . }}` and no `imports`: the drop-ins containerd would merge are
    /// ignored.
    NoImports,
}

/// What K3s's registries.yaml holds that a template must carry.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Needs {
    /// registries.yaml has `configs.*.auth`.
    pub(crate) auth: bool,
    /// The node has drop-ins in the imports directory.
    pub(crate) dropins: bool,
}

/// The tables the built-in template's rendering has (`[...]` headers), to find duplicates.
pub(crate) fn table_headers(toml: &str) -> Vec<String> {
    toml.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(normalise_header)
        .collect()
}

/// A table header with quotes made uniform and blanks removed, for comparison.
fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '\'' { '"' } else { c })
        .collect()
}

/// What the template likely breaks, for a node of release `era` whose built-in config.toml
/// (the rendering of the template's `"base"`) is `base_rendered`.
pub(crate) fn analyse(
    t: &UserTemplate,
    era: &Era,
    base_rendered: &str,
    needs: Needs,
) -> Vec<Issue> {
    let mut out = Vec::new();
    if t.is_base_only() {
        return out;
    }
    // Unclosed actions.
    let mut at = 0;
    while let Some(start) = t.text[at..].find("{{") {
        let abs = at + start;
        match t.text[abs + 2..].find("}}") {
            Some(end) => at = abs + 2 + end + 2,
            None => {
                out.push(Issue::Unclosed {
                    line: t.text[..abs].matches('\n').count() as u32 + 1,
                });
                break;
            }
        }
    }
    let acts = actions(&t.text);
    let mut includes_base = false;
    for a in &acts {
        let ws = words(a.body);
        if ws.first().map(String::as_str) == Some("template")
            && ws.get(1).map(String::as_str) == Some("\"base\"")
        {
            includes_base = true;
        }
        // Identifiers in function position: words that are neither fields (`.X`), variables
        // (`$x`), literals nor keywords.
        for w in &ws {
            if !w.starts_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
            let name: &str = w.split('.').next().unwrap_or(w);
            if GO_TEMPLATE_WORDS.contains(&name) || era.template_functions.contains(&name) {
                continue;
            }
            let seen = out
                .iter()
                .any(|i| matches!(i, Issue::UnknownFunction { name: n, .. } if n == name));
            if !seen {
                out.push(Issue::UnknownFunction {
                    name: name.to_string(),
                    line: a.line,
                });
            }
        }
    }
    let literal = outside_actions(&t.text);
    let all_text = &t.text;
    if !includes_base {
        if !all_text.contains("config_path") {
            out.push(Issue::NoConfigPath);
        }
        if needs.auth && !all_text.contains("PrivateRegistryConfig") {
            out.push(Issue::NoAuth);
        }
        if needs.dropins && !all_text.contains("imports") {
            out.push(Issue::NoImports);
        }
    }
    // The version the template declares, and the plugin its registry table is under.
    let declared = literal
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "version").then(|| v.trim().parse::<i64>().ok())?
        })
        .unwrap_or(if includes_base {
            match t.version {
                ConfigVersion::V3 => 3,
                ConfigVersion::V2 => 2,
            }
        } else {
            1
        });
    for (i, line) in t.text.lines().enumerate() {
        let l = line.trim();
        if !l.starts_with('[') || !l.contains("registry") {
            continue;
        }
        let h = normalise_header(l);
        let plugin = if h.contains("\"io.containerd.grpc.v1.cri\".registry") {
            "io.containerd.grpc.v1.cri"
        } else if h.contains("\"io.containerd.cri.v1.images\".registry") {
            "io.containerd.cri.v1.images"
        } else {
            continue;
        };
        let wrong = match declared {
            3 => plugin == "io.containerd.grpc.v1.cri",
            2 => false,
            _ => true,
        };
        if wrong {
            out.push(Issue::WrongNamespace {
                declared,
                plugin,
                line: i as u32 + 1,
            });
            break;
        }
    }
    if includes_base {
        let base: Vec<String> = table_headers(base_rendered);
        for (i, line) in t.text.lines().enumerate() {
            let l = line.trim();
            if !l.starts_with('[') || l.starts_with("[[") || l.contains("{{") {
                continue;
            }
            if base.contains(&normalise_header(l)) {
                out.push(Issue::DuplicateTable {
                    header: l.to_string(),
                    line: i as u32 + 1,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k3s::versions::{CONTAINERD_2_1, PAUSE_3_10_2};

    fn t(file: &'static str, version: ConfigVersion, text: &str) -> UserTemplate {
        UserTemplate {
            file,
            path: file.to_string(),
            version,
            text: text.to_string(),
        }
    }

    const BASE: &str =
        "version = 3\n\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = \"/x\"\n";

    #[test]
    fn base_only_is_byte_exact() {
        for text in [
            "{{ template \"base\" . }}",
            "{{- template \"base\" . -}}\n",
            "\n  {{template \"base\" .}}  \n",
            "{{/* keep */}}{{ template \"base\" . }}",
        ] {
            assert!(
                t("config.toml.tmpl", ConfigVersion::V2, text).is_base_only(),
                "{text:?}"
            );
        }
        for text in [
            "{{ template \"base\" . }}\n[x]\n",
            "{{ template \"base\" $ }}",
            "",
        ] {
            assert!(
                !t("config.toml.tmpl", ConfigVersion::V2, text).is_base_only(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn functions_the_release_lacks_make_k3s_panic() {
        let tpl = t(
            "config-v3.toml.tmpl",
            ConfigVersion::V3,
            "{{ template \"base\" . }}\nimports = [{{ filepathjoin .NodeConfig.Containerd.Template \"x\" | printf \"%q\" }}]\n",
        );
        let issues = analyse(&tpl, &CONTAINERD_2_1, BASE, Needs::default());
        assert_eq!(
            issues,
            [Issue::UnknownFunction {
                name: "filepathjoin".into(),
                line: 2
            }]
        );
        assert!(analyse(&tpl, &PAUSE_3_10_2, BASE, Needs::default()).is_empty());
    }

    #[test]
    fn full_templates_that_drop_registry_settings() {
        let tpl = t(
            "config-v3.toml.tmpl",
            ConfigVersion::V3,
            "version = 3\n[plugins.'io.containerd.grpc.v1.cri'.registry]\n  config_path = \"{{ .NodeConfig.Containerd.Registry }}\"\n",
        );
        let issues = analyse(
            &tpl,
            &PAUSE_3_10_2,
            BASE,
            Needs {
                auth: true,
                dropins: true,
            },
        );
        assert_eq!(
            issues,
            [
                Issue::NoAuth,
                Issue::NoImports,
                Issue::WrongNamespace {
                    declared: 3,
                    plugin: "io.containerd.grpc.v1.cri",
                    line: 2
                }
            ]
        );
        let tpl = t("config-v3.toml.tmpl", ConfigVersion::V3, "version = 3\n");
        assert_eq!(
            analyse(&tpl, &PAUSE_3_10_2, BASE, Needs::default()),
            [Issue::NoConfigPath]
        );
    }

    #[test]
    fn tables_the_base_already_has() {
        let tpl = t(
            "config-v3.toml.tmpl",
            ConfigVersion::V3,
            "{{ template \"base\" . }}\n[plugins.\"io.containerd.cri.v1.images\".registry]\n  config_path = \"/y\"\n[plugins.'x']\n",
        );
        assert_eq!(
            analyse(&tpl, &PAUSE_3_10_2, BASE, Needs::default()),
            [Issue::DuplicateTable {
                header: "[plugins.\"io.containerd.cri.v1.images\".registry]".into(),
                line: 2
            }]
        );
    }

    #[test]
    fn unclosed_actions() {
        let tpl = t(
            "config.toml.tmpl",
            ConfigVersion::V2,
            "version = 2\nconfig_path = \"{{ .X\n",
        );
        assert!(analyse(&tpl, &PAUSE_3_10_2, BASE, Needs::default())
            .contains(&Issue::Unclosed { line: 2 }));
    }
}
