//! registries.yaml, decoded exactly as K3s decodes it: rancher/wharfie's
//! `registries.GetPrivateRegistries` calls `yaml.Unmarshal(bytes, &registries.Registry{})` with
//! gopkg.in/yaml.v2 v2.4.0 (non-strict). This module owns that port.
//!
//! The steps follow yaml.v2's `unmarshal` (yaml.go):
//!
//! 1. [`input`]: bytes to text, as libyaml's reader (`readerc.go`: BOM and UTF-16 detection,
//!    UTF-8 validation, the printable-character check);
//! 2. [`parse`]: the node tree of the first document only, as decode.go's `parser`
//!    (`parse`, `document`, `alias`, `scalar`, `sequence`, `mapping`), from `granit-parser`'s
//!    events standing in for libyaml's scanner and parser;
//! 3. [`decode`]: the tree into [`Registry`](crate::registries::Registry), as decode.go's
//!    `decoder` (`unmarshal`, `prepare`, `alias`, `scalar`, `sequence`, `mapping`,
//!    `mappingStruct`, `merge`, `terror`), with `resolve.go`'s `resolve` ([`resolve`]);
//!    type errors are collected and decoding goes on, as in Go;
//! 4. alongside, a [`SourceMap`] of where every key and value stood and what yaml.v2 did with it.
//!
//! The public API is [`decode_registry`], [`LoadError`] and [`SourceMap`].
//!
//! Known differences from libyaml (yaml.v2's parser), all on deliberately malformed input;
//! documents that look like registries files matched yaml.v2 on some 60,000 generated cases:
//! - a comma right after a tag in a flow sequence (`[!!null, x]`): libyaml reads the comma as part
//!   of the tag; we refuse the file ("not supported");
//! - odd tags libyaml accepts (`!!s]tr`, `!*!binary`, `!!binary, x` in block style) are refused;
//! - junk after a complete top-level value (`"mirrors" 0x1F`) is accepted by libyaml and refused
//!   here; a bare CR inside a flow key, U+2028/U+2029 as line breaks, a BOM right after a quoted
//!   scalar, and anchors libyaml cuts short (`&5000: x`) differ too;
//! - tabs and invalid bytes are checked with approximations of libyaml's scanner state and its
//!   512-byte reader chunks, exact on the cases tested but not proven;
//! - alias and merge chains deeper than 256 levels are refused (Go has no limit);
//! - syntax errors use libyaml's wording for the common ones and granit-parser's otherwise.

mod any;
mod decode;
mod error;
mod input;
mod parse;
mod resolve;
mod source_map;

#[cfg(test)]
mod tests;

pub use any::{GoValue, MapItem};
pub use error::{ErrorKind, LoadError, Problem};
pub use source_map::{Entry, Note, Position, SourceMap};

use crate::registries::{Loaded, Registry};

/// How many characters past the last token of the first document libyaml's scanner looks.
const SCANNER_LOOKAHEAD: usize = 4;

/// Decodes registries.yaml `text` as `yaml.Unmarshal(text, &registries.Registry{})` does with
/// yaml.v2 v2.4.0. `name` (a path, or `<stdin>`) is used in error messages.
///
/// On success, returns the registry and its [`SourceMap`]. Fails, as K3s does, on anything
/// yaml.v2 rejects: encoding and syntax errors in the first document, decoder aborts, and type
/// errors (all of them, in [`LoadError::problems`]).
pub fn decode_registry(text: &[u8], name: &str) -> Result<Loaded, LoadError> {
    decode_registry_with(text, name, true)
}

/// [`decode_registry`], building the [`SourceMap`] only when `source_map` is set: the registry
/// and every error are the same either way, but a large file decodes in a fraction of the memory
/// without it.
pub fn decode_registry_with(
    text: &[u8],
    name: &str,
    source_map: bool,
) -> Result<Loaded, LoadError> {
    let input = input::decode(text);
    let doc = first_document(&input, name)?;

    let mut registry = Registry::default();
    let Some(root) = doc.root else {
        // No document at all (empty input, comments only): the zero Registry.
        return Ok(Loaded::default());
    };
    let mut decoder = decode::Decoder::new(&doc, source_map);
    if let Err(fatal) = decoder.decode_document(root, &mut registry) {
        let n = doc.node(fatal.node);
        return Err(LoadError::single(
            name,
            ErrorKind::Decode,
            Some((n.line, n.column)),
            fatal.message,
            None,
        ));
    }
    if !decoder.terrors.is_empty() {
        let problems = decoder
            .terrors
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
        return Err(LoadError {
            name: name.to_string(),
            kind: ErrorKind::Type,
            problems,
        });
    }
    Ok(Loaded {
        registry,
        source_map: decoder.map,
    })
}

/// The first document of `input` as yaml.v2's parser builds it, or the encoding or syntax
/// error yaml.v2 stops with.
fn first_document<'a>(input: &'a input::Text<'a>, name: &str) -> Result<parse::Doc<'a>, LoadError> {
    let parsed = parse::parse_first_document(&input.text);

    // A bad byte is an error once libyaml's reader has decoded the 512-byte chunk holding it,
    // which happens as soon as the scanner gets near that chunk.
    if let Some(bad) = &input.bad {
        let reached = match &parsed {
            Ok(p) => p.consumed,
            Err(e) => e.offset,
        } + SCANNER_LOOKAHEAD;
        // A sequence cut short by the end of input is only noticed once libyaml's reader has
        // hit the end, i.e. when the scanner reaches it.
        let hit = if input.utf16 || bad.message == "incomplete UTF-8 octet sequence" {
            bad.offset <= reached
        } else {
            bad.raw_offset / input::RAW_CHUNK * input::RAW_CHUNK <= reached + input.prefix
        };
        if hit {
            let pos = input::line_col(&input.text, bad.offset);
            return Err(LoadError::single(
                name,
                ErrorKind::Encoding,
                Some(pos),
                bad.message.to_string(),
                None,
            ));
        }
    }

    match parsed {
        Ok(p) => Ok(p.doc),
        Err(e) => {
            let go_line = (e.line > 1).then_some(e.line);
            Err(LoadError::single(
                name,
                ErrorKind::Syntax,
                Some((e.line, e.column)),
                e.message,
                go_line,
            ))
        }
    }
}

/// Decodes YAML `text` as `yaml.Unmarshal(text, &yaml.MapSlice{})` does with yaml.v2 v2.4.0:
/// the top-level entries in order, values as Go's `interface{}` ([`GoValue`]). What K3s's
/// pkg/configfilearg does with config.yaml and its drop-ins. Fails as yaml.v2 does: encoding and
/// syntax errors, decoder aborts, type errors (a document that is not a mapping).
pub fn unmarshal_map_slice(text: &[u8], name: &str) -> Result<Vec<MapItem>, LoadError> {
    let input = input::decode(text);
    let doc = first_document(&input, name)?;
    let Some(root) = doc.root else {
        return Ok(Vec::new());
    };
    let mut decoder = any::Decoder::new(&doc);
    let items = decoder.map_slice(root).map_err(|fatal| {
        let n = doc.node(fatal.node);
        LoadError::single(
            name,
            ErrorKind::Decode,
            Some((n.line, n.column)),
            fatal.message,
            None,
        )
    })?;
    if !decoder.terrors.is_empty() {
        let problems = decoder
            .terrors
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
        return Err(LoadError {
            name: name.to_string(),
            kind: ErrorKind::Type,
            problems,
        });
    }
    Ok(items)
}
