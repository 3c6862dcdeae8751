//! The committed corpus: generated cases with what K3s's own code does with them, in one text
//! file (`tests/fixtures/differential/corpus.txt`, described in the README next to it).
//!
//! Files are stored line by line, every distinct line once: most of a config.toml is the same in
//! every case, so two thousand cases fit in about a megabyte. A line of text is kept readable
//! (`t <text>`); a line with control characters, line separators, a BOM, trailing blanks or bytes
//! that are not UTF-8 is hex (`x <hex>`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// What K3s does with one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// K3s refuses to start (a yaml.v2 error, trimEmpty's line limit ...).
    Refused,
    /// K3s writes these files: path -> bytes (`config.toml`, `certs.d/<dir>/hosts.toml`), and the
    /// config.toml the v2 template gives.
    Files {
        tree: BTreeMap<Vec<u8>, Vec<u8>>,
        v2: Option<Vec<u8>>,
    },
}

/// One case of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The generator's index (with the corpus seed, it regenerates the input).
    pub index: u64,
    pub args: Vec<String>,
    pub input: Vec<u8>,
    pub outcome: Outcome,
}

/// A parsed corpus.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub seed: u64,
    /// Which K3s wrote the outcomes.
    pub k3s: String,
    pub entries: Vec<Entry>,
}

const MAGIC: &str = "k3s-registries differential corpus 1";

/// Interns lines and blobs while writing.
#[derive(Default)]
struct Tables {
    lines: HashMap<Vec<u8>, usize>,
    line_text: Vec<String>,
    blobs: HashMap<Vec<usize>, usize>,
    blob_text: Vec<String>,
}

impl Tables {
    fn line(&mut self, l: &[u8]) -> usize {
        if let Some(&id) = self.lines.get(l) {
            return id;
        }
        let id = self.line_text.len();
        self.line_text.push(if let Some(text) = readable(l) {
            format!("line {id} t {text}")
        } else {
            format!("line {id} x {}", hex(l))
        });
        self.lines.insert(l.to_vec(), id);
        id
    }

    fn blob(&mut self, b: &[u8]) -> usize {
        let ids: Vec<usize> = b.split(|&c| c == b'\n').map(|l| self.line(l)).collect();
        if let Some(&id) = self.blobs.get(&ids) {
            return id;
        }
        let id = self.blob_text.len();
        let list: Vec<String> = ids.iter().map(usize::to_string).collect();
        self.blob_text.push(format!("blob {id} {}", list.join(",")));
        self.blobs.insert(ids, id);
        id
    }
}

impl Corpus {
    /// The corpus as text.
    pub fn write(&self) -> String {
        let mut t = Tables::default();
        let mut cases = String::new();
        for e in &self.entries {
            let _ = writeln!(cases, "case {} {}", e.index, e.args.join(" "));
            let input = t.blob(&e.input);
            let _ = writeln!(cases, "in {input}");
            match &e.outcome {
                Outcome::Refused => cases.push_str("refused\n"),
                Outcome::Files { tree, v2 } => {
                    for (path, bytes) in tree {
                        let p = t.line(path);
                        let b = t.blob(bytes);
                        let _ = writeln!(cases, "file {p} {b}");
                    }
                    if let Some(v2) = v2 {
                        let b = t.blob(v2);
                        let _ = writeln!(cases, "v2 {b}");
                    }
                }
            }
        }
        let mut out = String::new();
        let _ = writeln!(out, "{MAGIC}");
        let _ = writeln!(out, "seed {}", self.seed);
        let _ = writeln!(out, "k3s {}", self.k3s);
        let _ = writeln!(out, "cases {}", self.entries.len());
        for l in &t.line_text {
            out.push_str(l);
            out.push('\n');
        }
        for b in &t.blob_text {
            out.push_str(b);
            out.push('\n');
        }
        out.push_str(&cases);
        out
    }

    /// Parses what [`Corpus::write`] wrote.
    pub fn parse(text: &str) -> Result<Corpus, String> {
        let mut lines_tab: Vec<Vec<u8>> = Vec::new();
        let mut blobs: Vec<Vec<u8>> = Vec::new();
        let mut c = Corpus::default();
        let mut it = text.lines();
        if it.next() != Some(MAGIC) {
            return Err("not a differential corpus".into());
        }
        let mut declared = None;
        for (n, raw) in it.enumerate() {
            let bad = |why: &str| format!("line {}: {why}: {raw:?}", n + 2);
            let (word, rest) = raw.split_once(' ').unwrap_or((raw, ""));
            match word {
                "seed" => c.seed = rest.parse().map_err(|_| bad("seed"))?,
                "k3s" => c.k3s = rest.to_string(),
                "cases" => declared = Some(rest.parse::<usize>().map_err(|_| bad("count"))?),
                "line" => {
                    let mut parts = rest.splitn(3, ' ');
                    let id: usize = parts
                        .next()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("id"))?;
                    if id != lines_tab.len() {
                        return Err(bad("line ids out of order"));
                    }
                    let kind = parts.next().ok_or_else(|| bad("kind"))?;
                    let body = parts.next().unwrap_or("");
                    lines_tab.push(match kind {
                        "t" => body.as_bytes().to_vec(),
                        "x" => unhex(body).ok_or_else(|| bad("hex"))?,
                        _ => return Err(bad("kind")),
                    });
                }
                "blob" => {
                    let (id, list) = rest.split_once(' ').unwrap_or((rest, ""));
                    if id.parse::<usize>().ok() != Some(blobs.len()) {
                        return Err(bad("blob ids out of order"));
                    }
                    let mut b = Vec::new();
                    for (i, l) in list.split(',').enumerate() {
                        let l: usize = l.parse().map_err(|_| bad("blob line"))?;
                        if i > 0 {
                            b.push(b'\n');
                        }
                        b.extend_from_slice(lines_tab.get(l).ok_or_else(|| bad("unknown line"))?);
                    }
                    blobs.push(b);
                }
                "case" => {
                    let mut parts = rest.split(' ').filter(|s| !s.is_empty());
                    let index = parts
                        .next()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("index"))?;
                    c.entries.push(Entry {
                        index,
                        args: parts.map(str::to_string).collect(),
                        input: Vec::new(),
                        outcome: Outcome::Files {
                            tree: BTreeMap::new(),
                            v2: None,
                        },
                    });
                }
                "in" | "refused" | "file" | "v2" => {
                    let e = c.entries.last_mut().ok_or_else(|| bad("before any case"))?;
                    let blob = |s: &str| -> Result<Vec<u8>, String> {
                        let id: usize = s.parse().map_err(|_| bad("blob id"))?;
                        blobs.get(id).cloned().ok_or_else(|| bad("unknown blob"))
                    };
                    match (word, &mut e.outcome) {
                        ("in", _) => e.input = blob(rest)?,
                        ("refused", o) => *o = Outcome::Refused,
                        ("file", Outcome::Files { tree, .. }) => {
                            let (p, b) = rest.split_once(' ').ok_or_else(|| bad("file"))?;
                            let p: usize = p.parse().map_err(|_| bad("path"))?;
                            let path = lines_tab
                                .get(p)
                                .cloned()
                                .ok_or_else(|| bad("unknown path"))?;
                            tree.insert(path, blob(b)?);
                        }
                        ("v2", Outcome::Files { v2, .. }) => *v2 = Some(blob(rest)?),
                        _ => return Err(bad("file of a refused case")),
                    }
                }
                _ => return Err(bad("unknown record")),
            }
        }
        if declared != Some(c.entries.len()) {
            return Err(format!(
                "{} cases, the header says {declared:?}",
                c.entries.len()
            ));
        }
        Ok(c)
    }
}

/// `l` as text, when it reads the same back: UTF-8 without control characters (but tabs), line
/// separators, BOMs or trailing blanks.
fn readable(l: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(l).ok()?;
    let odd = |c: char| {
        (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
    };
    (!s.chars().any(odd) && !s.ends_with([' ', '\t'])).then_some(s)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
