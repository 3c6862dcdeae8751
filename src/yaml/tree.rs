//! The node tree of the first YAML document: the parser half of yaml.v2 v2.4.0's `decode.go`
//! (`parser.parse`, `document`, `alias`, `scalar`, `sequence`, `mapping`, `anchor`, `fail`), over
//! the events of [`super::events`].
//!
//! As in yaml.v2, the whole first document (up to its DOCUMENT-END event, which needs the token
//! after the root node) is parsed before anything is decoded, so a syntax error anywhere in it
//! wins over type errors; later documents are never looked at. Anchors are registered when their
//! node starts, so an alias inside a collection can name the collection itself (the decoder then
//! reports it as containing itself); an alias names the latest anchor of that name before it.
//! Like yaml.v2, the tree keeps tags on scalars only: a tag on a mapping or sequence is dropped.
//!
//! The tree is flat: nodes in one vector, each collection's children as a range of a shared index
//! vector. Nesting is handled with an explicit stack, never recursion.

use std::borrow::Cow;
use std::collections::HashMap;

use super::events::{EventKind, Parser};
use super::reader::ReaderError;
use super::scanner::YamlError;

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
    /// Scalar text (a slice of the input when the scanner could leave it there); for an alias,
    /// the anchor name; empty for collections.
    pub value: Cow<'a, str>,
    /// A scalar's tag in long form (`tag:yaml.org,2002:str`, `!local`, `!`).
    pub tag: Option<Box<str>>,
    /// 1-based line and column of the node's event (its anchor or tag when it has one).
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

/// Why the first document does not parse, as decode.go's `parser.fail` (and `failf` for an
/// unknown anchor) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// libyaml's problem (or yaml.v2's message).
    pub message: String,
    /// Where the problem is: 1-based line and column, in libyaml's terms (NEL, LS and PS break
    /// lines too).
    pub position: (u32, u32),
    /// The line yaml.v2 names in its message (`yaml: line N: ...`), if any.
    pub go_line: Option<u32>,
    /// A reader error: invalid bytes or characters, rather than syntax.
    pub encoding: bool,
}

/// Parses the first document of `input` (raw bytes, any encoding libyaml reads) into a node tree.
pub(crate) fn parse_first_document(input: &[u8]) -> Result<Doc<'_>, SyntaxError> {
    // decode.go's newParser: an empty input is read as a single line break.
    let input: &[u8] = if input.is_empty() { b"\n" } else { input };
    let mut parser = Parser::new(input);
    let mut b = Builder::default();
    b.doc.nodes.reserve(input.len() / 16);
    b.doc.children.reserve(input.len() / 16);
    loop {
        let event = match parser.parse() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => return Err(syntax_error(&parser, e)),
        };
        let line = event.start.line as u32 + 1;
        let column = event.start.column as u32 + 1;
        match event.kind {
            EventKind::StreamStart | EventKind::DocumentStart => {}
            // The first document is complete; yaml.v2 reads no further.
            EventKind::DocumentEnd | EventKind::StreamEnd => break,
            EventKind::Alias => {
                let name = String::from_utf8_lossy(event.anchor.as_deref().unwrap_or_default());
                let Some(&target) = b.anchors.get(name.as_ref()) else {
                    return Err(SyntaxError {
                        message: format!("unknown anchor '{name}' referenced"),
                        position: (line, column),
                        go_line: None,
                        encoding: false,
                    });
                };
                b.doc.has_aliases = true;
                b.add(Node {
                    kind: Kind::Alias,
                    implicit: false,
                    value: Cow::Owned(name.into_owned()),
                    tag: None,
                    line,
                    column,
                    first: target,
                    len: 0,
                });
            }
            EventKind::Scalar => {
                let id = b.add(Node {
                    kind: Kind::Scalar,
                    implicit: event.implicit,
                    value: text(event.value),
                    tag: event
                        .tag
                        .as_deref()
                        // A tag's %-escapes may spell bytes that are not UTF-8 (libyaml checks
                        // only the octets' shape: `!%C0%80`); they are kept as `\xNN`, which
                        // no tag can spell otherwise (`\` is not a URI character), so no two
                        // tags become one and messages show the bytes as they show any others.
                        .map(|t| crate::go::string::display(t).into()),
                    line,
                    column,
                    first: 0,
                    len: 0,
                });
                b.anchor(event.anchor.as_deref(), id);
            }
            EventKind::SequenceStart | EventKind::MappingStart => {
                let kind = if event.kind == EventKind::MappingStart {
                    Kind::Mapping
                } else {
                    Kind::Sequence
                };
                let id = b.add(Node {
                    kind,
                    implicit: false,
                    value: "".into(),
                    tag: None,
                    line,
                    column,
                    first: 0,
                    len: 0,
                });
                b.anchor(event.anchor.as_deref(), id);
                b.frames.push(Frame {
                    node: id,
                    from: b.pending.len(),
                });
            }
            EventKind::SequenceEnd | EventKind::MappingEnd => b.close(),
        }
    }
    Ok(b.doc)
}

/// An open collection.
#[derive(Debug)]
struct Frame {
    node: NodeId,
    /// Where its children start in `pending`.
    from: usize,
}

/// Tree builder state.
#[derive(Debug, Default)]
struct Builder<'a> {
    doc: Doc<'a>,
    /// Child lists of the open collections, concatenated.
    pending: Vec<NodeId>,
    /// Open collections.
    frames: Vec<Frame>,
    /// decode.go's `doc.anchors`: anchor name -> node.
    anchors: HashMap<String, NodeId>,
}

impl<'a> Builder<'a> {
    fn add(&mut self, node: Node<'a>) -> NodeId {
        let id = self.doc.nodes.len() as NodeId;
        self.doc.nodes.push(node);
        if self.frames.is_empty() {
            if self.doc.root.is_none() {
                self.doc.root = Some(id);
            }
        } else {
            self.pending.push(id);
        }
        id
    }

    /// decode.go's `parser.anchor`.
    fn anchor(&mut self, anchor: Option<&[u8]>, id: NodeId) {
        if let Some(a) = anchor {
            self.anchors
                .insert(String::from_utf8_lossy(a).into_owned(), id);
        }
    }

    fn close(&mut self) {
        if let Some(frame) = self.frames.pop() {
            let first = self.doc.children.len() as u32;
            self.doc.children.extend(self.pending.drain(frame.from..));
            let n = &mut self.doc.nodes[frame.node as usize];
            n.first = first;
            n.len = self.doc.children.len() as u32 - first;
        }
    }
}

/// decode.go's `parser.fail`: the line yaml.v2 names is the problem mark's (plus one for scanner
/// errors only, which libyaml reports before counting the line), else the context mark's, and
/// none when that is line 0.
fn syntax_error(parser: &Parser<'_>, e: YamlError) -> SyntaxError {
    match e {
        YamlError::Reader(ReaderError { problem, .. }) => {
            // The bad character follows everything the reader decoded.
            SyntaxError {
                message: problem.to_string(),
                position: parser.scanner().reader().end_position(),
                go_line: None,
                encoding: true,
            }
        }
        YamlError::Scanner {
            context_mark,
            problem,
            problem_mark,
            ..
        } => {
            let go_line = if problem_mark.line != 0 {
                Some(problem_mark.line as u32 + 1)
            } else {
                (context_mark.line != 0).then_some(context_mark.line as u32)
            };
            SyntaxError {
                message: problem,
                position: (problem_mark.line as u32 + 1, problem_mark.column as u32 + 1),
                go_line,
                encoding: false,
            }
        }
        YamlError::Parser {
            context_mark,
            problem,
            problem_mark,
            ..
        } => {
            let go_line = if problem_mark.line != 0 {
                Some(problem_mark.line as u32)
            } else {
                (context_mark.line != 0).then_some(context_mark.line as u32)
            };
            SyntaxError {
                message: problem.to_string(),
                position: (problem_mark.line as u32 + 1, problem_mark.column as u32 + 1),
                go_line,
                encoding: false,
            }
        }
    }
}

/// A scalar's value as text. The reader lets only valid UTF-8 through and every escape the
/// scanner decodes is a Unicode scalar value, so this never replaces anything.
fn text(value: Cow<'_, [u8]>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(b) => match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(b),
        },
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
    }
}
