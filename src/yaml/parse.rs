//! The node tree of the first YAML document: a port of the parser half of yaml.v2 v2.4.0's
//! `decode.go` (`parser.parse`, `document`, `alias`, `scalar`, `sequence`, `mapping`, `anchor`),
//! fed by `granit-parser` events instead of libyaml's.
//!
//! As in yaml.v2, the whole first document is parsed before anything is decoded, so a syntax
//! error anywhere in it wins over type errors; later documents are never looked at. Aliases
//! resolve to the most recent anchor of that name defined before them (including a collection
//! that is still open, which the decoder then reports as containing itself).
//!
//! The tree is flat: nodes in one vector, each collection's children as a range of a shared index
//! vector, scalar text borrowed from the input where granit can. Nesting is handled with an
//! explicit stack, never recursion.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{ErrorKind as GErr, Event, Parser, ScalarStyle, ScanError, StructureStyle};

/// Index of a node in [`Doc::nodes`].
pub(crate) type NodeId = u32;

/// decode.go's node kinds (the document node is implicit: [`Doc::root`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar,
    Mapping,
    Sequence,
    Alias,
}

/// decode.go's `node`.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub kind: Kind,
    /// libyaml's `plain_implicit`: no tag and plain style, or the `!` tag.
    pub implicit: bool,
    /// Scalar text; for an alias, the anchor name; empty for collections.
    pub value: Cow<'a, str>,
    /// Explicit tag in long form (`tag:yaml.org,2002:str`, `!local`, `!`).
    pub tag: Option<Box<str>>,
    /// 1-based line and column of the node's first token (its anchor or tag when it has one),
    /// as libyaml's event `start_mark`.
    pub line: u32,
    pub column: u32,
    /// Children range in [`Doc::children`] (collections), or the alias target in `first`.
    pub first: u32,
    pub len: u32,
}

/// The first document, parsed.
#[derive(Debug, Default)]
pub(crate) struct Doc<'a> {
    pub nodes: Vec<Node<'a>>,
    pub children: Vec<NodeId>,
    /// The document's root node; `None` when the stream has no document.
    pub root: Option<NodeId>,
    /// Whether the document has aliases at all.
    pub has_aliases: bool,
}

impl<'a> Doc<'a> {
    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id as usize]
    }

    /// A collection's children (mapping: key, value, key, value, ...).
    pub fn kids(&self, id: NodeId) -> &[NodeId] {
        let n = self.node(id);
        match n.kind {
            Kind::Mapping | Kind::Sequence => {
                let start = n.first as usize;
                &self.children[start..start + n.len as usize]
            }
            _ => &[],
        }
    }

    /// An alias's target.
    pub fn alias_target(&self, id: NodeId) -> NodeId {
        self.node(id).first
    }
}

/// A syntax error: byte offset, 1-based line and column, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// How far the parser read: the byte offset just past what was needed for the first document.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub doc: Doc<'a>,
    pub consumed: usize,
}

fn options() -> granit_parser::Options {
    granit_parser::options! {
        emit_anchor_events: true,
        // libyaml: a block scalar at end of input without a final line break gets none.
        block_scalar_eof_without_line_feed: true,
        // libyaml treats a BOM after the start as content.
        bom_inside_document_as_content: true,
        // libyaml's max_flow_level and max_indents.
        flow_nesting_limit: 10_000,
        block_nesting_limit: 10_000,
    }
}

/// Parses the first document of `text` into a node tree.
pub(crate) fn parse_first_document(text: &str) -> Result<Parsed<'_>, SyntaxError> {
    let mut b = Builder {
        track_tabs: text.contains('\t'),
        ..Builder::default()
    };
    let mut consumed = 0usize;
    let mut parser = Parser::new_from_str_with_options(text, options());
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| syntax_error(text, &e))?;
        let start = span.start;
        let offset = start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(offset);
        consumed = consumed.max(end);
        let mut pos = (start.line() as u32, start.col() as u32 + 1);
        if let Some(t) = span.tag_start() {
            pos = pos.min((t.line() as u32, t.col() as u32 + 1));
        }
        if let Some(tag_span) = span.tag_span() {
            check_tag(text, &tag_span)?;
        }
        match event {
            Event::StreamStart | Event::UnresolvedAlias(_) => {}
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::DocumentStart(_, version) => {
                check_directives(text, offset)?;
                if let Some(v) = version {
                    if (v.major, v.minor) != (1, 1) {
                        return Err(SyntaxError {
                            offset,
                            line: pos.0,
                            column: pos.1,
                            message: "found incompatible YAML document".to_string(),
                        });
                    }
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                // granit reports an empty node as a zero-width `~`; libyaml's value is "".
                let empty = end == offset;
                let value = if empty && tag.is_none() && value == "~" {
                    Cow::Borrowed("")
                } else {
                    value
                };
                if empty && anchor == 0 && tag.is_none() {
                    b.check_empty_key(text, offset, pos)?;
                }
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    // libyaml's mark for a block scalar is its `|` or `>` header.
                    if let Some(h) = block_scalar_header(text, offset) {
                        pos = pos.min(h);
                    }
                }
                b.note_scalar(offset, end, style == ScalarStyle::Plain);
                let tag = tag.map(|t| t.to_string().into_boxed_str());
                let implicit = match &tag {
                    None => style == ScalarStyle::Plain,
                    Some(t) => &**t == "!",
                };
                b.add(Node {
                    kind: Kind::Scalar,
                    implicit,
                    value,
                    tag,
                    line: pos.0,
                    column: pos.1,
                    first: 0,
                    len: 0,
                });
            }
            Event::SequenceStart(style, _, tag) => {
                let block = style == StructureStyle::Block;
                b.open(Kind::Sequence, tag, pos, block, start.col(), offset, None);
            }
            Event::MappingStart(style, _, tag) => {
                let block = style == StructureStyle::Block;
                b.open(
                    Kind::Mapping,
                    tag,
                    pos,
                    block,
                    start.col(),
                    offset,
                    Some(start.byte_offset()),
                );
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(end),
            Event::Alias(anchor_id) => {
                check_anchor(text, offset, "while scanning an alias")?;
                let target = b.anchors.get(&anchor_id).copied().unwrap_or(0);
                let name = span.slice(text).map_or("", |s| s.trim_start_matches('*'));
                b.doc.has_aliases = true;
                b.add(Node {
                    kind: Kind::Alias,
                    implicit: false,
                    value: Cow::Borrowed(name),
                    tag: None,
                    line: pos.0,
                    column: pos.1,
                    first: target,
                    len: 0,
                });
                b.last = None;
            }
            Event::Anchor(anchor_id, _) => {
                check_anchor(text, offset, "while scanning an anchor")?;
                b.anchor(anchor_id, pos);
            }
            // Comment events (not compiled in) and future event kinds carry no data.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        // decode.go's `document` reads the root node and then only asks for DOCUMENT-END,
        // which libyaml gives for whatever token follows: nothing after the root matters.
        if b.doc.root.is_some() && b.frames.is_empty() && !matches!(b.last, Some(_) if false) {
            if b.root_done(parser.peek().is_some_and(|r| {
                matches!(r, Ok((Event::Anchor(..), _)))
            })) {
                break;
            }
        }
    }
    if b.track_tabs {
        check_tabs(text, &b, consumed)?;
    }
    Ok(Parsed {
        doc: b.doc,
        consumed,
    })
}

/// An open collection.
#[derive(Debug)]
struct Frame {
    node: NodeId,
    /// Where its children start in `pending`.
    from: usize,
    /// Block (not flow) style.
    block: bool,
    /// 0-based column of its first token: libyaml's `parser.indent` inside a block collection.
    column: usize,
    /// Byte offset where it starts.
    offset: usize,
    /// For mappings: the byte offset of the mapping start.
    mapping: Option<Option<usize>>,
}

/// A scalar's extent, for the tab checks.
#[derive(Debug, Clone, Copy)]
struct ScalarSpan {
    start: usize,
    end: usize,
    /// For plain scalars in block context: libyaml's `indent` while scanning it
    /// (`parser.indent + 1`).
    plain_indent: Option<i64>,
}

/// Tree builder state.
#[derive(Debug, Default)]
struct Builder<'a> {
    doc: Doc<'a>,
    /// Child lists of the open collections, concatenated.
    pending: Vec<NodeId>,
    /// Open collections.
    frames: Vec<Frame>,
    /// granit anchor id -> node.
    anchors: HashMap<usize, NodeId>,
    /// The node an `Anchor` event that follows would belong to.
    last: Option<NodeId>,
    /// Whether to collect what the tab checks need.
    track_tabs: bool,
    scalars: Vec<ScalarSpan>,
    flows: Vec<(usize, usize)>,
}
/// Whether the last token before `offset` (skipping blanks, line breaks and comment lines) is
/// the `?` key indicator.
fn explicit_key_before(text: &str, offset: usize) -> bool {
    let head = text.get(..offset).unwrap_or("");
    let mut lines = head.rsplit(['\n', '\r']);
    // The part of the key's own line before it: no comment can be there.
    if let Some(same) = lines.next() {
        let t = same.trim_end_matches([' ', '\t']);
        if !t.is_empty() {
            return t.ends_with('?') && ends_indicator(t);
        }
    }
    for line in lines {
        let t = line.trim_start_matches([' ', '\t']);
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        // Drop a trailing comment (a `#` after a blank).
        let code = match t.find(" #").or_else(|| t.find("\t#")) {
            Some(i) => &t[..i],
            None => t,
        };
        let code = code.trim_end_matches([' ', '\t']);
        return code.ends_with('?') && ends_indicator(code);
    }
    false
}

/// `t` ends with a `?` that stands alone (start of line, or after a blank or flow indicator).
fn ends_indicator(t: &str) -> bool {
    let before = t[..t.len() - 1].chars().next_back();
    matches!(before, None | Some(' ' | '\t' | '{' | '[' | ','))
}

/// libyaml rejects directives other than `%YAML` and `%TAG` ("found unknown directive name");
/// granit ignores them. Directives can only stand at column 0 before the first `---`.
fn check_directives(text: &str, doc_start: usize) -> Result<(), SyntaxError> {
    let head = text.get(..doc_start).unwrap_or("");
    let mut offset = 0;
    for line in head.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix('%') {
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            if name != "YAML" && name != "TAG" {
                let (l, c) = super::input::line_col(text, offset);
                return Err(SyntaxError {
                    offset,
                    line: l,
                    column: c,
                    message: "found unknown directive name".to_string(),
                });
            }
        }
        offset += line.len();
    }
    Ok(())
}

/// A granit error, in libyaml's words where the two clearly mean the same thing.
fn syntax_error(text: &str, e: &ScanError) -> SyntaxError {
    let m = e.marker();
    let offset = m.byte_offset().unwrap_or(0);
    let message = match e.kind() {
        GErr::TabInBlockIndentation
        | GErr::TabInIndentation
        | GErr::TabNotAllowed
        | GErr::UnexpectedCharacter { .. } => {
            "found character that cannot start any token".to_string()
        }
        GErr::UnknownAnchor => {
            let rest = text.get(offset..).unwrap_or("");
            let rest = rest.strip_prefix('*').unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
                .collect();
            format!("unknown anchor '{name}' referenced")
        }
        GErr::MappingValueNotAllowed => "mapping values are not allowed in this context".into(),
        GErr::BlockSequenceEntryNotAllowed => {
            "block sequence entries are not allowed in this context".into()
        }
        GErr::UnclosedQuotedScalar => "found unexpected end of stream".into(),
        GErr::ExpectedBlockMappingKey => "did not find expected key".into(),
        GErr::ExpectedBlockSequenceEntry => "did not find expected '-' indicator".into(),
        GErr::ExpectedNodeContent => "did not find expected node content".into(),
        GErr::ExpectedFlowSequenceSeparator => "did not find expected ',' or ']'".into(),
        GErr::ExpectedFlowMappingSeparator => "did not find expected ',' or '}'".into(),
        GErr::SimpleKeyExpected => "could not find expected ':'".into(),
        GErr::UnknownQuotedScalarEscape => "found unknown escape character".into(),
        GErr::DuplicateVersionDirective => "found duplicate %YAML directive".into(),
        GErr::DuplicateTagDirective => "found duplicate %TAG directive".into(),
        GErr::UndeclaredTagHandle => "found undefined tag handle".into(),
        GErr::ExpectedDocumentStart => "did not find expected <document start>".into(),
        GErr::RecursionLimitExceeded => "exceeded max depth of 10000".into(),
        other => other.to_string(),
    };
    SyntaxError {
        offset,
        line: m.line() as u32,
        column: m.col() as u32 + 1,
        message,
    }
}
