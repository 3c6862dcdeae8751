//! yaml.v2 v2.4.0 decoding into Go's dynamic types: `yaml.Unmarshal(bytes, &yaml.MapSlice{})`,
//! the call K3s's pkg/configfilearg makes for config.yaml and its drop-ins. The decoder paths of
//! decode.go that a `MapSlice` target and `interface{}` values take: `unmarshal`, `document`,
//! `alias`, `prepare`'s null test, `scalar` (`case reflect.Interface`, and the `MapItem` and
//! `MapSlice` failures), `sequence`, `mapping` (`case reflect.Interface`), `mappingSlice`,
//! `mappingStruct` (a top-level sequence decodes each element into a `MapItem` struct), `merge`
//! and `terror`, with the values `resolve.go`'s `resolve` returns.
//!
//! Quirks kept on purpose, because K3s has them:
//! - a `<<` merge key inside a `MapSlice` is decoded (its errors count) and then lost:
//!   `mappingSlice` writes the merged entries to its target and then overwrites the target with
//!   its own entries;
//! - mappings nested in a `MapSlice` become `MapSlice`s too (`d.mapType`); under a top-level
//!   sequence they are Go maps (`map[interface{}]interface{}`);
//! - timestamps stay strings; integers too big for `int64` are `uint64`, then `float64`.

use super::decode::{Fatal, TypeErr};
use super::resolve::{
    resolve, Resolved, BINARY_TAG, MAP_TAG, MERGE_TAG, NULL_TAG, SEQ_TAG, STR_TAG,
};
use super::tree::{Doc, Kind, NodeId};

/// A Go `interface{}` value as yaml.v2 decodes it.
#[derive(Debug, Clone, PartialEq)]
pub enum GoValue {
    /// `nil`.
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (Go's `int` is 64 bits on the platforms K3s runs on).
    Int(i64),
    /// `uint64` (an integer above `int64`'s range).
    Uint(u64),
    /// `float64`.
    Float(f64),
    /// `string` (a `!!binary` value's bytes that are not UTF-8 are replaced).
    Str(String),
    /// `[]interface{}`.
    Seq(Vec<GoValue>),
    /// A `yaml.MapSlice`: key/value pairs in order, duplicates kept.
    Map(Vec<(GoValue, GoValue)>),
    /// A `map[interface{}]interface{}` (only under a top-level sequence): later keys replace
    /// earlier ones.
    GoMap(Vec<(GoValue, GoValue)>),
}

/// One `yaml.MapItem` of the top-level `MapSlice`, with where its key is (for a top-level
/// sequence, where the element is).
#[derive(Debug, Clone, PartialEq)]
pub struct MapItem {
    /// The key.
    pub key: GoValue,
    /// The value.
    pub value: GoValue,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// What the top-level target is while decoding a mapping into `interface{}` (`d.mapType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum MapType {
    /// `map[interface{}]interface{}` (`defaultMapType`).
    GoMap,
    /// `yaml.MapSlice`.
    MapSlice,
}

pub(super) struct Decoder<'d> {
    doc: &'d Doc<'d>,
    map_type: MapType,
    active: Vec<bool>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    pub(super) terrors: Vec<TypeErr>,
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

impl<'d> Decoder<'d> {
    pub(super) fn new(doc: &'d Doc<'d>) -> Self {
        Decoder {
            doc,
            map_type: MapType::GoMap,
            active: vec![false; doc.nodes.len()],
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            terrors: Vec::new(),
        }
    }

    fn fatal(node: NodeId, message: impl Into<String>) -> Fatal {
        Fatal {
            node,
            message: message.into(),
        }
    }

    /// `d.unmarshal(root, reflect.ValueOf(&yaml.MapSlice{}).Elem())`.
    pub(super) fn map_slice(&mut self, root: NodeId) -> Result<Vec<MapItem>, Fatal> {
        let mut out = Vec::new();
        // decode.go counts the document node, then its child.
        self.count(root)?;
        self.count(root)?;
        let node = self.doc.node(root);
        match node.kind {
            Kind::Alias => {
                // An alias needs an anchor before it: never the root. Follow it anyway.
                let target = self.doc.alias_target(root);
                return self.map_slice(target);
            }
            Kind::Mapping => {
                self.mapping_slice(root, &mut out)?;
            }
            Kind::Scalar => {
                if prepare_null(self.doc, root) {
                    // scalar(): resolved nil, the slice is set to its zero value.
                    return Ok(Vec::new());
                }
                let (tag, _) = self.resolution(root)?;
                if self.resolved_null(root)? {
                    return Ok(Vec::new());
                }
                self.terror(root, tag, "yaml.MapSlice");
            }
            Kind::Sequence => {
                // d.sequence into []MapItem: each element into a MapItem struct.
                for &k in self.doc.kids(root) {
                    if let Some(item) = self.map_item(k)? {
                        out.push(item);
                    }
                }
            }
        }
        Ok(out)
    }

    fn count(&mut self, n: NodeId) -> Result<(), Fatal> {
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
        Ok(())
    }

    /// `resolve` for a scalar as `scalar` does it: untagged quoted text is a string.
    fn resolution(&self, n: NodeId) -> Result<(&'d str, Resolved), Fatal> {
        let node = self.doc.node(n);
        if node.tag.is_none() && !node.implicit {
            return Ok((STR_TAG, Resolved::Str));
        }
        resolve(node.tag.as_deref().unwrap_or(""), &node.value)
            .map_err(|e| Self::fatal(n, e.to_string()))
    }

    fn resolved_null(&self, n: NodeId) -> Result<bool, Fatal> {
        Ok(self.resolution(n)?.1 == Resolved::Null)
    }

    /// `d.terror`.
    fn terror(&mut self, n: NodeId, tag: &str, type_name: &str) {
        let message = super::decode::terror_message(self.doc.node(n), tag, type_name);
        self.terrors.push(TypeErr { node: n, message });
    }

    /// `d.unmarshal(n, out)` for an `interface{}` target: the value, or `None` when it is not
    /// set (`good` false).
    fn any(&mut self, n: NodeId) -> Result<Option<GoValue>, Fatal> {
        self.count(n)?;
        let node = self.doc.node(n);
        match node.kind {
            Kind::Alias => {
                let idx = n as usize;
                if self.active[idx] {
                    return Err(Self::fatal(
                        n,
                        format!("anchor '{}' value contains itself", node.value),
                    ));
                }
                self.active[idx] = true;
                self.alias_depth += 1;
                let r = self.any(self.doc.alias_target(n));
                self.alias_depth -= 1;
                self.active[idx] = false;
                r
            }
            Kind::Scalar => self.scalar_any(n).map(Some),
            Kind::Sequence => {
                let mut items = Vec::new();
                for &k in self.doc.kids(n) {
                    if let Some(v) = self.any(k)? {
                        items.push(v);
                    }
                }
                Ok(Some(GoValue::Seq(items)))
            }
            Kind::Mapping => match self.map_type {
                MapType::MapSlice => {
                    let mut items = Vec::new();
                    self.mapping_slice(n, &mut items)?;
                    Ok(Some(GoValue::Map(
                        items.into_iter().map(|i| (i.key, i.value)).collect(),
                    )))
                }
                MapType::GoMap => self.go_map(n).map(Some),
            },
        }
    }

    /// `d.scalar` into `interface{}`.
    fn scalar_any(&mut self, n: NodeId) -> Result<GoValue, Fatal> {
        let node = self.doc.node(n);
        if prepare_null(self.doc, n) {
            return Ok(GoValue::Nil);
        }
        let (tag, resolved) = self.resolution(n)?;
        let text: &str = &node.value;
        Ok(match resolved {
            Resolved::Null => GoValue::Nil,
            Resolved::Bool(b) => GoValue::Bool(b),
            // Kept as its text (decode.go: "for backward compatibility reasons").
            Resolved::Timestamp => GoValue::Str(text.to_string()),
            Resolved::Int => int_value(text),
            Resolved::Float => float_value(text),
            Resolved::Str if tag == BINARY_TAG => {
                let data = crate::go::base64::decode_string(text.as_bytes())
                    .map_err(|_| Self::fatal(n, "!!binary value contains invalid base64 data"))?;
                GoValue::Str(String::from_utf8_lossy(&data).into_owned())
            }
            Resolved::Str => GoValue::Str(text.to_string()),
        })
    }

    /// `isMerge`.
    fn is_merge(&self, k: NodeId) -> bool {
        let node = self.doc.node(k);
        node.kind == Kind::Scalar
            && &*node.value == "<<"
            && (node.implicit || node.tag.as_deref() == Some(MERGE_TAG))
    }

    /// `d.merge`: decoded for its errors; into a `MapSlice` the result is then overwritten.
    fn merge(&mut self, v: NodeId) -> Result<(), Fatal> {
        let want_map =
            |n: NodeId| Self::fatal(n, "map merge requires map or sequence of maps as the value");
        let node = self.doc.node(v);
        match node.kind {
            Kind::Mapping => {
                self.any(v)?;
            }
            Kind::Alias => {
                if self.doc.node(self.doc.alias_target(v)).kind != Kind::Mapping {
                    return Err(want_map(v));
                }
                self.any(v)?;
            }
            Kind::Sequence => {
                for &k in self.doc.kids(v).iter().rev() {
                    let kn = self.doc.node(k);
                    let is_map = match kn.kind {
                        Kind::Alias => {
                            self.doc.node(self.doc.alias_target(k)).kind == Kind::Mapping
                        }
                        kind => kind == Kind::Mapping,
                    };
                    if !is_map {
                        return Err(want_map(k));
                    }
                    self.any(k)?;
                }
            }
            Kind::Scalar => return Err(want_map(v)),
        }
        Ok(())
    }

    /// `d.mappingSlice`.
    fn mapping_slice(&mut self, n: NodeId, out: &mut Vec<MapItem>) -> Result<(), Fatal> {
        let saved = self.map_type;
        self.map_type = MapType::MapSlice;
        let kids = self.doc.kids(n);
        for pair in kids.chunks(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                self.merge(v)?;
                continue;
            }
            if let Some(key) = self.any(k)? {
                if let Some(value) = self.any(v)? {
                    let kn = self.doc.node(k);
                    out.push(MapItem {
                        key,
                        value,
                        line: kn.line,
                        column: kn.column,
                    });
                }
            }
        }
        self.map_type = saved;
        Ok(())
    }

    /// `d.mapping` into a `map[interface{}]interface{}`.
    fn go_map(&mut self, n: NodeId) -> Result<GoValue, Fatal> {
        let mut out: Vec<(GoValue, GoValue)> = Vec::new();
        self.go_map_into(n, &mut out)?;
        Ok(GoValue::GoMap(out))
    }

    fn go_map_into(&mut self, n: NodeId, out: &mut Vec<(GoValue, GoValue)>) -> Result<(), Fatal> {
        let kids = self.doc.kids(n);
        for pair in kids.chunks(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                self.go_merge(v, out)?;
                continue;
            }
            if let Some(key) = self.any(k)? {
                if matches!(key, GoValue::Seq(_) | GoValue::Map(_) | GoValue::GoMap(_)) {
                    return Err(Self::fatal(
                        k,
                        "invalid map key: a map or slice (unhashable in Go)",
                    ));
                }
                if let Some(value) = self.any(v)? {
                    set_map_index(out, key, value);
                }
            }
        }
        Ok(())
    }

    /// `d.merge` into a Go map: the merged entries are kept.
    fn go_merge(&mut self, v: NodeId, out: &mut Vec<(GoValue, GoValue)>) -> Result<(), Fatal> {
        let want_map =
            |n: NodeId| Self::fatal(n, "map merge requires map or sequence of maps as the value");
        let target = |d: &Self, n: NodeId| {
            let node = d.doc.node(n);
            if node.kind == Kind::Alias {
                d.doc.alias_target(n)
            } else {
                n
            }
        };
        let node = self.doc.node(v);
        let list: Vec<NodeId> = match node.kind {
            Kind::Mapping | Kind::Alias => vec![v],
            Kind::Sequence => self.doc.kids(v).iter().rev().copied().collect(),
            Kind::Scalar => return Err(want_map(v)),
        };
        for m in list {
            if self.doc.node(target(self, m)).kind != Kind::Mapping {
                return Err(want_map(m));
            }
            if let Some(GoValue::GoMap(entries)) = self.any(m)? {
                for (k, val) in entries {
                    set_map_index(out, k, val);
                }
            }
        }
        Ok(())
    }

    /// One element of a top-level sequence, decoded into a `yaml.MapItem` struct
    /// (`mappingStruct` with fields `key` and `value`); `None` when it is not set.
    fn map_item(&mut self, n: NodeId) -> Result<Option<MapItem>, Fatal> {
        self.count(n)?;
        let node = self.doc.node(n);
        let (line, column) = (node.line, node.column);
        let mut item = MapItem {
            key: GoValue::Nil,
            value: GoValue::Nil,
            line,
            column,
        };
        match node.kind {
            Kind::Alias => {
                let idx = n as usize;
                if self.active[idx] {
                    return Err(Self::fatal(
                        n,
                        format!("anchor '{}' value contains itself", node.value),
                    ));
                }
                self.active[idx] = true;
                self.alias_depth += 1;
                let r = self.map_item(self.doc.alias_target(n));
                self.alias_depth -= 1;
                self.active[idx] = false;
                Ok(r?.map(|i| MapItem { line, column, ..i }))
            }
            Kind::Scalar => {
                if prepare_null(self.doc, n) || self.resolved_null(n)? {
                    return Ok(Some(item));
                }
                let (tag, _) = self.resolution(n)?;
                self.terror(n, tag, "yaml.MapItem");
                Ok(None)
            }
            Kind::Sequence => {
                self.terror(n, SEQ_TAG, "yaml.MapItem");
                Ok(None)
            }
            Kind::Mapping => {
                self.map_item_fields(n, &mut item)?;
                Ok(Some(item))
            }
        }
    }

    /// `mappingStruct` for `MapItem`: keys decoded as strings; `key` and `value` set the fields,
    /// anything else is ignored; `<<` merges into the struct.
    fn map_item_fields(&mut self, n: NodeId, item: &mut MapItem) -> Result<(), Fatal> {
        let kids = self.doc.kids(n);
        for pair in kids.chunks(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                let node = self.doc.node(v);
                let list: Vec<NodeId> = match node.kind {
                    Kind::Mapping | Kind::Alias => vec![v],
                    Kind::Sequence => self.doc.kids(v).iter().rev().copied().collect(),
                    Kind::Scalar => {
                        return Err(Self::fatal(
                            v,
                            "map merge requires map or sequence of maps as the value",
                        ))
                    }
                };
                for m in list {
                    let t = if self.doc.node(m).kind == Kind::Alias {
                        self.doc.alias_target(m)
                    } else {
                        m
                    };
                    if self.doc.node(t).kind != Kind::Mapping {
                        return Err(Self::fatal(
                            m,
                            "map merge requires map or sequence of maps as the value",
                        ));
                    }
                    self.map_item_fields(t, item)?;
                }
                continue;
            }
            let Some(name) = self.string_key(k)? else {
                continue;
            };
            match name.as_str() {
                "key" => {
                    if let Some(val) = self.any(v)? {
                        item.key = val;
                    }
                }
                "value" => {
                    if let Some(val) = self.any(v)? {
                        item.value = val;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A struct key decoded into a `string`: a scalar's text (`""` for a null), or a type error.
    fn string_key(&mut self, k: NodeId) -> Result<Option<String>, Fatal> {
        self.count(k)?;
        let node = self.doc.node(k);
        match node.kind {
            Kind::Alias => {
                let t = self.doc.alias_target(k);
                self.string_key(t)
            }
            Kind::Scalar => {
                if prepare_null(self.doc, k) {
                    return Ok(Some(String::new()));
                }
                let (tag, resolved) = self.resolution(k)?;
                if resolved == Resolved::Null {
                    return Ok(Some(String::new()));
                }
                if tag == BINARY_TAG {
                    let data =
                        crate::go::base64::decode_string(node.value.as_bytes()).map_err(|_| {
                            Self::fatal(k, "!!binary value contains invalid base64 data")
                        })?;
                    return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
                }
                Ok(Some(node.value.to_string()))
            }
            Kind::Sequence => {
                self.terror(k, SEQ_TAG, "string");
                Ok(None)
            }
            Kind::Mapping => {
                self.terror(k, MAP_TAG, "string");
                Ok(None)
            }
        }
    }
}

/// `prepare`'s null test.
fn prepare_null(doc: &Doc<'_>, n: NodeId) -> bool {
    let node = doc.node(n);
    node.tag.as_deref() == Some(NULL_TAG)
        || (node.kind == Kind::Scalar
            && node.tag.is_none()
            && (&*node.value == "null"
                || &*node.value == "~"
                || (node.value.is_empty() && node.implicit)))
}

/// `out.SetMapIndex(k, v)` on a Go map: a key already there (Go's `==` on interfaces) is
/// replaced in place.
fn set_map_index(out: &mut Vec<(GoValue, GoValue)>, key: GoValue, value: GoValue) {
    match out.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => out.push((key, value)),
    }
}

/// The value `resolve` gives a scalar it resolved as `!!int`: `int` when it fits, else `uint64`,
/// else (a `!!float`-looking text) `float64`. yaml.v2 removes `_` first, then parses with
/// `strconv.ParseInt(plain, 0, 64)` (Go's prefixes: `0x`, `0o`, `0b`, a leading `0` for octal).
fn int_value(text: &str) -> GoValue {
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return GoValue::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return GoValue::Uint(u);
    }
    // `!!int` text that only parses as a float, and -0b.. forms, go through ParseFloat/base 2.
    if let Some(rest) = plain.strip_prefix("-0b") {
        if let Ok(i) = i64::from_str_radix(&format!("-{rest}"), 2) {
            return GoValue::Int(i);
        }
    }
    match plain.parse::<f64>() {
        Ok(f) => GoValue::Float(f),
        Err(_) => GoValue::Str(text.to_string()),
    }
}

/// The value of a scalar `resolve` resolved as `!!float`: the special names, an integer
/// (`!!float 1` is `float64(1)`), or `strconv.ParseFloat`.
fn float_value(text: &str) -> GoValue {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return GoValue::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return GoValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return GoValue::Float(f64::NAN),
        _ => {}
    }
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return GoValue::Float(i as f64);
    }
    match text.parse::<f64>().or_else(|_| plain.parse::<f64>()) {
        Ok(f) => GoValue::Float(f),
        Err(_) => GoValue::Str(text.to_string()),
    }
}

/// `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(digits)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseUint(s, 0, 64)` (no sign).
fn go_parse_uint(s: &str) -> Option<u64> {
    let lower = |p: &str| {
        s.get(..2)
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &s[2..])
    };
    let (base, digits) = if let Some(d) = lower("0x") {
        (16, d)
    } else if let Some(d) = lower("0o") {
        (8, d)
    } else if let Some(d) = lower("0b") {
        (2, d)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, base).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_go_parses_them() {
        assert_eq!(int_value("0644"), GoValue::Int(420));
        assert_eq!(int_value("0x1F"), GoValue::Int(31));
        assert_eq!(int_value("0o17"), GoValue::Int(15));
        assert_eq!(int_value("0b101"), GoValue::Int(5));
        assert_eq!(int_value("-0b101"), GoValue::Int(-5));
        assert_eq!(int_value("1_000"), GoValue::Int(1000));
        assert_eq!(int_value("+12"), GoValue::Int(12));
        assert_eq!(int_value("18446744073709551615"), GoValue::Uint(u64::MAX));
        assert_eq!(int_value("-9223372036854775808"), GoValue::Int(i64::MIN));
    }

    /// One `d.terror` message for both decoders: Go cuts a long value at 7 bytes, here inside
    /// `é`, whose first byte shows as `\xc3`, as in the registries decoder's messages.
    #[test]
    fn type_error_cuts_values_as_the_registries_decoder_does() {
        let text = "abcdefé and more\n".as_bytes();
        let err = crate::yaml::unmarshal_map_slice(text, "config.yaml").expect_err("not a map");
        let message = err.to_string();
        assert!(
            message.contains("cannot unmarshal !!str `abcdef\\xc3...` into yaml.MapSlice"),
            "{message}"
        );
    }

    #[test]
    fn floats_as_go_parses_them() {
        assert_eq!(float_value("1e6"), GoValue::Float(1e6));
        assert_eq!(float_value(".5"), GoValue::Float(0.5));
        assert_eq!(float_value("-.inf"), GoValue::Float(f64::NEG_INFINITY));
        assert_eq!(float_value("1"), GoValue::Float(1.0));
    }
}
