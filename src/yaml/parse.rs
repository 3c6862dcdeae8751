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
        track_tabs: text.contains('\t') || text.contains("\n%") || text.contains("\r%"),
        ..Builder::default()
    };
    // Roughly one node per 16 bytes of registries.yaml; avoids regrowing a large vector.
    b.doc.nodes.reserve(text.len() / 16);
    b.doc.children.reserve(text.len() / 16);
    let mut consumed = 0usize;
    check_leading_document_end(text)?;
    let mut parser = Parser::new_from_str_with_options(text, options());
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ev) => ev,
            // The root node is complete: libyaml's parser would now emit DOCUMENT-END whatever
            // token follows, so granit's complaints about what that token is do not count.
            Err(e) if b.doc.root.is_some() && b.frames.is_empty() && after_root_ok(e.kind()) => {
                break;
            }
            Err(e) => return Err(syntax_error(text, &e)),
        };
        let start = span.start;
        let offset = start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(offset);
        consumed = consumed.max(end);
        let mut pos = (start.line() as u32, start.col() as u32 + 1);
        if let Some(t) = span.tag_start() {
            pos = pos.min((t.line() as u32, t.col() as u32 + 1));
        }
        if let Some(tag_span) = span.tag_span() {
            let flow = b
                .frames
                .iter()
                .rev()
                .find(|f| !f.block)
                .map(|f| f.mapping.is_some());
            check_tag(text, &tag_span, flow)?;
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
                if style == ScalarStyle::Plain
                    && !empty
                    && text.as_bytes().get(offset) == Some(&b':')
                    && b.frames.iter().any(|f| !f.block)
                {
                    // In flow context libyaml always takes a leading `:` as a value indicator.
                    return Err(error_at(text, offset, "did not find expected node content"));
                }
                if style == ScalarStyle::Plain {
                    if let Some(frame) = b.frames.iter().rev().find(|f| !f.block) {
                        if let Some(q) = text.get(offset..end).and_then(|v| v.find('?')) {
                            // libyaml ends a plain scalar at `?` in flow context.
                            let closing = if frame.mapping.is_some() { '}' } else { ']' };
                            return Err(error_at(
                                text,
                                offset + q,
                                &format!("did not find expected ',' or '{closing}'"),
                            ));
                        }
                    }
                }
                if !empty {
                    b.check_single_line_key(text, offset, end, pos)?;
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
                check_anchor(text, offset, end)?;
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
                check_anchor(text, offset, end)?;
                b.anchor(anchor_id, pos);
            }
            // Comment events (not compiled in) and future event kinds carry no data.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        // decode.go's `document` reads the root node and then only asks for DOCUMENT-END,
        // which libyaml's parser gives for whatever token follows a complete root collection
        // (`{a: b}}` loads). A root scalar is only complete once the scanner has looked past
        // it, so it goes on to granit's document end.
        if b.root_collection_closed {
            break;
        }
    }
    if b.track_tabs {
        check_whitespace(text, &b, consumed)?;
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
    /// The root node is a collection and it has ended.
    root_collection_closed: bool,
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
        self.last = Some(id);
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        kind: Kind,
        tag: Option<Cow<'_, granit_parser::Tag>>,
        pos: (u32, u32),
        block: bool,
        column: usize,
        offset: usize,
        mapping: Option<Option<usize>>,
    ) {
        let id = self.add(Node {
            kind,
            implicit: false,
            value: Cow::Borrowed(""),
            tag: tag.map(|t| t.to_string().into_boxed_str()),
            line: pos.0,
            column: pos.1,
            first: 0,
            len: 0,
        });
        self.frames.push(Frame {
            node: id,
            from: self.pending.len(),
            block,
            column,
            offset,
            mapping,
        });
    }

    fn close(&mut self, end: usize) {
        if let Some(frame) = self.frames.pop() {
            let first = self.doc.children.len() as u32;
            self.doc.children.extend(self.pending.drain(frame.from..));
            let n = &mut self.doc.nodes[frame.node as usize];
            n.first = first;
            n.len = self.doc.children.len() as u32 - first;
            if self.track_tabs && !frame.block {
                self.flows.push((frame.offset, end));
            }
            self.root_collection_closed = self.frames.is_empty();
        }
        self.last = None;
    }

    /// Remembers a scalar's extent for the tab checks.
    fn note_scalar(&mut self, start: usize, end: usize, plain: bool) {
        if !self.track_tabs {
            return;
        }
        let in_flow = self.frames.iter().any(|f| !f.block);
        let plain_indent =
            (plain && !in_flow).then(|| self.frames.last().map_or(-1, |f| f.column as i64) + 1);
        self.scalars.push(ScalarSpan {
            start,
            end,
            plain_indent,
        });
    }

    /// decode.go's `parser.anchor`: registered as soon as the node starts, so an alias inside a
    /// collection can name the collection itself. libyaml's node mark is its first property.
    fn anchor(&mut self, anchor_id: usize, pos: (u32, u32)) {
        if let Some(id) = self.last {
            self.anchors.insert(anchor_id, id);
            let n = &mut self.doc.nodes[id as usize];
            if pos < (n.line, n.column) {
                n.line = pos.0;
                n.column = pos.1;
            }
        }
    }

    /// libyaml's simple keys fit on one line, in flow mappings too (granit lets a multi-line
    /// key through there). `offset` is a multi-line scalar's.
    fn check_single_line_key(
        &self,
        text: &str,
        offset: usize,
        end: usize,
        pos: (u32, u32),
    ) -> Result<(), SyntaxError> {
        let Some(frame) = self.frames.last() else {
            return Ok(());
        };
        if frame.block || frame.mapping.is_none() || (self.pending.len() - frame.from) % 2 != 0 {
            return Ok(());
        }
        let multi_line = text
            .as_bytes()
            .get(offset..end)
            .is_some_and(|k| k.iter().any(|&c| c == b'\n' || c == b'\r'));
        if !multi_line {
            return Ok(());
        }
        if explicit_key_before(text, offset) {
            return Ok(());
        }
        Err(SyntaxError {
            offset,
            line: pos.0,
            column: pos.1,
            message: "did not find expected ',' or '}'".to_string(),
        })
    }

    /// libyaml needs a key token (a simple key, or `?`) before every mapping value; granit
    /// accepts `: value` with an empty key. `offset` is an empty, property-less scalar's.
    fn check_empty_key(
        &self,
        text: &str,
        offset: usize,
        pos: (u32, u32),
    ) -> Result<(), SyntaxError> {
        let Some(frame) = self.frames.last() else {
            return Ok(());
        };
        let Some(map_start) = frame.mapping else {
            return Ok(());
        };
        if (self.pending.len() - frame.from) % 2 != 0 {
            return Ok(()); // a value, not a key
        }
        let first = self.pending.len() == frame.from;
        // A `:` that opens a block mapping by itself (libyaml's roll_indent from
        // fetch_value): the mapping starts without a KEY token.
        let rolled = frame.block && first && map_start == Some(offset);
        if !rolled && explicit_key_before(text, offset) {
            return Ok(());
        }
        Err(SyntaxError {
            offset,
            line: pos.0,
            column: pos.1,
            message: if frame.block {
                "did not find expected key".to_string()
            } else {
                "did not find expected node content".to_string()
            },
        })
    }
}

fn error_at(text: &str, offset: usize, message: &str) -> SyntaxError {
    let (line, column) = super::input::line_col(text, offset);
    SyntaxError {
        offset,
        line,
        column,
        message: message.to_string(),
    }
}

/// libyaml's `is_alpha`.
fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// libyaml's `is_blankz`: blank, line break (LF, CR, NEL, LS, PS) or end of input.
fn is_blankz(rest: &[u8]) -> bool {
    matches!(
        rest,
        [] | [b' ' | b'\t' | b'\r' | b'\n' | 0, ..]
            | [0xC2, 0x85, ..]
            | [0xE2, 0x80, 0xA8 | 0xA9, ..]
    )
}

/// libyaml's `yaml_parser_scan_anchor` rules, for the `&name` or `*name` at `offset`: the name
/// is made of `[0-9A-Za-z_-]` only, and must be followed by a blank or one of `?:,]}%@` and
/// the backquote.
fn check_anchor(text: &str, offset: usize, end: usize) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    let mut i = offset + 1;
    while i < b.len() && is_alpha(b[i]) {
        i += 1;
    }
    let rest = b.get(i..).unwrap_or_default();
    let ok = i > offset + 1
        && (is_blankz(rest)
            || matches!(
                rest[0],
                b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
            ));
    if ok && i < end {
        // libyaml's name stops where granit's (YAML 1.2) goes on, e.g. at `:`.
        return Err(error_at(
            text,
            offset,
            "libyaml ends this anchor or alias name earlier ([0-9A-Za-z_-] only) and reads a \
             different structure; not supported",
        ));
    }
    if ok {
        return Ok(());
    }
    Err(error_at(
        text,
        offset,
        "did not find expected alphabetic or numeric character",
    ))
}

/// libyaml's `yaml_parser_scan_tag` rules for the tag token at `span`: `!<uri>`, or a handle
/// and URI characters (which, unlike YAML 1.2, include `[`, `]` and `,`), then a blank.
fn check_tag(
    text: &str,
    span: &granit_parser::Span,
    flow: Option<bool>,
) -> Result<(), SyntaxError> {
    let Some(start) = span.start.byte_offset() else {
        return Ok(());
    };
    let b = text.as_bytes();
    let uri = |c: u8| is_alpha(c) || b";/?:@&=+$,.!~*'()[]%".contains(&c);
    let mut i = start + 1;
    if b.get(i) == Some(&b'<') {
        i += 1;
        while i < b.len() && uri(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'>') {
            return Err(error_at(text, start, "did not find the expected '>'"));
        }
        i += 1;
    } else {
        // Handle: '!' alpha* '!'? — then URI characters either way.
        while i < b.len() && is_alpha(b[i]) {
            i += 1;
        }
        if b.get(i) == Some(&b'!') {
            i += 1;
        }
        while i < b.len() && uri(b[i]) {
            i += 1;
        }
    }
    if !is_blankz(b.get(i..).unwrap_or_default()) {
        return Err(error_at(
            text,
            start,
            "did not find expected whitespace or line break",
        ));
    }
    // libyaml's tag also takes in `,`, `[` and `]` that granit leaves to the flow collection;
    // the collection then reads differently. A swallowed bracket leaves it unbalanced, and a
    // swallowed comma in a mapping turns the next key into a value: libyaml fails on both. (A
    // swallowed comma in a sequence merges two entries: not reproduced.)
    if let (Some(end), Some(in_mapping)) = (span.end.byte_offset(), flow) {
        let swallowed = b.get(end..i).unwrap_or_default();
        if swallowed.iter().any(|c| *c == b'[' || *c == b']') {
            return Err(error_at(text, start, "did not find expected ',' or ']'"));
        }
        if swallowed.contains(&b',') {
            if in_mapping {
                return Err(error_at(text, start, "did not find expected ',' or '}'"));
            }
            return Err(error_at(
                text,
                start,
                "a ',' right after a tag in a flow sequence is part of the tag for libyaml; \
                 this layout is not supported",
            ));
        }
    }
    Ok(())
}

/// The `|` or `>` header of the block scalar whose content starts at `offset`: 1-based line and
/// column.
fn block_scalar_header(text: &str, offset: usize) -> Option<(u32, u32)> {
    let head = text.get(..offset)?;
    let mut end = head.len();
    // Walk back over whole lines until one has a header.
    loop {
        let line_start = head[..end].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let line = &head[line_start..end];
        let code = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(i) => &line[..i],
            None => line,
        };
        let code = code.trim_end_matches([' ', '\t']);
        let code = code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        if code.ends_with('|') || code.ends_with('>') {
            let at = line_start + code.len() - 1;
            return Some(super::input::line_col(text, at));
        }
        if line_start == 0 {
            return None;
        }
        end = line_start - 1;
        if end > 0 && head.as_bytes()[end] == b'\n' && head.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
    }
}

/// libyaml's column-0 directives inside a document, and its handling of tabs in block context, which granit (YAML 1.2) is more lenient about:
/// a tab cannot start a token where a simple key is allowed (at the start of a line, after `-`
/// or `?`), and a tab on a continuation line of a plain scalar must not stand left of the
/// scalar's indentation.
fn check_whitespace(text: &str, b: &Builder<'_>, consumed: usize) -> Result<(), SyntaxError> {
    let bytes = text.as_bytes();
    let limit = consumed.min(bytes.len());
    let mut scalars = b.scalars.clone();
    scalars.sort_by_key(|s| s.start);
    // Flow collections nest: keep the outermost, as disjoint sorted ranges.
    let mut flows = b.flows.clone();
    flows.extend(
        b.frames
            .iter()
            .filter(|f| !f.block)
            .map(|f| (f.offset, usize::MAX)),
    );
    flows.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in flows {
        match merged.last_mut() {
            Some(last) if s < last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    // The last scalar starting at or before `t`.
    let scalar_before = |t: usize| -> Option<&ScalarSpan> {
        let i = scalars.partition_point(|s| s.start <= t);
        i.checked_sub(1).map(|i| &scalars[i])
    };
    let inside = |t: usize| {
        scalar_before(t).is_some_and(|s| t < s.end) || {
            let i = merged.partition_point(|r| r.0 <= t);
            i.checked_sub(1).is_some_and(|i| t < merged[i].1)
        }
    };
    // libyaml scans a directive at column 0 anywhere, not only before `---`.
    for (i, _) in bytes[..limit]
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'%')
    {
        if i > 0 && matches!(bytes[i - 1], b'\n' | b'\r') && !inside(i) {
            return Err(error_at(text, i, "found unknown directive name"));
        }
    }
    for t in memchr_all(b'\t', &bytes[..limit]) {
        if inside(t) {
            continue;
        }
        let line_start = bytes[..t]
            .iter()
            .rposition(|&c| c == b'\n' || c == b'\r')
            .map_or(0, |i| i + 1);
        let prefix = &bytes[line_start..t];
        // In a comment?
        if let Some(h) = prefix.iter().position(|&c| c == b'#') {
            if (h == 0 || matches!(prefix[h - 1], b' ' | b'\t')) && !inside(line_start + h) {
                continue;
            }
        }
        let lead = prefix.iter().all(|&c| c == b' ' || c == b'\t');
        if lead {
            // Is a plain scalar still being scanned (only blanks and breaks since its end)?
            let prev = scalar_before(t).filter(|s| s.end <= t);
            let continuing = prev.and_then(|s| {
                let gap = &bytes[s.end..t];
                gap.iter()
                    .all(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                    .then_some(s.plain_indent)
                    .flatten()
            });
            match continuing {
                Some(indent) => {
                    let col = text[line_start..t].chars().count() as i64;
                    if col < indent {
                        return Err(error_at(
                            text,
                            t,
                            "found a tab character that violates indentation",
                        ));
                    }
                }
                None => {
                    return Err(error_at(
                        text,
                        t,
                        "found character that cannot start any token",
                    ))
                }
            }
        } else {
            let code: Vec<u8> = prefix
                .iter()
                .rev()
                .skip_while(|&&c| c == b' ' || c == b'\t')
                .copied()
                .collect();
            let indicator = match code.as_slice() {
                [b'-', b'-', b'-'] => false, // `---`
                [c @ (b'-' | b'?'), rest @ ..] => {
                    let _ = c;
                    rest.first().is_none_or(|&p| p == b' ' || p == b'\t')
                        && !inside(t - 1 - (prefix.len() - code.len()))
                }
                _ => false,
            };
            if indicator {
                return Err(error_at(
                    text,
                    t,
                    "found character that cannot start any token",
                ));
            }
        }
    }
    Ok(())
}

/// Offsets of `needle` in `hay`.
fn memchr_all(needle: u8, hay: &[u8]) -> impl Iterator<Item = usize> + '_ {
    hay.iter()
        .enumerate()
        .filter(move |(_, &c)| c == needle)
        .map(|(i, _)| i)
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

/// libyaml's parser, at the implicit first document, does not skip a `...` marker: a stream
/// whose first token is `...` has no node where one is expected.
fn check_leading_document_end(text: &str) -> Result<(), SyntaxError> {
    let mut offset = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let t = line.trim_start_matches([' ', '\t']);
        if t.trim_end().is_empty() || t.starts_with('#') {
            offset += line.len();
            continue;
        }
        if line.starts_with("...") && is_blankz(&line.as_bytes()[3..]) {
            return Err(error_at(text, offset, "did not find expected node content"));
        }
        break;
    }
    Ok(())
}

/// libyaml rejects directives other than `%YAML` and `%TAG` ("found unknown directive name");
/// granit ignores them. Directives can only stand at column 0 before the first `---`.
fn check_directives(text: &str, doc_start: usize) -> Result<(), SyntaxError> {
    let head = text.get(..doc_start).unwrap_or("");
    let mut offset = 0;
    for line in head.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix('%') {
            let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
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

/// granit errors about which token may follow a complete root node: libyaml's scanner accepts
/// those tokens, and its parser does not look at them.
fn after_root_ok(kind: &GErr) -> bool {
    matches!(
        kind,
        GErr::InvalidTrailingDoubleQuotedScalar
            | GErr::InvalidTrailingSingleQuotedScalar
            | GErr::InvalidDocumentEnd
            | GErr::MisplacedFlowCollectionEnd
            | GErr::MismatchedFlowCollectionEnd { .. }
            | GErr::ExpectedDocumentStart
            | GErr::ExpectedBlockMappingKey
            | GErr::ExpectedNodeContent
    )
}

/// A granit error, in libyaml's words where the two clearly mean the same thing.
fn syntax_error(text: &str, e: &ScanError) -> SyntaxError {
    let m = e.marker();
    let offset = m.byte_offset().unwrap_or(0);
    let message = match e.kind() {
        GErr::TabInBlockIndentation | GErr::TabInIndentation | GErr::TabNotAllowed => {
            // granit points past the tab; libyaml at it.
            let line_start = text
                .get(..offset)
                .and_then(|h| h.rfind(['\n', '\r']))
                .map_or(0, |i| i + 1);
            if let Some(t) = text.get(line_start..offset).and_then(|l| l.find('\t')) {
                return error_at(
                    text,
                    line_start + t,
                    "found character that cannot start any token",
                );
            }
            "found character that cannot start any token".to_string()
        }
        GErr::TabInPlainScalar => {
            if let Some(t) = text.get(offset..).and_then(|l| l.find('\t')) {
                return error_at(
                    text,
                    offset + t,
                    "found a tab character that violates indentation",
                );
            }
            "found a tab character that violates indentation".to_string()
        }
        GErr::UnexpectedCharacter { .. } => {
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
