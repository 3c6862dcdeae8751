//! A seeded generator of registries files that reach the corners where a port of yaml.v2,
//! net/url, strconv.Quote and K3s's templates can differ from the originals: every scalar
//! position gets Unicode line breaks (LS, PS, NEL), characters of U+10FF00..U+10FFFF, tabs,
//! quotes, backslashes and flow indicators in every quoting style; documents mix block and flow
//! styles, comments, anchors, aliases, merge keys, tags, `!!binary`, document markers,
//! directives, BOMs and every line break libyaml knows; a quarter of the documents are then
//! mutated byte-wise (a token inserted, a range deleted, a space turned into a tab ...), and some
//! grow past libyaml's 512-byte read chunks with a bad byte after the first document.
//!
//! Case `i` of seed `s` is always the same document (its own generator state comes from `s` and
//! `i` alone), so a corpus can be regenerated, extended or cut without changing its cases.

/// One generated case: the registries file and the K3s flags for the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub input: Vec<u8>,
    pub args: Vec<&'static str>,
}

/// SplitMix64: small, fast, and the same on every platform and Rust version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    pub fn pick_ref<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Case `index` of the corpus with seed `seed`.
pub fn generate(seed: u64, index: u64) -> Case {
    let mut mix = Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut g = Gen::new(mix.next());
    g.case()
}

/// Registry names: hosts, Docker Hub spellings, the embedded registry's address, the wildcard,
/// odd keys K3s rejects or treats specially.
const HOSTS: &[&str] = &[
    "docker.io",
    "docker.io",
    "registry-1.docker.io",
    "registry.example.com",
    "registry.example.com",
    "r.example.com:5000",
    "localhost:5000",
    "localhost",
    "127.0.0.1:6443",
    "127.0.0.1:5000",
    "[::1]:5000",
    "::1",
    "*",
    "*",
    "_default",
    "quay.io",
    "ghcr.io",
    "Registry.Example.COM",
    "r.example.com:443",
    "mirror.local:8080",
    "10.0.0.1",
    "x",
    "a b",
    "https://scheme.example.com",
    "%zz",
    "r.example.com:port",
    "\u{10ff41}.example.com",
    "\u{e9}.example.com",
];

/// Endpoint shapes; `{}` is a host.
const ENDPOINTS: &[&str] = &[
    "https://{}",
    "https://{}",
    "http://{}",
    "{}",
    "{}",
    "https://{}/v2",
    "https://{}/v2/",
    "https://{}/",
    "https://{}/prefix",
    "https://{}/prefix/v2",
    "https://u:p@{}",
    "https://u@{}/v2",
    "{}:5000",
    "https://{}:443",
    "http://{}:80",
    "https://{}?q=1#f",
    "https://{}/%ff",
    "https://{}/a%2Fb",
    "https://{}/a%20b",
    "ftp://{}",
    "https:/{}",
    "https://ho st",
    "https://{}:port",
    "https://[::1]:5000",
    "https://[fe80::1%25en0]:5000",
    "http://127.0.0.1:6443",
    "https://127.0.0.1:6443/v2",
    "https://registry-1.docker.io",
    "*",
    "",
    "https://m\u{10ffff}.example.com/p\u{10ff00}",
    "https://{}/\u{2028}",
    "https://{}/p#\u{85}",
    "{}:",
    "https://{}:",
    "-",
];

const PATTERNS: &[&str] = &[
    "^library/(.*)",
    "(.*)",
    "^(foo)/(.*)$",
    "[",
    "a\\.b",
    "^x/(?P<n>.*)",
    "\\d+",
    "^library/",
    "(?i)^ABC",
    "a\u{10ffff}",
    "\u{2029}",
    "\\",
    "\"",
];

const REPLACEMENTS: &[&str] = &[
    "mirror/$1",
    "$1",
    "${1}x",
    "$n",
    "a\"b",
    "a\\b",
    "x\u{10ff41}",
    "",
    "$2/$1",
    "UPPER/$1",
];

const CREDENTIALS: &[&str] = &[
    "user",
    "p@ss",
    "pa:ss",
    "\u{fc}mlaut",
    "a\"b",
    "a\\b",
    "0x1F",
    "yes",
    "123",
    "~",
    "null",
    "",
    "dXNlcjpwYXNz",
    "dXNlcjpw\nYXNz",
    "not base64!",
    "secret with spaces",
    "\u{10ff41}\u{10ffff}",
    "\u{10ff00}",
    "a\u{2028}b",
    "tab\there",
    "emoji\u{1f600}",
    "\u{ad}soft",
    "-",
    "x:",
];

const PATHS: &[&str] = &[
    "/etc/ssl/ca.pem",
    "/etc/rancher/k3s/ca.crt",
    "relative/ca.pem",
    "/path with space/ca.pem",
    "C:\\ca.pem",
    "/p\u{10ffff}/ca",
    "",
    "-",
    "/ca.pem:",
];

const BOOLS: &[&str] = &[
    "true", "false", "true", "false", "true", "false", "yes", "no", "on", "off", "y", "n", "True",
    "FALSE", "~", "", "1", "\"true\"", "maybe",
];

/// What may be put into any scalar.
const CORNER: &[&str] = &[
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{10ff41}",
    "\u{10ffff}",
    "\u{10ff00}",
    "\u{10ff80}",
    "\t",
    "#",
    " #",
    ":",
    ": ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "-",
    "- ",
    "?",
    "'",
    "\"",
    "\\",
    "\u{feff}",
    "\u{e9}",
    "\u{a0}",
    "\u{1f600}",
    "&",
    "*",
    "!",
    "%",
    "@",
    "`",
    "|",
    ">",
    " ",
    "  ",
    "\u{fffd}",
    "\u{7f}",
];

/// What the byte-wise mutations insert.
const TOKENS: &[&str] = &[
    "\t",
    "\n",
    "\n\t",
    "\t\n",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "---\n",
    "...\n",
    "--- ",
    "- ",
    "-",
    ": ",
    ":",
    "? ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    " #",
    "'",
    "\"",
    "\u{feff}",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "&x ",
    "*x",
    "!!binary ",
    "!!str ",
    "! ",
    "|",
    ">-",
    "\u{10ffff}",
    "\u{1}",
    "\u{0}",
    " ",
    "  ",
];

/// Line breaks a document uses for its structure.
const BREAKS: &[&str] = &[
    "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r",
    "\u{85}", "\u{2028}", "\u{2029}",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Block,
    Flow,
    /// A mapping key (block or flow).
    Key,
}

/// A value to write.
#[derive(Debug, Clone)]
enum Value {
    Scalar(String),
    /// `!!binary` of these bytes.
    Binary(Vec<u8>),
    Map(Vec<(Value, Value)>),
    Seq(Vec<Value>),
    Alias(String),
    /// `&name value`.
    Anchored(String, Box<Value>),
    /// Written as it is (a boolean's spelling).
    Raw(String),
}

struct Gen {
    rng: Rng,
    br: &'static str,
    unit: usize,
    hosts: Vec<String>,
    anchors: Vec<String>,
    /// The document declared the `!e!` handle.
    tag_handle: bool,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
            br: "\n",
            unit: 2,
            hosts: Vec::new(),
            anchors: Vec::new(),
            tag_handle: false,
        }
    }

    fn case(&mut self) -> Case {
        let mut args = Vec::new();
        if self.rng.chance(200) {
            args.push("--embedded-registry");
        }
        if self.rng.chance(250) {
            args.push("--disable-default-registry-endpoint");
        }
        self.br = if self.rng.chance(700) {
            "\n"
        } else {
            self.rng.pick(BREAKS)
        };
        self.unit = self.rng.pick(&[2, 2, 2, 2, 4, 4, 1, 3]);
        let n = 1 + self.rng.below(4);
        self.hosts = (0..n).map(|_| self.rng.pick(HOSTS).to_string()).collect();
        let mut out = Vec::new();
        self.prefix(&mut out);
        let doc = self.registry();
        if self.rng.chance(200) {
            self.flow(&mut out, &doc, 0);
            out.extend_from_slice(self.br.as_bytes());
        } else {
            self.block(&mut out, &doc, 0);
        }
        self.suffix(&mut out);
        if self.rng.chance(150) {
            for _ in 0..1 + self.rng.below(2) {
                self.mutate(&mut out);
            }
        }
        Case { input: out, args }
    }

    /// What may come before the document: BOMs, directives, a start marker, comments.
    fn prefix(&mut self, out: &mut Vec<u8>) {
        if self.rng.chance(30) {
            out.extend_from_slice("\u{feff}".as_bytes());
            if self.rng.chance(100) {
                out.extend_from_slice("\u{feff}".as_bytes());
            }
        }
        let br = self.br;
        let mut directive = false;
        if self.rng.chance(30) {
            out.extend_from_slice(format!("%YAML 1.1{br}").as_bytes());
            directive = true;
        }
        if self.rng.chance(30) {
            out.extend_from_slice(format!("%TAG !e! tag:e.example,2000:{br}").as_bytes());
            directive = true;
            self.tag_handle = true;
        }
        if self.rng.chance(60) {
            out.extend_from_slice(format!("# registries{br}").as_bytes());
        }
        // Directives need a document start (and mostly get one).
        if (directive && !self.rng.chance(50)) || self.rng.chance(100) {
            out.extend_from_slice(self.rng.pick(&["---", "--- ", "---\t"]).as_bytes());
            out.extend_from_slice(br.as_bytes());
        }
    }

    /// What may come after it: an end marker, another document, junk, a tab line, a large tail
    /// with a bad byte.
    fn suffix(&mut self, out: &mut Vec<u8>) {
        let br = self.br;
        match self.rng.below(40) {
            0 => out.extend_from_slice(format!("...{br}").as_bytes()),
            1 => out.extend_from_slice(format!("---{br}mirrors: [{br}").as_bytes()),
            2 => out.extend_from_slice(b"\t"),
            3 => out.extend_from_slice(format!("\t{br}").as_bytes()),
            4 => out.extend_from_slice(format!("# end{br}").as_bytes()),
            5 => out.extend_from_slice(format!("junk: [{br}").as_bytes()),
            6 | 7 => {
                // Past libyaml's first 512-byte chunk, a byte it cannot decode: refused only if
                // the reader gets that far.
                out.extend_from_slice(format!("...{br}").as_bytes());
                let pad = 300 + self.rng.below(900);
                while out.len() < pad {
                    out.extend_from_slice(format!("# padding padding padding{br}").as_bytes());
                }
                out.push(self.rng.pick(&[0xFF, 0xC3, 0x01, 0xED]));
            }
            _ => {}
        }
    }

    /// A registries document.
    fn registry(&mut self) -> Value {
        let mut top = Vec::new();
        if self.rng.chance(800) {
            let v = self.mirrors();
            top.push((key("mirrors"), v));
        }
        if self.rng.chance(700) {
            let v = self.configs();
            top.push((key("configs"), v));
        }
        if self.rng.chance(50) {
            let a = self.auth();
            top.push((key("auths"), Value::Map(vec![(self.host_key(), a)])));
        }
        if self.rng.chance(50) {
            top.push((
                key(self.rng.pick(&["mirror", "config", "x-unknown", "Mirrors"])),
                Value::Map(vec![]),
            ));
        }
        if self.rng.chance(80) && !top.is_empty() {
            // Duplicated top-level key: the last one wins (or merges for structs).
            let i = self.rng.below(top.len());
            let dup = top[i].clone();
            top.push(dup);
        }
        self.rng_shuffle(&mut top);
        if self.rng.chance(40) {
            // Grow past 512 (and 1,536) bytes: many mirrors.
            let extra: Vec<(Value, Value)> = (0..20 + self.rng.below(60))
                .map(|i| {
                    (
                        key(&format!("m{i}.example.com")),
                        Value::Map(vec![(
                            key("endpoint"),
                            Value::Seq(vec![Value::Scalar(format!("https://n{i}.example.com"))]),
                        )]),
                    )
                })
                .collect();
            top.push((key("mirrors"), Value::Map(extra)));
        }
        Value::Map(top)
    }

    fn rng_shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.rng.below(i + 1);
            v.swap(i, j);
        }
    }

    fn host_key(&mut self) -> Value {
        let h = if self.rng.chance(850) {
            self.rng.pick_ref(&self.hosts.clone()).clone()
        } else {
            self.rng.pick(HOSTS).to_string()
        };
        Value::Scalar(self.decorate(h, 80))
    }

    fn mirrors(&mut self) -> Value {
        let n = 1 + self.rng.below(3);
        let mut entries = Vec::new();
        for _ in 0..n {
            let k = self.host_key();
            let mut m = Vec::new();
            if self.rng.chance(850) {
                let eps: Vec<Value> = (0..self.rng.below(4))
                    .map(|_| {
                        let shape = self.rng.pick(ENDPOINTS);
                        let h = if self.rng.chance(500) {
                            self.rng.pick_ref(&self.hosts.clone()).clone()
                        } else {
                            format!("m{}.example.com", self.rng.below(3))
                        };
                        let e = shape.replace("{}", &h);
                        Value::Scalar(self.decorate(e, 150))
                    })
                    .collect();
                let eps = if self.rng.chance(60) {
                    // A string where a list is required.
                    eps.into_iter().next().unwrap_or(Value::Scalar("x".into()))
                } else {
                    Value::Seq(eps)
                };
                m.push((
                    key(self
                        .rng
                        .pick(&["endpoint", "endpoint", "endpoint", "endpoints"])),
                    eps,
                ));
            }
            if self.rng.chance(300) {
                let rw: Vec<(Value, Value)> = (0..1 + self.rng.below(3))
                    .map(|_| {
                        let p = self.rng.pick(PATTERNS).to_string();
                        let r = self.rng.pick(REPLACEMENTS).to_string();
                        (
                            Value::Scalar(self.decorate(p, 150)),
                            self.scalar_or_binary(r, 100),
                        )
                    })
                    .collect();
                m.push((key("rewrite"), Value::Map(rw)));
            }
            entries.push((k, Value::Map(m)));
        }
        Value::Map(entries)
    }

    fn configs(&mut self) -> Value {
        let n = 1 + self.rng.below(4);
        let mut entries = Vec::new();
        for _ in 0..n {
            let k = self.host_key();
            let mut c = Vec::new();
            if self.rng.chance(600) {
                c.push((key("auth"), self.auth()));
            }
            if self.rng.chance(600) {
                c.push((key("tls"), self.tls()));
            }
            if self.rng.chance(60) {
                c.push((
                    key(self.rng.pick(&["tls", "auth"])),
                    Value::Scalar(self.rng.pick(&["~", "null", "", "{}"]).to_string()),
                ));
            }
            let v = Value::Map(c);
            if self.rng.chance(150) {
                // Anchor it for later aliases and merges.
                let name = format!("a{}", self.anchors.len());
                self.anchors.push(name.clone());
                entries.push((k, Value::Anchored(name, Box::new(v))));
            } else if self.rng.chance(300) && !self.anchors.is_empty() {
                let a = self.rng.pick_ref(&self.anchors.clone()).clone();
                let merged = Value::Map(vec![(key("<<"), Value::Alias(a))]);
                entries.push((
                    k,
                    if self.rng.chance(500) {
                        merged
                    } else {
                        Value::Alias(self.rng.pick_ref(&self.anchors.clone()).clone())
                    },
                ));
            } else {
                entries.push((k, v));
            }
        }
        Value::Map(entries)
    }

    fn auth(&mut self) -> Value {
        let mut a = Vec::new();
        for field in ["username", "password", "auth", "identity_token"] {
            if self.rng.chance(450) {
                let v = self.rng.pick(CREDENTIALS).to_string();
                let v = self.scalar_or_binary(v, 200);
                a.push((key(field), v));
            }
        }
        if self.rng.chance(50) {
            a.push((
                key(self
                    .rng
                    .pick(&["pasword", "Password", "user", "identitytoken"])),
                Value::Scalar("x".into()),
            ));
        }
        Value::Map(a)
    }

    fn tls(&mut self) -> Value {
        let mut t = Vec::new();
        for field in ["ca_file", "cert_file", "key_file"] {
            if self.rng.chance(450) {
                let v = self.rng.pick(PATHS).to_string();
                let v = self.scalar_or_binary(v, 150);
                t.push((key(field), v));
            }
        }
        if self.rng.chance(400) {
            let b = self.rng.pick(BOOLS).to_string();
            // Quoted, a boolean is a string yaml.v2 refuses for a bool: sometimes.
            let v = if self.rng.chance(900) {
                Value::Raw(b)
            } else {
                Value::Scalar(b)
            };
            t.push((key("insecure_skip_verify"), v));
        }
        Value::Map(t)
    }

    /// A scalar with corner characters in it (probability `per_mille`).
    fn decorate(&mut self, mut s: String, per_mille: u64) -> String {
        let mut left = 1 + usize::from(self.rng.chance(200)) + usize::from(self.rng.chance(100));
        while left > 0 && self.rng.chance(per_mille) {
            left -= 1;
            let c = self.rng.pick(CORNER);
            let boundaries: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
            let at = self.rng.pick(&boundaries);
            s.insert_str(at, c);
        }
        s
    }

    fn scalar_or_binary(&mut self, s: String, corner: u64) -> Value {
        if self.rng.chance(60) {
            let mut b = s.into_bytes();
            if self.rng.chance(500) {
                let at = self.rng.below(b.len() + 1);
                b.insert(
                    at,
                    self.rng.pick(&[0xFF, 0x80, 0xC3, 0xED, 0x00, 0x0B, 0x7F]),
                );
            }
            Value::Binary(b)
        } else {
            Value::Scalar(self.decorate(s, corner))
        }
    }

    fn indent(&self, out: &mut Vec<u8>, n: usize) {
        out.extend(std::iter::repeat_n(b' ', n));
    }

    /// A value in block context at indentation `ind` (the caller has written the key and `:`).
    fn block(&mut self, out: &mut Vec<u8>, v: &Value, ind: usize) {
        match v {
            Value::Map(entries) if !entries.is_empty() && !self.rng.chance(80) => {
                for (k, val) in entries {
                    self.indent(out, ind);
                    if self.rng.chance(3) {
                        out.push(b'\t');
                    }
                    let explicit = self.rng.chance(15);
                    if explicit {
                        out.extend_from_slice(b"? ");
                    }
                    self.scalar_value(out, k, Ctx::Key, ind);
                    if explicit {
                        out.extend_from_slice(self.br.as_bytes());
                        self.indent(out, ind);
                    }
                    out.push(b':');
                    self.after_colon(out, val, ind);
                }
            }
            Value::Seq(items) if !items.is_empty() && !self.rng.chance(100) => {
                for item in items {
                    self.indent(out, ind);
                    out.extend_from_slice(if self.rng.chance(5) { b"-\t" } else { b"- " });
                    match item {
                        Value::Map(_) | Value::Seq(_) => {
                            self.flow(out, item, 0);
                            out.extend_from_slice(self.br.as_bytes());
                        }
                        _ => {
                            self.scalar_value(out, item, Ctx::Block, ind + 2);
                            self.comment(out);
                            out.extend_from_slice(self.br.as_bytes());
                        }
                    }
                }
            }
            _ => {
                self.indent(out, ind);
                self.flow(out, v, ind);
                out.extend_from_slice(self.br.as_bytes());
            }
        }
    }

    /// After `key:` in block context.
    fn after_colon(&mut self, out: &mut Vec<u8>, v: &Value, ind: usize) {
        let br = self.br;
        if let Value::Anchored(name, inner) = v {
            out.extend_from_slice(format!(" &{name}").as_bytes());
            return self.after_colon(out, inner, ind);
        }
        match v {
            Value::Map(entries) if !entries.is_empty() && self.rng.chance(800) => {
                self.comment(out);
                out.extend_from_slice(br.as_bytes());
                let child = ind + self.unit;
                self.block(out, v, child);
            }
            Value::Seq(items) if !items.is_empty() && self.rng.chance(700) => {
                self.comment(out);
                out.extend_from_slice(br.as_bytes());
                // Indentless sequences are legal under a mapping key.
                let child = if self.rng.chance(300) {
                    ind
                } else {
                    ind + self.unit
                };
                self.block(out, v, child);
            }
            Value::Map(_) | Value::Seq(_) => {
                out.push(b' ');
                self.flow(out, v, ind + self.unit);
                self.comment(out);
                out.extend_from_slice(br.as_bytes());
            }
            _ => {
                out.extend_from_slice(if self.rng.chance(20) { b"\t" } else { b" " });
                self.scalar_value(out, v, Ctx::Block, ind + self.unit);
                self.comment(out);
                out.extend_from_slice(br.as_bytes());
            }
        }
    }

    fn comment(&mut self, out: &mut Vec<u8>) {
        if self.rng.chance(60) {
            let c = self.decorate("comment".to_string(), 300);
            out.extend_from_slice(self.rng.pick(&[" #", "  # ", "\t#", "#"]).as_bytes());
            out.extend_from_slice(c.as_bytes());
        }
    }

    /// A value in flow style (`ind`: the indentation of continuation lines).
    fn flow(&mut self, out: &mut Vec<u8>, v: &Value, ind: usize) {
        let sep = |g: &mut Gen, out: &mut Vec<u8>| {
            out.push(b',');
            if g.rng.chance(100) {
                out.extend_from_slice(g.br.as_bytes());
                g.indent(out, ind + 1);
            } else if g.rng.chance(900) {
                out.push(b' ');
            }
        };
        match v {
            Value::Map(entries) => {
                out.push(b'{');
                for (i, (k, val)) in entries.iter().enumerate() {
                    if i > 0 {
                        sep(self, out);
                    }
                    self.scalar_value(out, k, Ctx::Key, ind);
                    // `key:value` makes one plain scalar of both (an error): rare.
                    let colon = if self.rng.chance(30) {
                        ":"
                    } else {
                        self.rng.pick(&[": ", ": ", ": ", " : ", ":\t"])
                    };
                    out.extend_from_slice(colon.as_bytes());
                    match val {
                        Value::Map(_) | Value::Seq(_) => self.flow(out, val, ind),
                        _ => self.scalar_value(out, val, Ctx::Flow, ind),
                    }
                }
                if self.rng.chance(50) {
                    out.push(b',');
                }
                out.push(b'}');
            }
            Value::Seq(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        sep(self, out);
                    }
                    match item {
                        Value::Map(_) | Value::Seq(_) => self.flow(out, item, ind),
                        _ => self.scalar_value(out, item, Ctx::Flow, ind),
                    }
                }
                if self.rng.chance(50) {
                    out.push(b',');
                }
                out.push(b']');
            }
            _ => self.scalar_value(out, v, Ctx::Flow, ind),
        }
    }

    /// A scalar, binary, alias or anchored value, in a style picked at random.
    fn scalar_value(&mut self, out: &mut Vec<u8>, v: &Value, ctx: Ctx, ind: usize) {
        match v {
            Value::Alias(a) => {
                out.push(b'*');
                out.extend_from_slice(a.as_bytes());
            }
            Value::Binary(b) => {
                out.extend_from_slice(b"!!binary ");
                let enc = base64(b);
                if ctx == Ctx::Block && self.rng.chance(200) {
                    out.extend_from_slice(b"|");
                    out.extend_from_slice(self.br.as_bytes());
                    self.indent(out, ind);
                    out.extend_from_slice(enc.as_bytes());
                } else {
                    out.extend_from_slice(enc.as_bytes());
                }
            }
            Value::Scalar(s) => self.scalar(out, s, ctx, ind),
            Value::Map(_) | Value::Seq(_) => self.flow(out, v, ind),
            Value::Anchored(name, inner) => {
                out.extend_from_slice(format!("&{name} ").as_bytes());
                self.scalar_value(out, inner, ctx, ind);
            }
            Value::Raw(s) => out.extend_from_slice(s.as_bytes()),
        }
    }

    fn scalar(&mut self, out: &mut Vec<u8>, s: &str, ctx: Ctx, ind: usize) {
        if self.rng.chance(20) {
            let tag = self.rng.pick(&[
                "!!str ",
                "!!str ",
                "! ",
                "!e!x ",
                "!!null ",
                "!<tag:yaml.org,2002:str> ",
            ]);
            let fits = match tag {
                "!e!x " => self.tag_handle || self.rng.chance(100),
                "!!null " => s.is_empty() || self.rng.chance(100),
                _ => true,
            };
            if fits {
                out.extend_from_slice(tag.as_bytes());
            }
        }
        // What would end or break a plain scalar here: mostly quote it then.
        // In flow context `x:` before `,` `]` `}` and a lone `-` are plain scalars (libyaml).
        let lone_dash = s == "-" && ctx == Ctx::Flow;
        let risky = s.contains(": ")
            || s.contains(" #")
            || (s.ends_with(':') && ctx != Ctx::Flow)
            || (s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` \t".contains(c)) && !lone_dash)
            || s.chars().any(|c| (c as u32) < 0x20 && c != '\t')
            || s.contains('\u{7f}')
            || (ctx != Ctx::Block && s.contains(|c: char| ",[]{}".contains(c)))
            || (ctx != Ctx::Flow && s.contains(|c: char| "\n\r\u{85}\u{2028}\u{2029}".contains(c)))
            || s.is_empty();
        let control = s
            .chars()
            .any(|c| ((c as u32) < 0x20 && c != '\t') || c == '\u{7f}');
        let roll = if control && self.rng.chance(900) {
            13
        } else if risky && self.rng.chance(970) {
            9 + self.rng.below(9)
        } else {
            self.rng.below(20)
        };
        match roll {
            0..=8 => out.extend_from_slice(s.as_bytes()),
            9..=12 => {
                out.push(b'\'');
                for c in s.chars() {
                    if c == '\'' {
                        out.extend_from_slice(b"''");
                    } else if c == '\n' && self.rng.chance(500) {
                        out.extend_from_slice(self.br.as_bytes());
                        self.indent(out, ind);
                    } else {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                }
                out.push(b'\'');
            }
            13..=17 => {
                out.push(b'"');
                for c in s.chars() {
                    self.double_quoted_char(out, c);
                }
                out.push(b'"');
            }
            _ if ctx == Ctx::Block => {
                out.extend_from_slice(
                    self.rng
                        .pick(&["|", ">", "|-", ">+", "|2", "|+"])
                        .as_bytes(),
                );
                out.extend_from_slice(self.br.as_bytes());
                for line in s.split('\n') {
                    self.indent(out, ind.max(1));
                    out.extend_from_slice(line.as_bytes());
                    out.extend_from_slice(self.br.as_bytes());
                }
                self.indent(out, ind.saturating_sub(self.unit));
            }
            _ => out.extend_from_slice(s.as_bytes()),
        }
    }

    fn double_quoted_char(&mut self, out: &mut Vec<u8>, c: char) {
        let mut buf = [0u8; 4];
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{2028}' => {
                out.extend_from_slice(self.rng.pick(&["\\L", "\\u2028", "\u{2028}"]).as_bytes())
            }
            '\u{2029}' => {
                out.extend_from_slice(self.rng.pick(&["\\P", "\\u2029", "\u{2029}"]).as_bytes())
            }
            '\u{85}' => {
                out.extend_from_slice(self.rng.pick(&["\\N", "\\x85", "\u{85}"]).as_bytes())
            }
            '\u{a0}' => out.extend_from_slice(self.rng.pick(&["\\_", "\u{a0}"]).as_bytes()),
            '\t' => out.extend_from_slice(self.rng.pick(&["\\t", "\t", "\\\t"]).as_bytes()),
            '\n' => out.extend_from_slice(self.rng.pick(&["\\n", "\n", "\\\n"]).as_bytes()),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes());
            }
            c if (0x10_FF00..=0x10_FFFF).contains(&(c as u32)) => {
                let raw = c.encode_utf8(&mut buf).as_bytes().to_vec();
                let esc = format!("\\U{:08x}", c as u32);
                if self.rng.chance(500) {
                    out.extend_from_slice(&raw);
                } else {
                    out.extend_from_slice(esc.as_bytes());
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }

    /// One byte-wise edit: a token inserted, a short range deleted, a leading space made a tab,
    /// a line doubled, or a raw byte inserted.
    fn mutate(&mut self, out: &mut Vec<u8>) {
        let boundary = |g: &mut Gen, out: &Vec<u8>| -> usize {
            let cands: Vec<usize> = (0..=out.len())
                .filter(|&i| i == out.len() || (out[i] & 0xC0) != 0x80)
                .collect();
            g.rng.pick(&cands)
        };
        match self.rng.below(10) {
            0..=4 => {
                let at = boundary(self, out);
                let t = self.rng.pick(TOKENS);
                out.splice(at..at, t.bytes());
            }
            5 => {
                let at = boundary(self, out);
                let mut end = at;
                for _ in 0..1 + self.rng.below(4) {
                    if end < out.len() {
                        end += 1;
                        while end < out.len() && (out[end] & 0xC0) == 0x80 {
                            end += 1;
                        }
                    }
                }
                out.drain(at..end);
            }
            6 | 7 => {
                let starts: Vec<usize> = (0..out.len())
                    .filter(|&i| out[i] == b' ' && (i == 0 || out[i - 1] == b'\n'))
                    .collect();
                if !starts.is_empty() {
                    let i = self.rng.pick(&starts);
                    out[i] = b'\t';
                }
            }
            8 => {
                let lines: Vec<(usize, usize)> = line_spans(out);
                if !lines.is_empty() {
                    let (s, e) = self.rng.pick(&lines);
                    let l = out[s..e].to_vec();
                    out.splice(s..s, l);
                }
            }
            _ => {
                let at = self.rng.below(out.len() + 1);
                out.insert(at, self.rng.pick(&[0xFF, 0x80, 0xC3, 0xE2, 0x01, 0x0B]));
            }
        }
    }
}

/// A key in plain style.
fn key(s: &str) -> Value {
    Value::Scalar(s.to_string())
}

/// `(start, end)` of each line including its `\n`.
fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                out.push(T[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
