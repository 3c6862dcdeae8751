//! Which scalars of a parsed document sit at a secret position, so that an error quoting one
//! (``cannot decode !!str `hunter2` as a !!int``, ``cannot unmarshal !!str `dXNlcjp...` into
//! registries.AuthConfig``) is masked where the loader builds it, and audit can mask the values
//! of a file that did not load.
//!
//! The loader's errors keep yaml.v2's wording (the tests compare them with Go's); the masking is
//! applied to an error before anything prints it ([`mask_secret_quotes`]).
//!
//! A secret position is the value of a mapping key that names a credential
//! ([`crate::secret::is_secret_key`]: `password`, `auth`, `identity_token` and their usual
//! misspellings, in any case), at any depth and whatever the schema says: every scalar inside it
//! (a list of them, a mapping given where a string was expected, an anchored value reached
//! through an alias) is secret. The one exception is `auth` holding a mapping, which is the
//! schema's `AuthConfig`: its own keys decide (`username` is not secret, `password` is).
//!
//! This looks only at the node tree, not at how it was scanned: it does not change when the
//! scanner does.

use super::tree::{Doc, Kind, NodeId};
use crate::secret::{is_secret_key, SecretAt};

/// Per node of `doc`: `Some(key column)` when it is at a secret position (the 1-based column of
/// the credential key it belongs to), else `None`.
pub(crate) fn secret_nodes(doc: &Doc<'_>) -> Vec<Option<u32>> {
    let n = doc.nodes.len();
    let mut secret: Vec<Option<u32>> = vec![None; n];
    let Some(root) = doc.root else {
        return secret;
    };
    // Each node is visited at most once outside and once inside a secret (aliases can share
    // nodes), so the walk is linear even for alias bombs; it is iterative, for deep nesting.
    let mut seen = vec![0u8; n];
    let mut stack: Vec<(NodeId, Option<u32>)> = vec![(root, None)];
    while let Some((id, key_col)) = stack.pop() {
        let idx = id as usize;
        let bit = if key_col.is_some() { 2 } else { 1 };
        match seen.get_mut(idx) {
            Some(s) if *s & bit == 0 => *s |= bit,
            _ => continue,
        }
        let node = doc.node(id);
        if key_col.is_some() {
            secret[idx] = secret[idx].or(key_col);
        }
        match node.kind {
            Kind::Scalar => {}
            Kind::Alias => stack.push((doc.alias_target(id), key_col)),
            Kind::Sequence => stack.extend(doc.kids(id).iter().map(|&k| (k, key_col))),
            Kind::Mapping => {
                for pair in doc.kids(id).chunks(2) {
                    let [k, v] = pair else { continue };
                    let key = doc.node(*k);
                    let child = match key_col {
                        Some(c) => Some(c),
                        None if key.kind == Kind::Scalar && is_secret_key(&key.value) => {
                            let holds_auth_config = key.value.trim().eq_ignore_ascii_case("auth")
                                && resolves_to_mapping(doc, *v);
                            (!holds_auth_config).then_some(key.column)
                        }
                        None => None,
                    };
                    stack.push((*k, key_col));
                    stack.push((*v, child));
                }
            }
        }
    }
    secret
}

/// Whether `id` is a mapping, or an alias (chain) to one.
fn resolves_to_mapping(doc: &Doc<'_>, mut id: NodeId) -> bool {
    for _ in 0..doc.nodes.len().min(1024) {
        let n = doc.node(id);
        match n.kind {
            Kind::Mapping => return true,
            Kind::Alias => id = doc.alias_target(id),
            _ => return false,
        }
    }
    false
}

/// The scalars at a secret position: where each is, and its text.
pub(crate) fn secret_scalars(doc: &Doc<'_>) -> Vec<(SecretAt, String)> {
    secret_nodes(doc)
        .into_iter()
        .enumerate()
        .filter_map(|(i, key_col)| {
            let n = doc.nodes.get(i)?;
            let key_column = key_col?;
            (n.kind == Kind::Scalar).then(|| {
                (
                    SecretAt {
                        line: n.line,
                        column: n.column,
                        key_column,
                    },
                    n.value.to_string(),
                )
            })
        })
        .collect()
}

/// Masks, in every problem of `err` that stands at a scalar from a secret position of `text`,
/// every scalar the message quotes: ``cannot decode !!str `hunter2` as a !!int`` becomes
/// ``cannot decode !!str `********` as a !!int``. yaml.v2 quotes a scalar it cannot use (cut
/// to seven characters and `...` when longer), so the quote is a prefix of the secret, which no
/// search for the whole value would find.
pub fn mask_secret_quotes(err: &mut super::LoadError, text: &[u8]) {
    if !err.problems.iter().any(|p| p.message.contains('`')) {
        return;
    }
    let at: Vec<(u32, u32)> = super::secret_scalars(text)
        .into_iter()
        .map(|(s, _)| (s.line, s.column))
        .collect();
    for p in &mut err.problems {
        if let (Some(l), Some(c)) = (p.line, p.column) {
            if at.contains(&(l, c)) {
                p.message = mask_quoted_scalars(&p.message);
            }
        }
    }
}

/// A yaml.v2 message with every scalar it quotes in backquotes (``cannot unmarshal !!str
/// `hunter2` into int``) masked.
pub(crate) fn mask_quoted_scalars(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('`') {
        let Some(close) = rest[open + 1..].find('`').map(|c| open + 1 + c) else {
            break;
        };
        out.push_str(&rest[..=open]);
        out.push_str(crate::secret::MASK);
        out.push('`');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::tree;

    fn secret_texts(yaml: &str) -> Vec<String> {
        let doc = tree::parse_first_document(yaml.as_bytes()).expect("parses");
        let mut v: Vec<String> = secret_scalars(&doc).into_iter().map(|(_, t)| t).collect();
        v.sort();
        v
    }

    #[test]
    fn secret_positions_at_any_depth() {
        assert_eq!(
            secret_texts(
                "configs:\n  r:\n    auth: {username: u, password: p1, Pasword: p2}\n    x: &a p3\n  s:\n    auth: *a\n  t:\n    auth: [p4, {k: p5}]\n    token: {p6: p7}\nauths:\n  a: {identity_token: p8}\n"
            ),
            // Everything inside a secret is secret, keys of a mapping given there too.
            ["k", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]
        );
        // Not the user name, not the TLS paths.
        assert!(
            secret_texts("configs:\n  r:\n    auth: {username: u}\n    tls: {ca_file: /c}\n")
                .is_empty()
        );
    }

    #[test]
    fn quoted_scalars() {
        assert_eq!(
            mask_quoted_scalars("cannot unmarshal !!str `dXNlcjp...` into x"),
            "cannot unmarshal !!str `********` into x"
        );
        assert_eq!(mask_quoted_scalars("no quote"), "no quote");
        assert_eq!(mask_quoted_scalars("a `b"), "a `b");
    }
}
