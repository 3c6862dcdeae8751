//! YAML, decoded exactly as K3s decodes registries.yaml: rancher/wharfie's
//! `registries.GetPrivateRegistries` calls `yaml.Unmarshal(bytes, &registries.Registry{})` with
//! gopkg.in/yaml.v2 v2.4.0 (non-strict). This module owns that port.
//!
//! The steps follow yaml.v2's `unmarshal` (yaml.go):
//!
//! 1. [`reader`], [`scanner`], [`events`]: libyaml's reader, scanner and parser as yaml.v2
//!    ports them (`readerc.go`, `scannerc.go`, `parserc.go`), ported function for function:
//!    bytes to characters (BOM, UTF-16, UTF-8 validation, the printable check, decoded lazily
//!    in 512-byte chunks as libyaml does), characters to tokens, tokens to events;
//! 2. [`tree`]: the node tree of the first document only, as decode.go's `parser`
//!    (`parse`, `document`, `alias`, `scalar`, `sequence`, `mapping`);
//! 3. [`decode`]: the tree into the caller's schema, as decode.go's
//!    `decoder` (`unmarshal`, `prepare`, `alias`, `scalar`, `sequence`, `mapping`,
//!    `mappingStruct`, `merge`, `terror`), with `resolve.go`'s `resolve` ([`resolve`]);
//!    type errors are collected and decoding goes on, as in Go;
//! 4. alongside, a [`SourceMap`] of where every key and value stood and what yaml.v2 did with it.
//!
//! The public API is [`unmarshal`], the schema traits it decodes into ([`Struct`],
//! [`Ptr`](decode::Ptr), [`Map`](decode::Map), [`Elem`], [`GoType`], [`Out`]), [`LoadError`] and
//! [`SourceMap`]. This module knows no schema: `crate::registries` describes wharfie's types with
//! those traits.
//!
//! Known differences from yaml.v2: none, in what is accepted, decoded or refused, or in the
//! messages. (Those listed before the port of libyaml — odd tags, junk after a complete value,
//! CRs in flow keys, LS/PS/NEL, BOMs inside the document, anchors libyaml cuts short, tabs, the
//! timing of invalid bytes, error wording — came from the YAML 1.2 parser it replaced; the port
//! reproduces them. Alias and merge chains nest as deep as memory allows, as Go's growing stacks
//! do.) Bytes that are not UTF-8 in a message (a tag's `%C0%80`, a value cut inside a character)
//! show as `\xNN` where Go prints them raw, as in every message of this tool. The port was
//! checked against yaml.v2 v2.4.0 event for event (marks included) on 60,000 generated
//! documents, and end to end through K3s's code by the differential tests.

mod any;
mod decode;
mod error;
mod events;
mod reader;
mod resolve;
mod scanner;
mod secrets;
mod source_map;
mod tree;

pub use any::{GoValue, MapItem};
pub use decode::{Elem, GoType, Out, Struct};
pub use error::{ErrorKind, LoadError, Problem};
pub use source_map::{Entry, Note, Position, SourceMap};

/// The scalars of the first document that sit at a secret position (the value of a
/// `password`, `auth`, `identity_token` ... key, at any depth), with their text: for masking a
/// file that did not load. Empty when the file does not parse.
pub fn secret_scalars(text: &[u8]) -> Vec<(crate::secret::SecretAt, String)> {
    match tree::parse_first_document(text) {
        Ok(doc) => secrets::secret_scalars(&doc),
        Err(_) => Vec::new(),
    }
}

pub use secrets::mask_secret_quotes;

/// Decodes YAML `text` into `out` as `yaml.Unmarshal(text, out)` does with yaml.v2 v2.4.0
/// (non-strict), for a schema described with [`Struct`] and its friends. `name` (a path, or
/// `<stdin>`) is used in error messages. Builds the [`SourceMap`] only when `source_map` is set:
/// the value and every error are the same either way, but a large file decodes in a fraction of
/// the memory without it.
///
/// Fails, as K3s does, on anything yaml.v2 rejects: encoding and syntax errors in the first
/// document, decoder aborts, and type errors (all of them, in [`LoadError::problems`]). On
/// success `out` holds what Go's would, and an empty input or a document of comments leaves it
/// untouched.
pub fn unmarshal(
    text: &[u8],
    name: &str,
    out: &mut dyn Struct,
    source_map: bool,
) -> Result<SourceMap, LoadError> {
    let doc = first_document(text, name)?;
    let Some(root) = doc.root else {
        // No document at all (empty input, comments only).
        return Ok(SourceMap::default());
    };
    let decoder = decode::run(&doc, root, out, source_map);
    let decoder = match decoder {
        Ok(d) => d,
        Err(fatal) => {
            return Err(decode_error(name, &doc, fatal));
        }
    };
    if !decoder.terrors.is_empty() {
        return Err(type_errors(name, &doc, &decoder.terrors));
    }
    Ok(decoder.map)
}

/// Decodes YAML `text` as `yaml.Unmarshal(text, &yaml.MapSlice{})` does with yaml.v2 v2.4.0:
/// the top-level entries in order, values as Go's `interface{}` ([`GoValue`]). What K3s's
/// pkg/configfilearg does with config.yaml and its drop-ins. Fails as yaml.v2 does: encoding and
/// syntax errors, decoder aborts, type errors (a document that is not a mapping).
pub fn unmarshal_map_slice(text: &[u8], name: &str) -> Result<Vec<MapItem>, LoadError> {
    let doc = first_document(text, name)?;
    let Some(root) = doc.root else {
        return Ok(Vec::new());
    };
    let mut decoder = any::Decoder::new(&doc);
    let items = decoder
        .map_slice(root)
        .map_err(|fatal| decode_error(name, &doc, fatal))?;
    if !decoder.terrors.is_empty() {
        return Err(type_errors(name, &doc, &decoder.terrors));
    }
    Ok(items)
}

/// The first document of `text` as yaml.v2's parser builds it, or the encoding or syntax error
/// it stops with.
fn first_document<'a>(text: &'a [u8], name: &str) -> Result<tree::Doc<'a>, LoadError> {
    tree::parse_first_document(text).map_err(|e| {
        let kind = if e.encoding {
            ErrorKind::Encoding
        } else {
            ErrorKind::Syntax
        };
        LoadError::single(name, kind, Some(e.position), e.message, e.go_line)
    })
}

/// A decoder abort (`failf`), at its node.
fn decode_error(name: &str, doc: &tree::Doc<'_>, fatal: decode::Fatal) -> LoadError {
    let n = doc.node(fatal.node);
    LoadError::single(
        name,
        ErrorKind::Decode,
        Some((n.line, n.column)),
        fatal.message,
        None,
    )
}

/// The type errors decoding collected (`*yaml.TypeError`), each at its node.
fn type_errors(name: &str, doc: &tree::Doc<'_>, terrors: &[decode::TypeErr]) -> LoadError {
    let problems = terrors
        .iter()
        .map(|t| {
            let n = doc.node(t.node);
            Problem {
                line: Some(n.line),
                column: Some(n.column),
                message: t.message.clone(),
                go_line: Some(n.line),
            }
        })
        .collect();
    LoadError {
        name: name.to_string(),
        kind: ErrorKind::Type,
        problems,
    }
}
