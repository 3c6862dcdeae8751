//! Every filesystem read the program makes, in one place (writing is [`crate::write`]'s). Each
//! function attaches the path to its error.
//!
//! Two kinds of error: [`FsError`] is ours ("reading FILE", printed with its cause by the
//! command layer); [`PathError`] is what Go's `os` package would say on the node (`open PATH:
//! permission denied`), for the failures containerd itself meets and reports.
//!
//! Every file read here is one we did not write, and may be hostile (an untrusted registries.yaml
//! names the TLS files audit opens). So every read is bounded ([`Limit`]): the file is opened
//! non-blocking and its type checked on the open descriptor before a byte is read (a FIFO, a
//! device or a socket is refused, named, instead of hanging or streaming forever), it is refused
//! when it is larger than its kind of file can sensibly be (checked on the size first, and again
//! while reading, for files whose size lies), and a check that needs only the start of a file
//! reads only that (the output directory's header check, `write::dir`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One MiB.
const MIB: u64 = 1024 * 1024;

/// How much of one kind of file we read at most, and what that kind is called in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    /// The kind of file, for messages: "a registries file".
    pub(crate) what: &'static str,
    /// The most bytes read.
    pub(crate) max: u64,
}

impl Limit {
    /// registries.yaml (a file or standard input). K3s reads it whole with no limit; real files
    /// are a few KiB, and the benchmarks' 10,000 mirrors are 4 MiB.
    pub(crate) const REGISTRIES: Limit = Limit {
        what: "a registries file",
        max: 256 * MIB,
    };
    /// A node's config.toml (`--containerd-config`): of the order of the registries file it was
    /// rendered from.
    pub(crate) const CONFIG_TOML: Limit = Limit {
        what: "a containerd config.toml",
        max: 256 * MIB,
    };
    /// One registry's hosts.toml under `--hosts-dir`: K3s's own for 10,000 endpoints is under
    /// 2 MiB.
    pub(crate) const HOSTS_TOML: Limit = Limit {
        what: "a hosts.toml",
        max: 16 * MIB,
    };
    /// A file of the node's K3s setup (config.yaml and its drop-ins, unit files, templates):
    /// a few KiB each.
    pub(crate) const NODE_FILE: Limit = Limit {
        what: "a node configuration file",
        max: 16 * MIB,
    };
    /// A CA bundle, certificate or key (`audit --check-files`): public CA bundles are a few
    /// hundred KiB.
    pub(crate) const TLS_FILE: Limit = Limit {
        what: "a TLS file",
        max: 16 * MIB,
    };
}

/// What a path holds, when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// A directory.
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A Unix socket.
    Socket,
    /// Anything else.
    Other,
}

impl FileKind {
    fn of(t: std::fs::FileType) -> Option<FileKind> {
        use std::os::unix::fs::FileTypeExt as _;
        Some(if t.is_file() {
            return None;
        } else if t.is_dir() {
            FileKind::Directory
        } else if t.is_fifo() {
            FileKind::Fifo
        } else if t.is_char_device() {
            FileKind::CharDevice
        } else if t.is_block_device() {
            FileKind::BlockDevice
        } else if t.is_socket() {
            FileKind::Socket
        } else {
            FileKind::Other
        })
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "not a regular file",
        })
    }
}

/// Why a file we did not write is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// Not a regular file: reading it could block forever or never end.
    #[error("it is {kind}, not a regular file; only regular files are read")]
    NotRegular {
        /// What it is.
        kind: FileKind,
    },
    /// Larger than its kind of file can sensibly be.
    #[error("it is larger than {} MiB, the most read of {}", .limit.max / MIB, .limit.what)]
    TooLarge {
        /// The limit it broke.
        limit: Limit,
    },
}

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

/// Open `path` for reading without blocking (a FIFO without a writer would block an ordinary
/// open) and check, on the open descriptor, that it is a regular file.
fn open_regular(path: &Path) -> io::Result<Result<File, Refusal>> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // Checked before opening too: opening a socket fails with an unhelpful ENXIO.
    if let Some(kind) = FileKind::of(std::fs::metadata(path)?.file_type()) {
        return Ok(Err(Refusal::NotRegular { kind }));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(path)?;
    // The path may have been replaced between the two looks; the descriptor is what is read.
    if let Some(kind) = FileKind::of(file.metadata()?.file_type()) {
        return Ok(Err(Refusal::NotRegular { kind }));
    }
    Ok(Ok(file))
}

/// Read at most `limit.max` bytes from `r`; more is a refusal.
fn read_capped(r: impl Read, limit: Limit) -> io::Result<Result<Vec<u8>, Refusal>> {
    let mut buf = Vec::new();
    r.take(limit.max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit.max {
        return Ok(Err(Refusal::TooLarge { limit }));
    }
    Ok(Ok(buf))
}

/// A bounded read: `Err` is an I/O error, `Ok(Err)` a refusal.
fn read_bounded(path: &Path, limit: Limit) -> io::Result<Result<Vec<u8>, Refusal>> {
    let file = match open_regular(path)? {
        Ok(f) => f,
        Err(r) => return Ok(Err(r)),
    };
    if file.metadata()?.len() > limit.max {
        return Ok(Err(Refusal::TooLarge { limit }));
    }
    read_capped(file, limit)
}

/// Reads a whole file of the kind `limit` describes: a regular file, at most `limit.max` bytes.
pub(crate) fn read(path: &Path, limit: Limit) -> Result<Vec<u8>, FsError> {
    let fail = |source| FsError {
        path: path.to_path_buf(),
        source,
    };
    match read_bounded(path, limit) {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(refusal)) => Err(fail(io::Error::new(io::ErrorKind::InvalidInput, refusal))),
        Err(e) => Err(fail(e)),
    }
}

/// Reads standard input whole, at most `limit.max` bytes. Whatever standard input is (a pipe,
/// a file, a terminal), reading it is what `-` asks for; it ends when the writer closes it.
pub(crate) fn read_stdin(limit: Limit) -> Result<Vec<u8>, FsError> {
    let fail = |source| FsError {
        path: PathBuf::from("<stdin>"),
        source,
    };
    match read_capped(io::stdin().lock(), limit) {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(refusal)) => Err(fail(io::Error::new(io::ErrorKind::InvalidInput, refusal))),
        Err(e) => Err(fail(e)),
    }
}

/// A file containerd reads with Go's `os.ReadFile`, read within `limit`: `Ok(Err)` is what
/// containerd itself would meet (a directory: `read PATH: is a directory`), `Err` a file we
/// refuse to read (a FIFO or device, on which containerd would block or read forever; a file
/// too large). `Ok(Ok(None))`: there is no such file.
fn read_as_containerd(
    path: &Path,
    limit: Limit,
) -> Result<Result<Option<Vec<u8>>, PathError>, Refusal> {
    match read_bounded(path, limit) {
        Ok(Ok(b)) => Ok(Ok(Some(b))),
        Ok(Err(Refusal::NotRegular {
            kind: FileKind::Directory,
        })) => Ok(Err(PathError {
            op: "read",
            path: path.display().to_string(),
            reason: "is a directory".to_string(),
        })),
        Ok(Err(r)) => Err(r),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Ok(None)),
        Err(e) => Ok(Err(PathError::new("open", path, &e))),
    }
}

/// Go's `os.ReadFile` as containerd uses it for hosts.toml: `Ok(Ok(None))` when the file does
/// not exist; `Ok(Err)` containerd's own error, `Err` a file we refuse to read (a FIFO or a
/// device, on which containerd would block or read forever; a file larger than `limit`).
pub(crate) fn read_optional(
    path: &Path,
    limit: Limit,
) -> Result<Result<Option<Vec<u8>>, PathError>, Refusal> {
    read_as_containerd(path, limit)
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
            out.push((rel, read(&path, Limit::NODE_FILE)?));
        }
    }
    Ok(())
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
        // Bounded as every read: a FIFO or device there is refused by what it is.
        Stat::Other => match read_bounded(path, Limit::CONFIG_TOML) {
            Ok(Ok(b)) => Ok(b),
            Ok(Err(r)) => Err(PathError {
                op: "read",
                path: path.display().to_string(),
                reason: r.to_string(),
            }),
            Err(e) => Err(PathError::new("open", path, &e)),
        },
    }
}

/// Whether a regular file (or a link to one) is at `path`.
pub(crate) fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

/// A TLS file as containerd reads it at pull time (`os.ReadFile`), within [`Limit::TLS_FILE`]:
/// a missing file fails with `open PATH: no such file or directory`, a directory with
/// `read PATH: is a directory`; `Err` is a file we refuse to read, as [`read_optional`].
pub(crate) fn read_tls_file(path: &Path) -> Result<Result<Vec<u8>, PathError>, Refusal> {
    Ok(match read_as_containerd(path, Limit::TLS_FILE)? {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(PathError {
            op: "open",
            path: path.display().to_string(),
            reason: "no such file or directory".to_string(),
        }),
        Err(e) => Err(e),
    })
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

    /// Runs `f` on another thread and fails the test if it has not returned within five
    /// seconds: a read that blocks must fail the test, not hang it.
    fn within_5s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the read blocked for 5 s")
    }

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo");
        assert!(status.success());
    }

    #[test]
    fn errors_name_the_path_as_go_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        assert_eq!(read_optional(&missing, Limit::HOSTS_TOML), Ok(Ok(None)));
        assert_eq!(stat(&missing), Ok(Stat::Missing));
        assert_eq!(stat(dir.path()), Ok(Stat::Dir));
        let e = read_tls_file(dir.path())
            .expect("not refused")
            .expect_err("a directory");
        assert_eq!(
            e.to_string(),
            format!("read {}: is a directory", dir.path().display())
        );
        let e = read_tls_file(&missing)
            .expect("not refused")
            .expect_err("missing");
        assert!(
            e.to_string().ends_with("nope: no such file or directory"),
            "{e}"
        );
        let e = read(&missing, Limit::REGISTRIES).expect_err("missing");
        assert!(e.is_not_found());
        assert_eq!(e.to_string(), format!("reading {}", missing.display()));
        std::fs::write(dir.path().join("b"), "x").expect("write");
        std::fs::create_dir(dir.path().join("a")).expect("mkdir");
        let names: Vec<(String, bool)> = list_dir(dir.path())
            .expect("list")
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(names, [("a".to_string(), true), ("b".to_string(), false)]);
    }

    /// FIFOs and devices, directly or through a link, are refused by name without a byte read
    /// and without blocking, at every kind of read.
    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let zero_link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero_link).expect("symlink");
        for (path, kind) in [
            (fifo.clone(), FileKind::Fifo),
            (zero_link.clone(), FileKind::CharDevice),
            (PathBuf::from("/dev/null"), FileKind::CharDevice),
            (dir.path().to_path_buf(), FileKind::Directory),
        ] {
            let p = path.clone();
            let e = within_5s(move || read(&p, Limit::REGISTRIES)).expect_err("refused");
            assert_eq!(
                e.source.to_string(),
                format!("it is {kind}, not a regular file; only regular files are read"),
                "{}",
                path.display()
            );
            if kind != FileKind::Directory {
                let p = path.clone();
                assert_eq!(
                    within_5s(move || read_optional(&p, Limit::HOSTS_TOML)),
                    Err(Refusal::NotRegular { kind })
                );
                let p = path.clone();
                assert_eq!(
                    within_5s(move || read_tls_file(&p)),
                    Err(Refusal::NotRegular { kind })
                );
            }
        }
    }

    #[test]
    fn sizes_are_capped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = Limit {
            what: "a test file",
            max: 2 * MIB,
        };
        let at = dir.path().join("at");
        std::fs::write(&at, vec![b'x'; (2 * MIB) as usize]).expect("write");
        assert_eq!(
            read(&at, small).expect("at the limit").len() as u64,
            2 * MIB
        );
        let over = dir.path().join("over");
        std::fs::write(&over, vec![b'x'; (2 * MIB + 1) as usize]).expect("write");
        let e = read(&over, small).expect_err("over the limit");
        assert_eq!(
            e.source.to_string(),
            "it is larger than 2 MiB, the most read of a test file"
        );
        assert_eq!(
            read_optional(&over, small),
            Err(Refusal::TooLarge { limit: small })
        );
        // A file whose size says 0 but that streams (procfs) is cut off while reading.
        let tiny = Limit { what: "x", max: 2 };
        let r = read_capped(&b"abc"[..], tiny).expect("io");
        assert_eq!(r, Err(Refusal::TooLarge { limit: tiny }));
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
