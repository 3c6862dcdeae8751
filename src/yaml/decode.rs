//! The decoder half of yaml.v2 v2.4.0's `decode.go`, specialised to wharfie's registries types:
//! `decoder.unmarshal`, `prepare`, `alias`, `scalar`, `sequence`, `mapping`, `mappingSlice`,
//! `mappingStruct`, `merge`, `isMerge`, `terror` and `allowedAliasRatio`.
//!
//! Go's reflection is replaced by [`Out`], one variant per Go type a node can be decoded into, so
//! each Go `switch out.Kind()` becomes a `match` on it. yaml.v2's two failure modes are kept:
//! `failf` aborts ([`Fatal`]); `terror` records a type error and decoding goes on ([`TypeErr`]).
//! While decoding, every visited key is recorded in the [`SourceMap`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::resolve::{
    resolve, short_tag, ResolveError, Resolved, BINARY_TAG, BOOL_TAG, FLOAT_TAG, INT_TAG, MAP_TAG,
    MERGE_TAG, NULL_TAG, SEQ_TAG, STR_TAG, TIMESTAMP_TAG,
};
use super::source_map::{Note, PathId, Position, SourceMap};
use super::tree::{Doc, Kind, Node, NodeId};
use crate::go::string::GoString;

/// A `failf`: decoding stops.
#[derive(Debug)]
pub(crate) struct Fatal {
    pub node: NodeId,
    pub message: String,
}

/// A `terror`: `cannot unmarshal ...`; decoding goes on.
#[derive(Debug)]
pub(crate) struct TypeErr {
    pub node: NodeId,
    pub message: String,
}

/// Stack room `unmarshal` wants before it recurses, and how much more it takes when short.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// A settable Go value: what the decoder writes into. The kinds a schema needs (structs,
/// pointers to structs, strings, booleans, string slices, string-keyed maps); each Go
/// `switch out.Kind()` becomes a `match` on it.
#[allow(missing_debug_implementations)]
pub enum Out<'r> {
    /// A struct (`reflect.Struct`).
    Struct(&'r mut dyn Struct),
    /// A pointer to a struct (`reflect.Ptr`); `None` is nil.
    Ptr(&'r mut dyn Ptr),
    /// A `string`.
    Str(&'r mut GoString),
    /// A `bool`.
    Bool(&'r mut bool),
    /// A `[]string`.
    StrSeq(&'r mut Vec<GoString>),
    /// A `map[string]T`.
    Map(&'r mut dyn Map),
}

/// A Go struct as yaml.v2 sees it (`getStructInfo`): its type name, its fields by yaml name.
pub trait Struct {
    /// Go's `Type().String()`, e.g. `registries.Mirror`.
    fn type_name(&self) -> &'static str;
    /// The yaml names of the fields, in declaration order.
    fn fields(&self) -> &'static [&'static str];
    /// The field with yaml name `name` (`FieldsMap[name]`), as a target.
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>>;
    /// `out.Set(reflect.Zero(out.Type()))`.
    fn set_zero(&mut self);
}

/// A Go pointer to a struct.
pub trait Ptr {
    /// Go's type name, e.g. `*registries.TLSConfig`.
    fn type_name(&self) -> String;
    /// Sets the pointer to nil.
    fn set_nil(&mut self);
    /// `prepare`: allocates the struct if the pointer is nil, and dereferences it.
    fn get_or_new(&mut self) -> &mut dyn Struct;
}

/// A Go `map[string]T`.
pub trait Map {
    /// Go's type name, e.g. `map[string]registries.Mirror`.
    fn type_name(&self) -> String;
    /// Empties the map.
    fn clear(&mut self);
    /// `d.mapping` for one entry: `fill` decodes into a fresh element (`reflect.New(et)`), which
    /// replaces the entry under `key` when `fill` returns true. `fill` is shown the key.
    fn insert_with(&mut self, key: GoString, fill: &mut dyn FnMut(&GoString, Out<'_>) -> bool);
}

/// A Go type with a name known without a value (for pointer and map type names).
pub trait GoType {
    /// Go's type name, e.g. `registries.Mirror`.
    const NAME: &'static str;
}

/// A type that can be a map element or a pointer's target.
pub trait Elem: GoType + Default {
    /// This value as a decoding target.
    fn out(&mut self) -> Out<'_>;
}

impl GoType for GoString {
    const NAME: &'static str = "string";
}

impl Elem for GoString {
    fn out(&mut self) -> Out<'_> {
        Out::Str(self)
    }
}

impl<T: Struct + GoType + Default> Ptr for Option<T> {
    fn type_name(&self) -> String {
        format!("*{}", T::NAME)
    }
    fn set_nil(&mut self) {
        *self = None;
    }
    fn get_or_new(&mut self) -> &mut dyn Struct {
        self.get_or_insert_with(T::default)
    }
}

impl<V: Elem> Map for BTreeMap<GoString, V> {
    fn type_name(&self) -> String {
        format!("map[string]{}", V::NAME)
    }
    fn clear(&mut self) {
        BTreeMap::clear(self);
    }
    fn insert_with(&mut self, key: GoString, fill: &mut dyn FnMut(&GoString, Out<'_>) -> bool) {
        let mut elem = V::default();
        if fill(&key, elem.out()) {
            self.insert(key, elem);
        }
    }
}

/// The kind of target, as far as source-map notes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutKind {
    Str,
    Bool,
    Seq,
    Other,
}

impl Out<'_> {
    /// Go's `out.Type().String()` (built only for pointers and maps).
    fn type_name(&self) -> Cow<'static, str> {
        match self {
            Out::Struct(s) => s.type_name().into(),
            Out::Ptr(p) => p.type_name().into(),
            Out::Str(_) => "string".into(),
            Out::Bool(_) => "bool".into(),
            Out::StrSeq(_) => "[]string".into(),
            Out::Map(m) => m.type_name().into(),
        }
    }

    fn kind(&self) -> OutKind {
        match self {
            Out::Str(_) => OutKind::Str,
            Out::Bool(_) => OutKind::Bool,
            Out::StrSeq(_) => OutKind::Seq,
            _ => OutKind::Other,
        }
    }

    /// `out.Set(reflect.Zero(out.Type()))`.
    fn set_zero(self) {
        match self {
            Out::Struct(s) => s.set_zero(),
            Out::Ptr(p) => p.set_nil(),
            Out::Str(v) => v.clear(),
            Out::Bool(v) => *v = false,
            Out::StrSeq(v) => *v = Vec::new(),
            Out::Map(m) => m.clear(),
        }
    }

    /// A shorter-lived copy of this target (to decode into it more than once).
    fn reborrow(&mut self) -> Out<'_> {
        match self {
            Out::Struct(s) => Out::Struct(&mut **s),
            Out::Ptr(p) => Out::Ptr(&mut **p),
            Out::Str(v) => Out::Str(v),
            Out::Bool(v) => Out::Bool(v),
            Out::StrSeq(v) => Out::StrSeq(v),
            Out::Map(m) => Out::Map(&mut **m),
        }
    }
}

/// decode.go's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Keys already seen in one mapping node (for duplicate-key notes): the source-map entries
/// recorded for them, whose last path segment is the key.
#[derive(Default)]
struct Seen {
    small: Vec<(usize, Position)>,
    big: Option<std::collections::HashMap<GoString, Position>>,
}

impl Seen {
    /// The earlier occurrence of `key` in this mapping, if any.
    fn check(&self, key: &GoString, map: &SourceMap) -> Option<Position> {
        if let Some(big) = &self.big {
            return big.get(key).copied();
        }
        self.small
            .iter()
            .find(|(idx, _)| {
                map.get(*idx)
                    .is_some_and(|e| *map.last(e) == *key.as_bytes())
            })
            .map(|(_, p)| *p)
    }

    /// Remembers `key`, recorded as source-map entry `idx`, first seen at `pos`.
    fn record(&mut self, key: &GoString, idx: usize, pos: Position, map: &SourceMap) {
        if let Some(big) = &mut self.big {
            big.entry(key.clone()).or_insert(pos);
            return;
        }
        if self.small.len() < 16 {
            self.small.push((idx, pos));
            return;
        }
        // Entry `idx` is not recorded yet: `key` goes in by itself.
        let mut big: std::collections::HashMap<GoString, Position> = self
            .small
            .drain(..)
            .filter_map(|(i, p)| Some((GoString::from(map.last(map.get(i)?)), p)))
            .collect();
        big.entry(key.clone()).or_insert(pos);
        self.big = Some(big);
    }
}

/// Decodes the document rooted at `root` into `out`; returns the decoder (type errors and the
/// source map) unless decoding was aborted.
pub(crate) fn run<'d>(
    doc: &'d Doc<'d>,
    root: NodeId,
    out: &mut dyn Struct,
    record: bool,
) -> Result<Decoder<'d>, Fatal> {
    let mut d = Decoder::new(doc, record);
    d.decode_document(root, Out::Struct(out))?;
    d.map.shrink_to_fit();
    Ok(d)
}

/// decode.go's `decoder`, plus the source map being built.
pub(crate) struct Decoder<'d> {
    doc: &'d Doc<'d>,
    pub terrors: Vec<TypeErr>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    /// `d.aliases`: alias nodes being expanded.
    active: Vec<bool>,
    pub map: SourceMap,
    /// Whether `map` is being built; when not, paths, entries and duplicate notes are skipped.
    record: bool,
    /// The source map's node for each path the decoder is in (innermost last).
    path: Vec<PathId>,

    /// Position of the outermost alias being expanded: where the user reads the value.
    alias_pos: Option<Position>,
}

fn node_pos(n: &Node<'_>) -> Position {
    Position {
        line: n.line,
        column: n.column,
    }
}

/// `prepare`'s null test.
fn prepare_null(n: &Node<'_>) -> bool {
    n.tag.as_deref() == Some(NULL_TAG)
        || (n.kind == Kind::Scalar
            && n.tag.is_none()
            && (&*n.value == "null" || &*n.value == "~" || (n.value.is_empty() && n.implicit)))
}

/// The resolution `scalar` does (without the `!!binary` decoding).
fn scalar_resolution<'n>(n: &'n Node<'_>) -> Result<(&'n str, Resolved), ResolveError> {
    if n.tag.is_none() && !n.implicit {
        Ok((STR_TAG, Resolved::Str))
    } else {
        resolve(n.tag.as_deref().unwrap_or(""), &n.value)
    }
}

fn static_short(rtag: &str) -> &'static str {
    match rtag {
        INT_TAG => "!!int",
        FLOAT_TAG => "!!float",
        BOOL_TAG => "!!bool",
        NULL_TAG => "!!null",
        TIMESTAMP_TAG => "!!timestamp",
        MERGE_TAG => "!!merge",
        _ => "!!str",
    }
}

impl<'d> Decoder<'d> {
    /// A decoder over `doc`; `record` says whether to build the [`SourceMap`] (audit and explain
    /// need it; render does not, and on a large file it is most of the memory).
    pub(crate) fn new(doc: &'d Doc<'d>, record: bool) -> Self {
        Decoder {
            record,
            doc,
            terrors: Vec::new(),
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            active: if doc.has_aliases {
                vec![false; doc.nodes.len()]
            } else {
                Vec::new()
            },
            map: {
                let mut m = SourceMap::default();
                if record {
                    m.reserve(doc.nodes.len() / 2);
                }
                m
            },
            path: Vec::new(),

            alias_pos: None,
        }
    }

    /// `d.unmarshal(documentNode, out)`: the document node counts as one decode.
    pub(crate) fn decode_document(&mut self, root: NodeId, out: Out<'_>) -> Result<(), Fatal> {
        self.decode_count = 1;
        self.unmarshal(root, out).map(|_| ())
    }

    fn fatal(n: NodeId, message: impl Into<String>) -> Fatal {
        Fatal {
            node: n,
            message: message.into(),
        }
    }

    fn pos(&self, n: NodeId) -> Position {
        self.alias_pos.unwrap_or_else(|| node_pos(self.doc.node(n)))
    }

    /// `d.unmarshal`.
    fn unmarshal(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(Self::fatal(n, "document contains excessive aliasing"));
        }
        // Aliases and merge keys nest as deep as the document makes them, and Go's goroutine
        // stacks grow to follow: so does ours.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.unmarshal_node(n, out)
        })
    }

    fn unmarshal_node(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        let doc = self.doc;
        let node = doc.node(n);
        if node.kind == Kind::Alias {
            return self.alias(n, out);
        }
        let out = Self::prepare(node, out);
        match node.kind {
            Kind::Scalar => self.scalar(n, out),
            Kind::Mapping => self.mapping(n, out),
            Kind::Sequence => self.sequence(n, out),
            Kind::Alias => Ok(false),
        }
    }

    /// `d.prepare`: allocate and dereference pointers, unless the node is null. (No schema
    /// type implements `yaml.Unmarshaler`.)
    fn prepare<'o>(node: &Node<'_>, out: Out<'o>) -> Out<'o> {
        if prepare_null(node) {
            return out;
        }
        match out {
            Out::Ptr(p) => Out::Struct(p.get_or_new()),
            o => o,
        }
    }

    /// `d.alias`.
    fn alias(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        let doc = self.doc;
        let node = doc.node(n);
        let idx = n as usize;
        if self.active.get(idx).copied().unwrap_or(false) {
            return Err(Self::fatal(
                n,
                format!("anchor '{}' value contains itself", node.value),
            ));
        }
        if let Some(a) = self.active.get_mut(idx) {
            *a = true;
        }
        self.alias_depth += 1;
        let saved = self.alias_pos;
        if saved.is_none() {
            self.alias_pos = Some(node_pos(node));
        }
        let r = self.unmarshal(doc.alias_target(n), out);
        self.alias_pos = saved;
        self.alias_depth -= 1;
        if let Some(a) = self.active.get_mut(idx) {
            *a = false;
        }
        r
    }

    /// `d.terror`.
    fn terror(&mut self, n: NodeId, tag: &str, type_name: &str) {
        let message = terror_message(self.doc.node(n), tag, type_name);
        self.terrors.push(TypeErr { node: n, message });
    }

    /// `d.scalar`.
    fn scalar(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        let doc = self.doc;
        let node = doc.node(n);
        let (tag, resolved) = scalar_resolution(node).map_err(|e| Self::fatal(n, e.to_string()))?;
        let binary = if tag == BINARY_TAG {
            Some(
                crate::go::base64::decode_string(node.value.as_bytes())
                    .ok()
                    .ok_or_else(|| Self::fatal(n, "!!binary value contains invalid base64 data"))?,
            )
        } else {
            None
        };
        if resolved == Resolved::Null {
            // Go resets a non-addressable map in place; every target here is addressable.
            out.set_zero();
            return Ok(true);
        }
        let type_name = out.type_name();
        match out {
            Out::Str(s) => {
                match binary {
                    // A Go string holds any bytes, valid UTF-8 or not.
                    Some(data) => *s = GoString::from(data),
                    None => {
                        s.clear();
                        s.push_bytes(node.value.as_bytes());
                    }
                }
                return Ok(true);
            }
            Out::Bool(b) => {
                if let Resolved::Bool(v) = resolved {
                    *b = v;
                    return Ok(true);
                }
            }
            _ => {}
        }
        self.terror(n, tag, &type_name);
        Ok(false)
    }

    /// `d.sequence`.
    fn sequence(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        let v = match out {
            Out::StrSeq(v) => v,
            other => {
                self.terror(n, SEQ_TAG, &other.type_name());
                return Ok(false);
            }
        };
        let doc = self.doc;
        let kids = doc.kids(n);
        let mut items = Vec::with_capacity(kids.len());
        for (i, &c) in kids.iter().enumerate() {
            if self.record {
                self.open_entry(i.to_string().as_bytes(), None, c, OutKind::Str, None, true);
            }
            let mut e = GoString::new();
            let ok = self.unmarshal(c, Out::Str(&mut e));
            self.pop_seg();
            if ok? {
                items.push(e);
            }
        }
        *v = items;
        Ok(true)
    }

    /// `d.mapping` (with `mappingSlice`, which only fails here: no target is a `MapSlice`).
    fn mapping(&mut self, n: NodeId, out: Out<'_>) -> Result<bool, Fatal> {
        match out {
            Out::Struct(s) => self.mapping_struct(n, s),
            Out::Map(m) => self.mapping_map(n, m),
            other => {
                self.terror(n, MAP_TAG, &other.type_name());
                Ok(false)
            }
        }
    }

    /// `isMerge`: a plain (or `!!merge`-tagged) `<<` scalar key.
    fn is_merge(&self, k: NodeId) -> bool {
        let n = self.doc.node(k);
        n.kind == Kind::Scalar
            && &*n.value == "<<"
            && (n.implicit || n.tag.as_deref() == Some(MERGE_TAG))
    }

    /// The `for` loop of `d.mapping` for a Go map: each value is decoded into a fresh element
    /// (`reflect.New(et)`) and replaces the entry; merges go into the map itself.
    fn mapping_map(&mut self, n: NodeId, map: &mut dyn Map) -> Result<bool, Fatal> {
        let doc = self.doc;
        let mut seen = Seen::default();
        for pair in doc.kids(n).chunks_exact(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                self.merge_entry(k, v);
                self.merge(v, Out::Map(&mut *map))?;
                continue;
            }
            let mut key = GoString::new();
            if !self.unmarshal(k, Out::Str(&mut key))? {
                continue;
            }
            let dup = if self.record {
                let dup = seen.check(&key, &self.map);
                seen.record(&key, self.map.len(), self.pos(k), &self.map);
                dup
            } else {
                None
            };
            let mut fatal = None;
            map.insert_with(key, &mut |key, elem| {
                if self.record {
                    self.open_entry(key.as_bytes(), Some(k), v, elem.kind(), dup, true);
                }
                let r = self.unmarshal(v, elem);
                self.pop_seg();
                r.unwrap_or_else(|e| {
                    fatal = Some(e);
                    false
                })
            });
            if let Some(e) = fatal {
                return Err(e);
            }
        }
        Ok(true)
    }

    /// `d.mappingStruct`: known fields are decoded into the existing field value (so structs and
    /// pointers merge across duplicate keys); unknown keys are skipped without decoding.
    fn mapping_struct(&mut self, n: NodeId, s: &mut dyn Struct) -> Result<bool, Fatal> {
        let doc = self.doc;
        let mut seen = Seen::default();
        // Go reuses one `name` value for every key, as here.
        let mut name = GoString::new();
        for pair in doc.kids(n).chunks_exact(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                self.merge_entry(k, v);
                self.merge(v, Out::Struct(&mut *s))?;
                continue;
            }
            if !self.unmarshal(k, Out::Str(&mut name))? {
                continue;
            }
            let dup = if self.record {
                let dup = seen.check(&name, &self.map);
                seen.record(&name, self.map.len(), self.pos(k), &self.map);
                dup
            } else {
                None
            };
            match s.field(name.as_bytes()) {
                Some(field) => {
                    if self.record {
                        self.open_entry(name.as_bytes(), Some(k), v, field.kind(), dup, false);
                    }
                    let r = self.unmarshal(v, field);
                    self.pop_seg();
                    r?;
                }
                None if !self.record => {}
                None => {
                    let mut notes = Vec::new();
                    if let Some(first) = dup {
                        notes.push(Note::DuplicateKey { first });
                    }
                    notes.push(Note::UnknownKey { valid: s.fields() });
                    self.key_notes(k, &mut notes);
                    let node = self.push_seg(name.as_bytes());
                    let (kp, vp) = (self.pos(k), self.pos(v));
                    self.map.push(node, kp, vp, notes, true);
                    self.pop_seg();
                }
            }
        }
        Ok(true)
    }

    /// `d.merge`.
    fn merge(&mut self, v: NodeId, mut out: Out<'_>) -> Result<(), Fatal> {
        const WANT_MAP: &str = "map merge requires map or sequence of maps as the value";
        let doc = self.doc;
        let node = doc.node(v);
        match node.kind {
            Kind::Mapping => {
                self.unmarshal(v, out)?;
            }
            Kind::Alias => {
                if doc.node(doc.alias_target(v)).kind != Kind::Mapping {
                    return Err(Self::fatal(v, WANT_MAP));
                }
                self.unmarshal(v, out)?;
            }
            Kind::Sequence => {
                // Step backwards as earlier nodes take precedence.
                for &c in doc.kids(v).iter().rev() {
                    let cn = doc.node(c);
                    let ok = match cn.kind {
                        Kind::Alias => doc.node(doc.alias_target(c)).kind == Kind::Mapping,
                        k => k == Kind::Mapping,
                    };
                    if !ok {
                        return Err(Self::fatal(c, WANT_MAP));
                    }
                    self.unmarshal(c, out.reborrow())?;
                }
            }
            Kind::Scalar => return Err(Self::fatal(v, WANT_MAP)),
        }
        Ok(())
    }

    /// Records the entry for a `<<` key (path ends with `<<`); the merged keys get their own
    /// entries at the mapping's level.
    fn merge_entry(&mut self, k: NodeId, v: NodeId) {
        if !self.record {
            return;
        }
        let mut notes = vec![Note::MergeKey];
        let vn = self.doc.node(v);
        if vn.kind == Kind::Alias {
            notes.push(Note::Alias {
                anchor: vn.value.to_string(),
            });
        }
        let node = self.push_seg(b"<<");
        let (kp, vp) = (self.pos(k), self.pos(v));
        self.map.push(node, kp, vp, notes, false);
        self.pop_seg();
    }

    /// Enters the path one segment down (a node of the source map), returning its node.
    fn push_seg(&mut self, seg: &[u8]) -> PathId {
        let node = self.map.enter(self.path.last().copied(), seg);
        self.path.push(node);
        node
    }

    /// Pops what [`Self::open_entry`] pushed (nothing when not recording).
    fn pop_seg(&mut self) {
        if !self.record {
            return;
        }
        self.path.pop();
    }

    /// Pushes `seg` on the path and records its entry; the caller pops the path after decoding.
    fn open_entry(
        &mut self,
        seg: &[u8],
        key: Option<NodeId>,
        v: NodeId,
        kind: OutKind,
        dup: Option<Position>,
        fresh: bool,
    ) {
        let node = self.push_seg(seg);
        let mut notes = Vec::new();
        if let Some(first) = dup {
            notes.push(Note::DuplicateKey { first });
        }
        if let Some(k) = key {
            self.key_notes(k, &mut notes);
        }
        let null = self.value_notes(v, kind, &mut notes);
        let replaces = fresh || null || kind != OutKind::Other;
        let kp = self.pos(key.unwrap_or(v));
        let vp = self.pos(v);
        self.map.push(node, kp, vp, notes, replaces);
    }

    /// Notes about a key node.
    fn key_notes(&self, k: NodeId, notes: &mut Vec<Note>) {
        let doc = self.doc;
        let mut node = doc.node(k);
        if node.kind == Kind::Alias {
            notes.push(Note::Alias {
                anchor: node.value.to_string(),
            });
            node = doc.node(doc.alias_target(k));
        }
        if node.kind != Kind::Scalar {
            return;
        }
        if node.tag.as_deref() == Some(BINARY_TAG) {
            notes.push(Note::Binary);
        } else if node.tag.is_none() && node.implicit {
            if let Ok((rtag, _)) = scalar_resolution(node) {
                if rtag != STR_TAG {
                    notes.push(Note::NonStringKey {
                        tag: static_short(rtag),
                    });
                }
            }
        }
    }

    /// Notes about a value node decoded into a target of `kind`; returns whether it is null.
    fn value_notes(&self, v: NodeId, kind: OutKind, notes: &mut Vec<Note>) -> bool {
        let doc = self.doc;
        let mut node = doc.node(v);
        if node.kind == Kind::Alias {
            notes.push(Note::Alias {
                anchor: node.value.to_string(),
            });
            node = doc.node(doc.alias_target(v));
        }
        if node.kind != Kind::Scalar {
            return false;
        }
        let Ok((rtag, resolved)) = scalar_resolution(node) else {
            return false;
        };
        if rtag == BINARY_TAG {
            notes.push(Note::Binary);
            if let Ok(data) = crate::go::base64::decode_string(node.value.as_bytes()) {
                if std::str::from_utf8(&data).is_err() && kind == OutKind::Str {
                    notes.push(Note::InvalidUtf8);
                }
            }
            return false;
        }
        match resolved {
            Resolved::Null => {
                notes.push(Note::Null);
                return true;
            }
            Resolved::Bool(value)
                if kind == OutKind::Bool && &*node.value != "true" && &*node.value != "false" =>
            {
                notes.push(Note::Yaml11Bool {
                    text: node.value.to_string(),
                    value,
                });
            }
            _ => {}
        }
        if kind == OutKind::Str && node.tag.is_none() && node.implicit && rtag != STR_TAG {
            notes.push(Note::NonStringScalar {
                tag: static_short(rtag),
            });
        }
        false
    }
}

/// yaml.v2's `d.terror` message for `node` decoded into `type_name` (`tag`: its resolved tag, when
/// the node has none): `cannot unmarshal !!str `abc` into bool`.
pub(super) fn terror_message(node: &Node<'_>, tag: &str, type_name: &str) -> String {
    let tag = node.tag.as_deref().unwrap_or(tag);
    let value = if tag != SEQ_TAG && tag != MAP_TAG {
        let v = node.value.as_bytes();
        if v.len() > 10 {
            // Go cuts bytes, maybe inside a character; the cut character's bytes show as
            // `\xNN`, as every byte that is not UTF-8 does in our messages.
            format!(" `{}...`", crate::go::string::display(&v[..7]))
        } else {
            format!(" `{}`", node.value)
        }
    } else {
        String::new()
    };
    format!(
        "cannot unmarshal {}{} into {}",
        short_tag(tag),
        value,
        type_name
    )
}
