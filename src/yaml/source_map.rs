//! [`SourceMap`]: where each key the yaml.v2 decoder visited stands in the file, and what the
//! decoder did with it.
//!
//! It is filled by the decoder (the port of decode.go's `mappingStruct`, `mapping`, `sequence`
//! and `merge`) as it walks the document in yaml.v2's order, so the last entry recorded for a path
//! is the one whose value won. Entries whose value was later replaced wholesale (a duplicated map
//! entry, a field set to null, a replaced sequence) stay in [`SourceMap::entries`] but
//! [`SourceMap::find`] skips them.

use std::sync::OnceLock;

use crate::go::string::BStr;

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// Something worth telling about a key or its value: how yaml.v2 read it differently from what
/// a reader might expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The key is not a field of the struct it appears in: yaml.v2 (non-strict) ignores it and
    /// its value entirely. `valid` lists the keys that are fields there.
    UnknownKey {
        /// The keys this struct does have, in declaration order.
        valid: &'static [&'static str],
    },
    /// The same key appeared earlier in this mapping; this occurrence is applied after it
    /// (fields merge into the earlier value for structs and pointers, everything else is
    /// replaced).
    DuplicateKey {
        /// Where the earlier occurrence's key is.
        first: Position,
    },
    /// A boolean field written with a YAML 1.1 spelling other than `true`/`false`
    /// (`yes`, `on`, `y`, `True`, `OFF`, ...), which yaml.v2 accepts.
    Yaml11Bool {
        /// The text as written.
        text: String,
        /// What yaml.v2 read.
        value: bool,
    },
    /// A plain scalar that resolves to something other than a string (`!!int`, `!!float`,
    /// `!!bool`, `!!timestamp`) was stored as its literal text in a string field.
    NonStringScalar {
        /// The short tag it resolves to, e.g. `!!int`.
        tag: &'static str,
    },
    /// Like [`Note::NonStringScalar`], for a mapping key (keys are Go strings).
    NonStringKey {
        /// The short tag it resolves to, e.g. `!!int`.
        tag: &'static str,
    },
    /// The value is null (`~`, `null`, `Null`, `NULL`, empty, `!!null`): the target is set to
    /// its zero value. (For `tls`/`auth`, only `~`, `null`, empty and `!!null` clear the
    /// pointer; `Null` and `NULL` leave an empty block.)
    Null,
    /// A merge key (`<<`): the entry's path ends with `<<`.
    MergeKey,
    /// The value (or key) is an alias (`*name`); positions below it are the alias's.
    Alias {
        /// The anchor name.
        anchor: String,
    },
    /// A `!!binary` scalar was base64-decoded.
    Binary,
    /// A `!!binary` value decoded to bytes that are not UTF-8 (kept as they are, as Go does).
    InvalidUtf8,
}

/// One key the decoder visited (or one sequence item). Its path is kept by the [`SourceMap`]
/// ([`SourceMap::path`]): a node per key, pointing at its parent, with the key's bytes in one
/// buffer, where a list of copied strings per entry made the map several times the file's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path's node in [`SourceMap::nodes`].
    node: u32,
    /// Where the key is (for sequence items, the item).
    pub key: Position,
    /// Where the value is.
    pub value: Position,
    /// What is worth telling about this key and value.
    pub notes: Vec<Note>,
    /// Whether this value replaced what was at this path before (rather than merging into it).
    pub(crate) replaces: bool,
}

/// One path: its last segment (a range of [`SourceMap::segs`]) under its parent path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Node {
    /// The parent's node, or [`NO_NODE`] for a top-level key.
    parent: u32,
    /// The segment's start in [`SourceMap::segs`].
    start: u32,
    /// The segment's length.
    len: u32,
    /// The number of segments.
    depth: u32,
    /// Hash of the path ([`extend_hash`] over its segments).
    hash: u64,
}

/// The parent of a top-level key's node.
const NO_NODE: u32 = u32::MAX;

/// A path's node, for [`SourceMap::push`]: what the decoder keeps for the path it is in.
pub(crate) type PathId = u32;

/// (path hash, entry index) for every entry, sorted: the entries with one hash are a run, oldest
/// first. Twelve bytes an entry, where a map of hash to a list of indexes cost a list (and its
/// allocation) per path.
type Index = Vec<(u64, u32)>;

/// Positions and decoding notes for a loaded file.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    entries: Vec<Entry>,
    /// Every path the decoder entered (keys in the order visited).
    nodes: Vec<Node>,
    /// The segments' bytes.
    segs: Vec<u8>,
    /// Built on the first [`SourceMap::find`], so loading does not pay for it.
    index: OnceLock<Index>,
}

/// FNV-1a offset basis: the hash of the empty path.
pub(crate) const EMPTY_PATH_HASH: u64 = 0xcbf2_9ce4_8422_2325;

/// Extends the hash of a path by one segment: FNV-1a over its bytes and a 0xFF separator
/// (never part of UTF-8).
pub(crate) fn extend_hash(mut h: u64, seg: &[u8]) -> u64 {
    for &b in seg.iter().chain(&[0xFF]) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn path_hash<S: AsRef<[u8]>>(path: &[S]) -> u64 {
    path.iter()
        .fold(EMPTY_PATH_HASH, |h, seg| extend_hash(h, seg.as_ref()))
}

/// A segment offset or length as stored (a file large enough to overflow is refused long
/// before: [`crate::fs::Limit::REGISTRIES`]).
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SourceMap {
    /// A path one segment below `parent` (`None`: a top-level key); the decoder keeps the id
    /// while it is in that path.
    pub(crate) fn enter(&mut self, parent: Option<PathId>, seg: &[u8]) -> PathId {
        let (parent, depth, h) =
            match parent.and_then(|p| self.nodes.get(p as usize).map(|n| (p, n))) {
                Some((p, n)) => (p, n.depth + 1, n.hash),
                None => (NO_NODE, 1, EMPTY_PATH_HASH),
            };
        let id = small(self.nodes.len());
        self.nodes.push(Node {
            parent,
            start: small(self.segs.len()),
            len: small(seg.len()),
            depth,
            hash: extend_hash(h, seg),
        });
        self.segs.extend_from_slice(seg);
        id
    }

    /// Records an entry for the path `node` ([`Self::enter`]).
    pub(crate) fn push(
        &mut self,
        node: PathId,
        key: Position,
        value: Position,
        notes: Vec<Note>,
        replaces: bool,
    ) -> usize {
        let idx = self.entries.len();
        self.entries.push(Entry {
            node,
            key,
            value,
            notes,
            replaces,
        });
        idx
    }

    fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    fn seg(&self, n: &Node) -> &BStr {
        BStr::new(&self.segs[n.start as usize..(n.start + n.len) as usize])
    }

    /// The path of `e` from the top: keys as decoded (null key = `""`), sequence items as their
    /// index. E.g. `["configs", "registry.example.com", "tls", "ca_file"]`, `["mirrors",
    /// "docker.io", "endpoint", "0"]`.
    pub fn path(&self, e: &Entry) -> Vec<&BStr> {
        let mut out = Vec::with_capacity(self.node(e.node).map_or(0, |n| n.depth as usize));
        let mut id = e.node;
        while let Some(n) = self.node(id) {
            out.push(self.seg(n));
            id = n.parent;
        }
        out.reverse();
        out
    }

    /// The last segment of `e`'s path (its key, or its index as text).
    pub fn last(&self, e: &Entry) -> &BStr {
        self.node(e.node).map_or(BStr::new(""), |n| self.seg(n))
    }

    /// Whether `e`'s path is exactly `path`.
    pub fn path_is<S: AsRef<[u8]>>(&self, e: &Entry, path: &[S]) -> bool {
        let mut id = e.node;
        for seg in path.iter().rev() {
            match self.node(id) {
                Some(n) if *self.seg(n) == *seg.as_ref() => id = n.parent,
                _ => return false,
            }
        }
        id == NO_NODE
    }

    fn hash_of(&self, e: &Entry) -> u64 {
        self.node(e.node).map_or(EMPTY_PATH_HASH, |n| n.hash)
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index: Index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (self.hash_of(e), i as u32))
                .collect();
            index.sort_unstable();
            index
        })
    }

    /// Latest entry index recorded for exactly this path.
    fn latest<S: AsRef<[u8]>>(&self, path: &[S]) -> Option<usize> {
        let index = self.index();
        let h = path_hash(path);
        let end = index.partition_point(|&(eh, _)| eh <= h);
        index[..end]
            .iter()
            .rev()
            .take_while(|&&(eh, _)| eh == h)
            .map(|&(_, i)| i as usize)
            .find(|&i| self.path_is(&self.entries[i], path))
    }

    /// The entry for `path` whose value is in the decoded result: the last one recorded, unless
    /// an ancestor's value was replaced after it (a duplicated map entry, a null, ...).
    pub fn find<S: AsRef<[u8]>>(&self, path: &[S]) -> Option<&Entry> {
        let idx = self.latest(path)?;
        for depth in 1..path.len() {
            if let Some(a) = self.latest(&path[..depth]) {
                if a > idx && self.entries[a].replaces {
                    return None;
                }
            }
        }
        self.entries.get(idx)
    }

    /// Every entry, in the order the decoder visited them (superseded ones included).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Every note, with its entry, in decoding order.
    pub fn notes(&self) -> impl Iterator<Item = (&Entry, &Note)> {
        self.entries
            .iter()
            .flat_map(|e| e.notes.iter().map(move |n| (e, n)))
    }

    /// The entry at `idx` (decoding order).
    pub(crate) fn get(&self, idx: usize) -> Option<&Entry> {
        self.entries.get(idx)
    }

    /// Reserves room for `n` more entries.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.nodes.reserve(n);
    }

    /// Gives back what [`Self::reserve`] over-estimated, once decoding is done.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.segs.shrink_to_fit();
    }

    /// Number of entries recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
