//! Go's `path/filepath.Clean` and `path/filepath.Join` on Unix (path/filepath/path_unix.go and
//! internal/filepathlite/path.go, go1.24.11).
//!
//! Both only look at `/` and `.`: [`clean_bytes`] and [`join_bytes`] take any bytes (a Go string
//! need not be UTF-8); [`clean`] and [`join`] are the same on text, and give text back.

/// Go's `filepath.Clean` (Unix): the shortest lexically equivalent path.
///
/// Repeated `/` become one; `.` elements go; `..` removes the element before it (a `..` at the
/// start of a rooted path is dropped, at the start of a relative one kept); no trailing `/` except
/// for the root; the empty path is `.`. No file system access: `a/../b` is `b` even if `a` is a
/// symlink.
pub fn clean(path: &str) -> String {
    let out = clean_bytes(path.as_bytes());
    // `out` is made of whole elements of `path` cut at ASCII bytes, so it is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`clean`] on the bytes of a Go string.
pub fn clean_bytes(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let n = p.len();
    let rooted = p[0] == b'/';
    // Invariants, as in Go: reading p at r; writing out; dotdot is the length of out that `..`
    // must not backtrack past (the leading slash, or a leading ../../.. prefix).
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0usize, 0usize);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    let at = |i: usize| p.get(i).copied();
    while r < n {
        let c = at(r);
        let next_is_sep = |i: usize| i == n || at(i) == Some(b'/');
        if c == Some(b'/') {
            // Empty path element.
            r += 1;
        } else if c == Some(b'.') && next_is_sep(r + 1) {
            // `.` element.
            r += 1;
        } else if c == Some(b'.') && at(r + 1) == Some(b'.') && next_is_sep(r + 2) {
            // `..` element: remove back to the last separator.
            r += 2;
            if out.len() > dotdot {
                // Can backtrack: cut at the last separator after `dotdot` (the separator goes
                // too), or at `dotdot` itself.
                let mut w = out.len() - 1;
                while w > dotdot && out.get(w) != Some(&b'/') {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                // Cannot backtrack, but not rooted, so keep the `..`.
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            // A real path element: add a slash if needed, then copy it.
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && at(r) != Some(b'/') {
                if let Some(b) = at(r) {
                    out.push(b);
                }
                r += 1;
            }
        }
    }
    // Turn the empty string into ".".
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// Go's `filepath.Join` (Unix): the elements joined with `/` and [`clean`]ed.
///
/// Empty elements before the first non-empty one are ignored (so they add no leading `/`); if
/// every element is empty the result is `""` (not `.`); later empty elements vanish in the clean.
pub fn join(elems: &[&str]) -> String {
    match elems.iter().position(|e| !e.is_empty()) {
        Some(i) => clean(&elems[i..].join("/")),
        None => String::new(),
    }
}

/// [`join`] on the bytes of Go strings.
pub fn join_bytes(elems: &[&[u8]]) -> Vec<u8> {
    match elems.iter().position(|e| !e.is_empty()) {
        Some(i) => clean_bytes(&elems[i..].join(&b'/')),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// go1.24.11 path/filepath/path_test.go `cleantests` (the Unix ones, which are all of
    /// them that run on Unix).
    const CLEAN: &[(&str, &str)] = &[
        // Already clean
        ("abc", "abc"),
        ("abc/def", "abc/def"),
        ("a/b/c", "a/b/c"),
        (".", "."),
        ("..", ".."),
        ("../..", "../.."),
        ("../../abc", "../../abc"),
        ("/abc", "/abc"),
        ("/", "/"),
        // Empty is current dir
        ("", "."),
        // Remove trailing slash
        ("abc/", "abc"),
        ("abc/def/", "abc/def"),
        ("a/b/c/", "a/b/c"),
        ("./", "."),
        ("../", ".."),
        ("../../", "../.."),
        ("/abc/", "/abc"),
        // Remove doubled slash
        ("abc//def//ghi", "abc/def/ghi"),
        ("abc//", "abc"),
        // Remove . elements
        ("abc/./def", "abc/def"),
        ("/./abc/def", "/abc/def"),
        ("abc/.", "abc"),
        // Remove .. elements
        ("abc/def/ghi/../jkl", "abc/def/jkl"),
        ("abc/def/../ghi/../jkl", "abc/jkl"),
        ("abc/def/..", "abc"),
        ("abc/def/../..", "."),
        ("/abc/def/../..", "/"),
        ("abc/def/../../..", ".."),
        ("/abc/def/../../..", "/"),
        ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
        ("/../abc", "/abc"),
        ("a/../b:/../../c", "../c"),
        // Combinations
        ("abc/./../def", "def"),
        ("abc//./../def", "def"),
        ("abc/../../././../def", "../../def"),
        // nonwincleantests
        ("//abc", "/abc"),
        ("///abc", "/abc"),
        ("//abc//", "/abc"),
    ];

    #[test]
    fn clean_matches_go() {
        for &(path, want) in CLEAN {
            assert_eq!(clean(path), want, "clean({path:?})");
            // Clean is idempotent.
            assert_eq!(clean(want), want, "clean({want:?})");
        }
    }

    /// go1.24.11 path/filepath/path_test.go `jointests` plus the project's cases.
    const JOIN: &[(&[&str], &str)] = &[
        // zero parameters
        (&[], ""),
        // one parameter
        (&[""], ""),
        (&["/"], "/"),
        (&["a"], "a"),
        // two parameters
        (&["a", "b"], "a/b"),
        (&["a", ""], "a"),
        (&["", "b"], "b"),
        (&["/", "a"], "/a"),
        (&["/", "a/b"], "/a/b"),
        (&["/", ""], "/"),
        (&["/a", "b"], "/a/b"),
        (&["a", "/b"], "a/b"),
        (&["/a", "/b"], "/a/b"),
        (&["a/", "b"], "a/b"),
        (&["a/", ""], "a"),
        (&["", ""], ""),
        // three parameters
        (&["/", "a", "b"], "/a/b"),
        // nonwinjointests
        (&["//", "a"], "/a"),
        // project
        (&["", "", "x"], "x"),
        (
            &[
                "/var/lib/rancher/k3s",
                "agent",
                "etc",
                "containerd",
                "config.toml",
            ],
            "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
        ),
        (
            &["/data/", "../etc/", "certs.d", "docker.io"],
            "/etc/certs.d/docker.io",
        ),
        (&["certs.d", "host:5000"], "certs.d/host:5000"),
        (&["certs.d", "_default"], "certs.d/_default"),
        (&["a", "..", ".."], ".."),
    ];

    #[test]
    fn join_matches_go() {
        for &(elems, want) in JOIN {
            assert_eq!(join(elems), want, "join({elems:?})");
        }
    }

    #[test]
    fn non_utf8_escapes_pass_through() {
        assert_eq!(clean("a/\u{10ffff}/../b\u{10ff80}//"), "a/b\u{10ff80}");
    }

    proptest! {
        #[test]
        fn clean_is_idempotent_and_canonical(s in "[a./]{0,12}|[/.é\u{10ffff}b]{0,10}") {
            let c = clean(&s);
            prop_assert_eq!(clean(&c), c.clone());
            prop_assert!(!c.is_empty());
            prop_assert!(!c.contains("//"));
            prop_assert!(c == "/" || !c.ends_with('/'));
            prop_assert_eq!(c.starts_with('/'), s.starts_with('/'));
        }

        #[test]
        fn join_is_clean_of_concatenation(a in "[a./]{0,6}", b in "[a./]{0,6}") {
            let want = match (a.is_empty(), b.is_empty()) {
                (true, true) => String::new(),
                (true, false) => clean(&b),
                (false, _) => clean(&format!("{a}/{b}")),
            };
            prop_assert_eq!(join(&[&a, &b]), want);
        }
    }
}
