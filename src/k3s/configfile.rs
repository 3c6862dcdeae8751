//! K3s's config file, read the way K3s reads it: `/etc/rancher/k3s/config.yaml` (or the file
//! `--config` / `K3S_CONFIG_FILE` names) and the drop-ins in `<file>.d/`, flattened into the
//! command-line flags K3s parses them as.
//!
//! Follows K3s's `pkg/configfilearg/parser.go` (`readConfigFile`, `dotDFiles`, `toSlice`), read at
//! vitorsavian/k3s `e19e99911` (release-1.34); the file is the same, bar comments and `any` for
//! `interface{}`, in every modelled release line (1.31 `be51ea81d` to 1.36 `588e7d937`):
//!
//! - files: the config file first (when it exists), then every entry of `<file>.d/` that is not a
//!   directory and whose name ends in `.yaml` or `.yml` (any case), in `os.ReadDir`'s order (sorted
//!   by name); a missing config file with drop-ins is fine, with neither there is no config;
//! - each file is decoded with gopkg.in/yaml.v2 into a `yaml.MapSlice`: the top-level entries in
//!   order, duplicates kept, values as Go's `interface{}` ([`GoValue`]);
//! - keys go through wrangler's `convert.ToString` (which trims spaces); a key ending in `+`
//!   appends to the value the key had so far (`toSlice` of both), any other key replaces it; keys
//!   keep the order they were first seen in, across all files;
//! - each key becomes `--key=value` (`-k=value` for a one-letter key), once per element of a
//!   list, with `convert.ToString` of the value (the first element of a list inside a list,
//!   spaces trimmed, `nil` as nothing).
//!
//! The flags are then parsed with K3s's own flags ([`crate::k3s::settings`]), placed before the
//! command line's, so the command line wins. Pure: the command layer reads the files.

use std::fmt::Write as _;

/// K3s's default config file (`configfilearg.DefaultParser.DefaultConfig`).
pub(crate) const DEFAULT_CONFIG: &str = "/etc/rancher/k3s/config.yaml";

pub(crate) use crate::yaml::GoValue;

impl GoValue {
    /// Go's `fmt.Sprint` of the value.
    pub(crate) fn sprint(&self) -> String {
        let mut out = String::new();
        self.sprint_into(&mut out);
        out
    }

    fn sprint_into(&self, out: &mut String) {
        match self {
            // fmt prints a nil interface as <nil>; convert.ToString never gets there at the top.
            GoValue::Nil => out.push_str("<nil>"),
            GoValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            GoValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            GoValue::Uint(u) => {
                let _ = write!(out, "{u}");
            }
            GoValue::Float(f) => out.push_str(&format_float_g(*f)),
            GoValue::Str(s) => out.push_str(s),
            GoValue::Seq(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.sprint_into(out);
                }
                out.push(']');
            }
            GoValue::GoMap(items) => {
                // fmt prints a map with its keys sorted (internal/fmtsort).
                let mut sorted: Vec<&(GoValue, GoValue)> = items.iter().collect();
                sorted.sort_by(|a, b| fmtsort_compare(&a.0, &b.0));
                out.push_str("map[");
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    k.sprint_into(out);
                    out.push(':');
                    v.sprint_into(out);
                }
                out.push(']');
            }
            GoValue::Map(items) => {
                // A MapSlice is a []MapItem: fmt prints [{k v} {k v}].
                out.push('[');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push('{');
                    k.sprint_into(out);
                    out.push(' ');
                    v.sprint_into(out);
                    out.push('}');
                }
                out.push(']');
            }
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is what `fmt.Sprint` prints for a `float64`:
/// the shortest digits that round-trip, in `%e` form when the exponent is below -4 or at least
/// 6 (strconv's threshold for the shortest precision; checked against Go 1.24.11).
pub(crate) fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` prints the shortest round-tripping digits, as Go's shortest formatting does.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    // strconv's 'g' with the shortest precision decides with an exponent threshold of 6.
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        return out;
    }
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-point) as usize));
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        out.push_str(&"0".repeat(point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// wrangler's `convert.ToString` (pkg/data/convert, v3.6.0 as K3s vendors it): the first element
/// of a list, `fmt.Sprint` of that, spaces trimmed; `nil` and an empty list are `""`.
pub(crate) fn to_string(v: &GoValue) -> String {
    let single = match v {
        GoValue::Seq(items) => match items.first() {
            Some(first) => first,
            None => return String::new(),
        },
        other => other,
    };
    if matches!(single, GoValue::Nil) {
        return String::new();
    }
    go_trim_space(&single.sprint()).to_string()
}

/// Go's `strings.TrimSpace`: Unicode white space at both ends.
fn go_trim_space(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// `toSlice`: a string is a one-element list, a list is itself, anything else its trimmed
/// `convert.ToString`, or nothing when that is empty.
fn to_slice(v: &GoValue) -> Vec<GoValue> {
    match v {
        GoValue::Str(s) => vec![GoValue::Str(s.clone())],
        GoValue::Seq(items) => items.clone(),
        other => {
            let s = to_string(other);
            if s.is_empty() {
                Vec::new()
            } else {
                vec![GoValue::Str(s)]
            }
        }
    }
}

/// Where something in a config file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The file, as shown to people.
    pub(crate) file: String,
    /// 1-based line of the key.
    pub(crate) line: u32,
    /// 1-based column of the key.
    pub(crate) column: u32,
}

/// One top-level entry of a file (`yaml.MapItem`), with where its key is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    /// The key.
    pub(crate) key: GoValue,
    /// The value.
    pub(crate) value: GoValue,
    /// 1-based line of the key.
    pub(crate) line: u32,
    /// 1-based column of the key.
    pub(crate) column: u32,
}

/// One decoded file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfigFile {
    /// The file, as shown to people.
    pub(crate) name: String,
    /// Its top-level entries, in order.
    pub(crate) items: Vec<Item>,
}

/// One flag K3s makes of its config files: `--name=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigArg {
    /// The flag name, without dashes or a trailing `+`.
    pub(crate) name: String,
    /// The value.
    pub(crate) value: String,
    /// The entries that made it: the one that set the key last, and those that appended to it
    /// after that, in order.
    pub(crate) from: Vec<Origin>,
}

#[cfg(test)]
impl ConfigArg {
    /// The argument as K3s passes it on: `--name=value`, `-n=value` for one-letter names.
    pub(crate) fn arg(&self) -> String {
        let dashes = if self.name.chars().count() == 1 {
            "-"
        } else {
            "--"
        };
        format!("{dashes}{}={}", self.name, self.value)
    }
}

/// `dotDFiles`: the names in `<file>.d/` K3s reads, in order. `entries` are the directory's
/// entries as `os.ReadDir` lists them: (name, is a directory), sorted by name.
pub(crate) fn dot_d_files(entries: &[(String, bool)]) -> Vec<&str> {
    entries
        .iter()
        .filter(|(name, is_dir)| !is_dir && has_suffix_i(name, &[".yaml", ".yml"]))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// K3s's `util.HasSuffixI`: ends with one of `suffixes`, ignoring case (`strings.ToLower`).
fn has_suffix_i(s: &str, suffixes: &[&str]) -> bool {
    let lower = s.to_lowercase();
    suffixes.iter().any(|suf| lower.ends_with(suf))
}

/// `readConfigFile`'s merge over the decoded files (config file first, then the drop-ins): the
/// flags K3s makes of them, in the order it passes them.
pub(crate) fn flatten(files: &[ConfigFile]) -> Vec<ConfigArg> {
    struct Value {
        value: GoValue,
        from: Vec<Origin>,
    }
    let mut order: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut values: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    for file in files {
        for item in &file.items {
            let raw = to_string(&item.key);
            let append = raw.ends_with('+');
            let key = raw.strip_suffix('+').unwrap_or(&raw).to_string();
            let origin = Origin {
                file: file.name.clone(),
                line: item.line,
                column: item.column,
            };
            if seen.insert(key.clone()) {
                order.push(key.clone());
            }
            match values.get_mut(&key) {
                Some(old) if append => {
                    let mut list = to_slice(&old.value);
                    list.extend(to_slice(&item.value));
                    old.value = GoValue::Seq(list);
                    old.from.push(origin);
                }
                _ => {
                    values.insert(
                        key,
                        Value {
                            value: item.value.clone(),
                            from: vec![origin],
                        },
                    );
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in order {
        let Some(v) = values.get(&key) else { continue };
        let make = |value: String| ConfigArg {
            name: key.clone(),
            value,
            from: v.from.clone(),
        };
        match &v.value {
            GoValue::Seq(items) => out.extend(items.iter().map(|i| make(to_string(i)))),
            other => out.push(make(to_string(other))),
        }
    }
    out
}

/// Decode one config file as `yaml.Unmarshal(bytes, &yaml.MapSlice{})` does (yaml.v2 v2.4.0,
/// [`crate::yaml::unmarshal_map_slice`]).
pub(crate) fn decode(bytes: &[u8], name: &str) -> Result<ConfigFile, crate::yaml::LoadError> {
    let items = crate::yaml::unmarshal_map_slice(bytes, name)?;
    Ok(ConfigFile {
        name: name.to_string(),
        items: items
            .into_iter()
            .map(|i| Item {
                key: i.key,
                value: i.value,
                line: i.line,
                column: i.column,
            })
            .collect(),
    })
}

/// internal/fmtsort's order for the keys of a map fmt prints, for the kinds a YAML key decodes
/// to: nil first; numbers by value, strings bytewise, false before true; keys of different
/// kinds (which Go orders by the address of their type, not portably) by kind.
fn fmtsort_compare(a: &GoValue, b: &GoValue) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &GoValue| match v {
        GoValue::Nil => 0,
        GoValue::Bool(_) => 1,
        GoValue::Int(_) => 2,
        GoValue::Uint(_) => 3,
        GoValue::Float(_) => 4,
        GoValue::Str(_) => 5,
        GoValue::Seq(_) | GoValue::Map(_) | GoValue::GoMap(_) => 6,
    };
    match (a, b) {
        (GoValue::Bool(x), GoValue::Bool(y)) => x.cmp(y),
        (GoValue::Int(x), GoValue::Int(y)) => x.cmp(y),
        (GoValue::Uint(x), GoValue::Uint(y)) => x.cmp(y),
        (GoValue::Float(x), GoValue::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (GoValue::Str(x), GoValue::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> GoValue {
        GoValue::Str(v.to_string())
    }

    fn file(name: &str, items: Vec<(GoValue, GoValue)>) -> ConfigFile {
        ConfigFile {
            name: name.to_string(),
            items: items
                .into_iter()
                .enumerate()
                .map(|(i, (key, value))| Item {
                    key,
                    value,
                    line: i as u32 + 1,
                    column: 1,
                })
                .collect(),
        }
    }

    fn args(files: &[ConfigFile]) -> Vec<String> {
        flatten(files).iter().map(ConfigArg::arg).collect()
    }

    fn seq(items: &[GoValue]) -> GoValue {
        GoValue::Seq(items.to_vec())
    }

    /// K3s's `Test_UnitParser_Parse` ("read config file when not specified"), over its testdata
    /// (pkg/configfilearg/testdata/data.yaml and data.yaml.d/{01-data.yml,02-data.yaml}) as
    /// yaml.v2 decodes them into a MapSlice.
    #[test]
    fn unit_parser_parse_testdata() {
        let data = file(
            "data.yaml",
            vec![
                (s("foo-bar"), s("baz")),
                (s("alice"), s("bob")),
                (
                    s("a-slice"),
                    seq(&[GoValue::Int(1), s("2"), s(""), s("three")]),
                ),
                (s("isempty"), GoValue::Nil),
                (s("c"), s("b")),
                (s("isfalse"), GoValue::Bool(false)),
                (s("islast"), GoValue::Bool(true)),
            ],
        );
        let d1 = file(
            "01-data.yml",
            vec![
                (s("foo-bar"), s("get-overriden")),
                (
                    s("a-slice"),
                    seq(&[GoValue::Int(1), s("1.5"), s("2"), s(""), s("three")]),
                ),
                (s("b-string"), s("one")),
                (s("c-slice"), seq(&[s("one"), s("two")])),
                (s("d-slice"), seq(&[s("one"), s("two")])),
                (s("f-string"), s("beta")),
            ],
        );
        let d2 = file(
            "02-data.yaml",
            vec![
                (s("foo-bar"), s("bar-foo")),
                (s("b-string+"), s("two")),
                (s("c-slice+"), seq(&[s("three")])),
                (s("d-slice"), seq(&[s("three"), s("four")])),
                (s("e-slice+"), seq(&[s("one"), s("two")])),
            ],
        );
        assert_eq!(
            args(&[data, d1, d2]),
            [
                "--foo-bar=bar-foo",
                "--alice=bob",
                "--a-slice=1",
                "--a-slice=1.5",
                "--a-slice=2",
                "--a-slice=",
                "--a-slice=three",
                "--isempty=",
                "-c=b",
                "--isfalse=false",
                "--islast=true",
                "--b-string=one",
                "--b-string=two",
                "--c-slice=one",
                "--c-slice=two",
                "--c-slice=three",
                "--d-slice=three",
                "--d-slice=four",
                "--f-string=beta",
                "--e-slice=one",
                "--e-slice=two",
            ]
        );
    }

    #[test]
    fn append_to_nothing_replaces_and_scalars_become_lists() {
        // A `+` key with no earlier value sets it (the `values[k] = v` branch).
        assert_eq!(
            args(&[file("a", vec![(s("node-label+"), s("x=1"))])]),
            ["--node-label=x=1"]
        );
        // A bool appended to: toSlice of a non-string is its ToString.
        assert_eq!(
            args(&[file(
                "a",
                vec![(s("k"), GoValue::Bool(true)), (s("k+"), GoValue::Int(2))]
            )]),
            ["-k=true", "-k=2"]
        );
        // An empty value appended vanishes (toSlice of "" from ToString of nil is nothing).
        assert_eq!(
            args(&[file("a", vec![(s("kk"), s("a")), (s("kk+"), GoValue::Nil)])]),
            ["--kk=a"]
        );
    }

    #[test]
    fn keys_and_values_are_trimmed_and_duplicates_replace() {
        let f = file(
            "a",
            vec![
                (s(" data-dir "), s(" /opt/k3s ")),
                (s("selinux"), GoValue::Bool(true)),
                (s("data-dir"), s("/srv/k3s")),
            ],
        );
        let out = flatten(&[f]);
        assert_eq!(out[0].arg(), "--data-dir=/srv/k3s");
        assert_eq!(out[0].from[0].line, 3);
        assert_eq!(out[1].arg(), "--selinux=true");
        // A list inside a list: ToString takes the first element.
        let f = file(
            "a",
            vec![(
                s("x"),
                GoValue::Seq(vec![GoValue::Seq(vec![s("p"), s("q")]), GoValue::Nil]),
            )],
        );
        assert_eq!(args(&[f]), ["-x=p", "-x="]);
    }

    #[test]
    fn dot_d_keeps_yaml_files_only() {
        let entries: Vec<(String, bool)> = [
            ("01-data.yml", false),
            ("02-data-ignore-this.txt", false),
            ("02-data.yaml", false),
            ("03-dir.yaml", true),
            ("04-UPPER.YAML", false),
        ]
        .iter()
        .map(|(n, d)| (n.to_string(), *d))
        .collect();
        assert_eq!(
            dot_d_files(&entries),
            ["01-data.yml", "02-data.yaml", "04-UPPER.YAML"]
        );
    }

    #[test]
    fn floats_print_as_go_does() {
        for (f, want) in [
            (1.5, "1.5"),
            (3.1, "3.1"),
            (100000.0, "100000"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e20, "1e+20"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (f64::INFINITY, "+Inf"),
        ] {
            assert_eq!(format_float_g(f), want, "{f}");
        }
        assert_eq!(
            GoValue::Map(vec![(s("a"), GoValue::Int(1)), (s("b"), GoValue::Nil)]).sprint(),
            "[{a 1} {b <nil>}]"
        );
    }

    /// Every case in tests/fixtures/configfile/: what K3s's own `readConfigFile` (run by
    /// tools/oracle/configfile at vitorsavian/k3s `e19e99911`, yaml.v2 v2.4.0, wrangler v3.6.0)
    /// makes of `config.yaml` and `config.yaml.d/`: the same flags in the same order, or a
    /// refusal where K3s refuses.
    #[test]
    fn k3s_configfilearg_fixtures() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configfile");
        let mut cases: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        cases.sort();
        assert!(cases.len() >= 30, "{} cases", cases.len());
        let mut failures = Vec::new();
        for case in &cases {
            let name = case
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let main = case.join("config.yaml");
            let dropins = case.join("config.yaml.d");
            let mut entries: Vec<(String, bool)> = match std::fs::read_dir(&dropins) {
                Ok(rd) => rd
                    .map(|e| {
                        let e = e.expect("entry");
                        let is_dir = e.file_type().expect("type").is_dir();
                        (e.file_name().to_string_lossy().into_owned(), is_dir)
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            entries.sort();
            let mut paths: Vec<std::path::PathBuf> = dot_d_files(&entries)
                .into_iter()
                .map(|n| dropins.join(n))
                .collect();
            if main.exists() {
                paths.insert(0, main);
            }
            let decoded: Result<Vec<ConfigFile>, String> = paths
                .iter()
                .map(|p| {
                    let bytes = std::fs::read(p).expect("read");
                    decode(&bytes, &p.display().to_string()).map_err(|e| e.go_error())
                })
                .collect();
            let expected_error = std::fs::read_to_string(case.join("expected-error")).ok();
            match (decoded, expected_error) {
                (Ok(files), None) => {
                    let want: Vec<String> = serde_json::from_str(
                        &std::fs::read_to_string(case.join("expected-args.json"))
                            .expect("expected"),
                    )
                    .expect("json");
                    let got = args(&files);
                    if got != want {
                        failures.push(format!("{name}: K3s {want:?}\n  we  {got:?}"));
                    }
                }
                (Err(e), Some(want)) => {
                    if e != want.trim_end() {
                        failures.push(format!("{name}: K3s refuses with {want:?}, we with {e:?}"));
                    }
                }
                (Ok(files), Some(want)) => {
                    failures.push(format!(
                        "{name}: K3s refuses ({want:?}), we read {:?}",
                        args(&files)
                    ));
                }
                (Err(e), None) => failures.push(format!("{name}: K3s reads it, we refuse: {e}")),
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}
