//! A [`Report`] as a SARIF 2.1.0 log (OASIS SARIF v2.1.0, the format GitHub code scanning
//! reads): one run, the tool with every rule of the catalogue, one result per finding. Built as
//! data; [`crate::report`] prints it.

use serde_json::{json, Value};

use crate::audit::Report;
use crate::diag::{Diagnostic, Severity, RULES};

/// The SARIF schema this log declares.
pub(crate) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the tool is documented: the crate's repository when Cargo.toml names one, else K3s's
/// documentation of registries.yaml, which every rule is about.
pub(crate) fn information_uri() -> &'static str {
    match env!("CARGO_PKG_REPOSITORY") {
        "" => "https://docs.k3s.io/installation/private-registry",
        repo => repo,
    }
}

/// `CamelCase` of a kebab-case code, for the rule's `name`.
fn camel(code: &str) -> String {
    code.split(['-', '.'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A file name as a SARIF `uri`: relative paths stay relative (percent-encoded), absolute
/// ones become `file://` URIs.
pub(crate) fn artifact_uri(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if out.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

/// SARIF's `level`.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// The log, for the report's findings as printed (`findings`, secrets masked).
pub(crate) fn to_sarif(report: &Report, findings: &[Diagnostic]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code.as_str(),
                "name": camel(r.code.as_str()),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.description },
                "help": { "text": r.description },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "needs": r.needs.describe() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let l = report.location(f);
            let region = json!({
                "startLine": l.line,
                "startColumn": l.column,
                "endColumn": l.end_column().max(l.column + 1),
            });
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i,
                        "physicalLocation": {
                            "artifactLocation": { "uri": artifact_uri(&r.location.file) },
                            "region": { "startLine": r.location.line, "startColumn": r.location.column },
                        },
                        "message": { "text": r.message },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": f.code as usize,
                "level": level(f.severity),
                "message": { "text": format!("{} Help: {}", f.message, f.help) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&l.file) },
                        "region": region,
                    }
                }],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": crate::report::NAME,
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": information_uri(),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_names() {
        assert_eq!(
            artifact_uri("examples/a b/registries.yaml"),
            "examples/a%20b/registries.yaml"
        );
        assert_eq!(
            artifact_uri("/etc/rancher/k3s/registries.yaml"),
            "file:///etc/rancher/k3s/registries.yaml"
        );
        assert_eq!(artifact_uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(camel("yaml-1.1-boolean"), "Yaml11Boolean");
        assert_eq!(camel("unknown-key"), "UnknownKey");
    }
}
