//! Every filesystem read the program makes, in one place (writing is [`crate::write`]'s). Each
//! function attaches the path to its error.
//!
//! Two kinds of error: [`FsError`] is ours ("reading FILE", printed with its cause by the
//! command layer); [`PathError`] is what Go's `os` package would say on the node (`open PATH:
//! permission denied`), for the failures containerd itself meets and reports.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A read of ours failed.
#[derive(Debug, thiserror::Error)]
#[error("reading {}", path.display())]
pub(crate) struct FsError {
    /// The path read.
    pub(crate) path: PathBuf,
    /// Why.
    #[source]
    pub(crate) source: io::Error,
}

impl FsError {
    /// Whether the file does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

/// Go's `*fs.PathError`: `<op> <path>: <reason>`, as containerd logs and returns it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op} {path}: {reason}")]
pub(crate) struct PathError {
    /// `open`, `stat`, `read`.
    pub(crate) op: &'static str,
    /// The path.
    pub(crate) path: String,
    /// The reason, worded as Go's `syscall.Errno` strings.
    pub(crate) reason: String,
}

impl PathError {
    fn new(op: &'static str, path: &Path, e: &io::Error) -> Self {
        PathError {
            op,
            path: path.display().to_string(),
            reason: errno_text(e),
        }
    }
}

/// How Go words the common errors (`syscall.Errno.Error`).
fn errno_text(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotADirectory => "not a directory".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, FsError> {
    std::fs::read(path).map_err(|source| FsError {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads standard input whole.
pub(crate) fn read_stdin() -> Result<Vec<u8>, FsError> {
    let mut buf = Vec::new();
    io::stdin()
        .read_to_end(&mut buf)
        .map_err(|source| FsError {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    Ok(buf)
}

/// Go's `os.ReadFile` as containerd uses it: `None` when the file does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PathError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PathError::new("open", path, &e)),
    }
}

/// What `os.Stat` (which follows links) finds at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stat {
    /// Nothing.
    Missing,
    /// A directory.
    Dir,
    /// Anything else.
    Other,
}

/// `os.Stat`.
pub(crate) fn stat(path: &Path) -> Result<Stat, PathError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(Stat::Dir),
        Ok(_) => Ok(Stat::Other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Stat::Missing),
        Err(e) => Err(PathError::new("stat", path, &e)),
    }
}

/// One directory entry: its name (entries whose name is not UTF-8 are left out: no registry
/// name or certificate file containerd looks for has one) and whether it is a directory
/// (`DirEntry.IsDir`, which does not follow links).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DirEntry {
    /// The file name.
    pub(crate) name: String,
    /// A directory (not following links).
    pub(crate) is_dir: bool,
}

/// `os.ReadDir`: the entries, sorted by name.
pub(crate) fn list_dir(path: &Path) -> Result<Vec<DirEntry>, PathError> {
    let rd = std::fs::read_dir(path).map_err(|e| PathError::new("open", path, &e))?;
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| PathError::new("readdirent", path, &e))?;
        let Ok(name) = ent.file_name().into_string() else {
            continue;
        };
        let is_dir = ent.file_type().is_ok_and(|t| t.is_dir());
        out.push(DirEntry { name, is_dir });
    }
    out.sort();
    Ok(out)
}

/// Go's `filepath.Glob` for a pattern whose wildcards (`*`, `?`) are all in its last element (as
/// containerd's imports are): the matching entries of that directory, sorted; a directory that
/// does not exist matches nothing. `[` and `\` are taken literally.
pub(crate) fn glob_last(pattern: &Path) -> Result<Vec<PathBuf>, PathError> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Ok(Vec::new());
    };
    let name = name.to_string_lossy();
    let entries = match list_dir(dir) {
        Ok(e) => e,
        Err(e) if e.reason == "no such file or directory" || e.reason == "not a directory" => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e),
    };
    Ok(entries
        .into_iter()
        .filter(|e| wildcard_match(&name, &e.name))
        .map(|e| dir.join(e.name))
        .collect())
}

/// `filepath.Match` for `*` (any run of characters) and `?` (one character); `/` never occurs
/// in a directory entry's name.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some('?') => {
                pi += 1;
                ni += 1;
            }
            Some(c) if *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Every file below `dir` (not following links; a link is listed as a file), by path relative
/// to `dir` with `/` separators, sorted. A missing directory has none.
pub(crate) fn read_tree(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, FsError> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), FsError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FsError { path, source }
    };
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(dir)(e)),
    };
    for ent in rd {
        let ent = ent.map_err(err(dir))?;
        let path = ent.path();
        let ty = ent.file_type().map_err(err(&path))?;
        let rel = path
            .strip_prefix(base)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ty.is_dir() {
            walk(base, &path, out)?;
        } else if ty.is_symlink() {
            let target = std::fs::read_link(&path).map_err(err(&path))?;
            out.push((
                rel,
                format!("symbolic link to {}\n", target.display()).into_bytes(),
            ));
        } else {
            out.push((rel, std::fs::read(&path).map_err(err(&path))?));
        }
    }
    Ok(())
}

/// Whether a regular file (or a link to one) is at `path`.
pub(crate) fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

/// A TLS file as containerd reads it at pull time (`os.ReadFile`): a directory fails with
/// `read PATH: is a directory`.
pub(crate) fn read_tls_file(path: &Path) -> Result<Vec<u8>, PathError> {
    read_as_go(path)
}

/// A file as Go's `os.ReadFile` reads it, with Go's error (`open PATH: no such file or
/// directory`, `read PATH: is a directory`).
pub(crate) fn read_as_go(path: &Path) -> Result<Vec<u8>, PathError> {
    match stat(path)? {
        Stat::Missing => Err(PathError {
            op: "open",
            path: path.display().to_string(),
            reason: "no such file or directory".to_string(),
        }),
        Stat::Dir => Err(PathError {
            op: "read",
            path: path.display().to_string(),
            reason: "is a directory".to_string(),
        }),
        Stat::Other => std::fs::read(path).map_err(|e| PathError::new("open", path, &e)),
    }
}

/// The permission bits of a file (Unix only).
pub(crate) fn mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether users other than the owner and group can read `path`: the file is world-readable
/// and every directory above it is world-searchable (Unix only).
pub(crate) fn readable_by_others(path: &Path) -> bool {
    let Some(m) = mode(path) else { return false };
    if m & 0o004 == 0 {
        return false;
    }
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    abs.ancestors()
        .skip(1)
        .filter(|d| !d.as_os_str().is_empty())
        .all(|d| mode(d).is_some_and(|m| m & 0o001 != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path_as_go_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        assert_eq!(read_optional(&missing), Ok(None));
        assert_eq!(stat(&missing), Ok(Stat::Missing));
        assert_eq!(stat(dir.path()), Ok(Stat::Dir));
        let e = read_tls_file(dir.path()).expect_err("a directory");
        assert_eq!(
            e.to_string(),
            format!("read {}: is a directory", dir.path().display())
        );
        let e = read_tls_file(&missing).expect_err("missing");
        assert!(
            e.to_string().ends_with("nope: no such file or directory"),
            "{e}"
        );
        let e = read(&missing).expect_err("missing");
        assert!(e.is_not_found());
        assert_eq!(e.to_string(), format!("reading {}", missing.display()));
        std::fs::write(dir.path().join("b"), "x").expect("write");
        std::fs::create_dir(dir.path().join("a")).expect("mkdir");
        assert!(wildcard_match("*.toml", "10-auth.toml"));
        assert!(wildcard_match("*.toml", ".hidden.toml"));
        assert!(!wildcard_match("*.toml", "x.toml.bak"));
        assert!(wildcard_match("a?c*", "abcdef"));
        let names: Vec<(String, bool)> = list_dir(dir.path())
            .expect("list")
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(names, [("a".to_string(), true), ("b".to_string(), false)]);
    }
}

/// What is at a path, following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Nothing (or a dangling link).
    Missing,
    /// A directory.
    Dir,
    /// Anything else.
    Other,
    /// It could not be looked at (permissions): whoever opens it reports why.
    Unknown,
}

/// What is at `path`, following links.
pub(crate) fn kind(path: &Path) -> Kind {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Kind::Missing,
        Err(_) => Kind::Unknown,
    }
}
