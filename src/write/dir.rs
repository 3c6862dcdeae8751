//! The writer's filesystem calls. Every call below the output directory is made relative to an
//! open directory and never follows a symbolic link; every error names the path it was about.
//! (Reads of input files are [`crate::fs`]'s.)
//!
//! Paths below the output directory are never joined as text and handed to the kernel: each
//! directory is opened from its parent with `O_NOFOLLOW | O_DIRECTORY`, and each name is looked at
//! with `statx(AT_SYMLINK_NOFOLLOW)`, so a link met on the way is seen (and reported by the
//! caller) instead of followed. Only the output directory itself, the path the user named, is
//! opened the ordinary way. Nothing here decides what to write or remove: that is
//! [`super`]'s job.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fd::OwnedFd;
use rustix::fs::{self as rfs, Access, AtFlags, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

/// A failed filesystem call, with the path it was about.
#[derive(Debug, thiserror::Error)]
#[error("{}", path.display())]
pub struct DirError {
    /// The path the call was about.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: io::Error,
}

impl DirError {
    /// The OS error number, if the error came from the OS.
    pub fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

/// A filesystem call's result.
pub type Result<T> = std::result::Result<T, DirError>;

fn at(path: PathBuf) -> impl FnOnce(Errno) -> DirError {
    move |e| DirError {
        path,
        source: e.into(),
    }
}

/// What a name is, looked at without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
    /// A FIFO, socket or device.
    Other,
}

/// A name's metadata, as `statx` reports it without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Its type.
    pub kind: Kind,
    /// Its permission bits (`0o7777`).
    pub perm: u32,
    /// Its inode number.
    pub ino: u64,
    /// Its filesystem (`major << 32 | minor`).
    pub dev: u64,
    /// Its size in bytes.
    pub size: u64,
    /// `chattr +i`: it can be neither changed, renamed nor removed.
    pub immutable: bool,
    /// `chattr +a`: it can be neither renamed nor removed, and a directory loses no entries.
    pub append_only: bool,
}

fn meta_of(s: &rfs::Statx) -> Meta {
    let kind = match rfs::FileType::from_raw_mode(u32::from(s.stx_mode)) {
        rfs::FileType::Directory => Kind::Dir,
        rfs::FileType::RegularFile => Kind::File,
        rfs::FileType::Symlink => Kind::Link,
        _ => Kind::Other,
    };
    let attr =
        |a: rfs::StatxAttributes| s.stx_attributes_mask.contains(a) && s.stx_attributes.contains(a);
    Meta {
        kind,
        perm: u32::from(s.stx_mode) & 0o7777,
        ino: s.stx_ino,
        dev: (u64::from(s.stx_dev_major) << 32) | u64::from(s.stx_dev_minor),
        size: s.stx_size,
        immutable: attr(rfs::StatxAttributes::IMMUTABLE),
        append_only: attr(rfs::StatxAttributes::APPEND),
    }
}

const STATX_MASK: rfs::StatxFlags = rfs::StatxFlags::TYPE
    .union(rfs::StatxFlags::MODE)
    .union(rfs::StatxFlags::INO)
    .union(rfs::StatxFlags::SIZE);

/// Whether the process's umask takes bits from `mode` (then a chmod must follow a create). The
/// umask is read once from /proc/self/status (reading it with umask(2) would change it, racing
/// with threads creating files); when it cannot be read, always chmod.
fn masked(mode: Mode) -> bool {
    static UMASK: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    let umask = UMASK.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    });
    umask.is_none_or(|u| u & mode.as_raw_mode() != 0)
}

/// An open directory and the path it is shown as.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// Open the directory the user named (links in that path are the user's and are followed).
    pub fn open(path: &Path) -> Result<Dir> {
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(at(path.to_path_buf()))?;
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// The same directory, shown as `path` (the resolved path of what was opened).
    pub fn renamed(self, path: PathBuf) -> Dir {
        Dir { fd: self.fd, path }
    }

    /// The path this directory is shown as.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in this directory, for messages.
    pub fn join(&self, name: &[u8]) -> PathBuf {
        self.path.join(OsStr::from_bytes(name))
    }

    /// This directory's own metadata.
    pub fn meta(&self) -> Result<Meta> {
        rfs::statx(&self.fd, "", AtFlags::EMPTY_PATH, STATX_MASK)
            .map(|s| meta_of(&s))
            .map_err(at(self.path.clone()))
    }

    /// `name`'s metadata, not following a link; `None` if nothing has that name.
    pub fn stat(&self, name: &[u8]) -> Result<Option<Meta>> {
        match rfs::statx(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW, STATX_MASK) {
            Ok(s) => Ok(Some(meta_of(&s))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(at(self.join(name))(e)),
        }
    }

    /// Open the directory `name`; a link or anything else that is not a directory is an error.
    pub fn open_dir(&self, name: &[u8]) -> Result<Dir> {
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(at(self.join(name)))?;
        Ok(Dir {
            fd,
            path: self.join(name),
        })
    }

    /// The names in this directory (not `.` and `..`), sorted bytewise.
    pub fn entries(&self) -> Result<Vec<Vec<u8>>> {
        let path = || self.path.clone();
        let mut dir = rfs::Dir::read_from(&self.fd).map_err(at(path()))?;
        let mut names = Vec::new();
        while let Some(ent) = dir.read() {
            let ent = ent.map_err(at(path()))?;
            let name = ent.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(name.to_vec());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Up to `limit` bytes from the start of the regular file `name`. `None` when there is no such
    /// name, or it is a link (never followed) or not a regular file.
    pub fn read_prefix(&self, name: &[u8], limit: usize) -> Result<Option<Vec<u8>>> {
        let fd = match rfs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::LOOP) => return Ok(None),
            Err(e) => return Err(at(self.join(name))(e)),
        };
        let st = rfs::fstat(&fd).map_err(at(self.join(name)))?;
        if rfs::FileType::from_raw_mode(st.st_mode) != rfs::FileType::RegularFile {
            return Ok(None);
        }
        let mut buf = Vec::new();
        File::from(fd)
            .take(limit as u64)
            .read_to_end(&mut buf)
            .map_err(|source| DirError {
                path: self.join(name),
                source,
            })?;
        Ok(Some(buf))
    }

    /// Where the link `name` points.
    pub fn read_link(&self, name: &[u8]) -> Result<PathBuf> {
        let target = rfs::readlinkat(&self.fd, name, Vec::new()).map_err(at(self.join(name)))?;
        Ok(PathBuf::from(OsStr::from_bytes(target.to_bytes())))
    }

    /// Create the directory `name` with exactly `mode` (whatever the umask).
    pub fn mkdir(&self, name: &[u8], mode: u32) -> Result<()> {
        let mode = Mode::from_raw_mode(mode);
        rfs::mkdirat(&self.fd, name, mode).map_err(at(self.join(name)))?;
        if masked(mode) {
            // The directory was just made by us, in a directory the caller owns: no link to follow.
            rfs::chmodat(&self.fd, name, mode, AtFlags::empty()).map_err(at(self.join(name)))?;
        }
        Ok(())
    }

    /// Create the file `name` (it must not exist) holding `bytes`, with exactly `mode`.
    pub fn write_file(&self, name: &[u8], mode: u32, bytes: &[u8]) -> Result<()> {
        let err = |source| DirError {
            path: self.join(name),
            source,
        };
        let mode = Mode::from_raw_mode(mode);
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            mode,
        )
        .map_err(at(self.join(name)))?;
        if masked(mode) {
            rfs::fchmod(&fd, mode).map_err(at(self.join(name)))?;
        }
        let mut f = File::from(fd);
        f.write_all(bytes).map_err(err)?;
        Ok(())
    }

    /// Rename `name` to `to_name` in `to`, which must not exist.
    pub fn rename(&self, name: &[u8], to: &Dir, to_name: &[u8]) -> Result<()> {
        match rfs::renameat_with(&self.fd, name, &to.fd, to_name, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(()),
            // A filesystem without RENAME_NOREPLACE: check, then rename (under our lock).
            Err(Errno::INVAL | Errno::NOSYS) => {
                if to.stat(to_name)?.is_some() {
                    return Err(at(to.join(to_name))(Errno::EXIST));
                }
                rfs::renameat(&self.fd, name, &to.fd, to_name).map_err(at(to.join(to_name)))
            }
            Err(e) => Err(at(to.join(to_name))(e)),
        }
    }

    /// Swap `name` and `to_name` in `to`, atomically (`RENAME_EXCHANGE`).
    pub fn exchange(&self, name: &[u8], to: &Dir, to_name: &[u8]) -> Result<()> {
        rfs::renameat_with(&self.fd, name, &to.fd, to_name, RenameFlags::EXCHANGE)
            .map_err(at(to.join(to_name)))
    }

    /// Remove the file, link or empty directory `name`.
    pub fn remove(&self, name: &[u8], is_dir: bool) -> Result<()> {
        let flags = if is_dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        rfs::unlinkat(&self.fd, name, flags).map_err(at(self.join(name)))
    }

    /// Remove `name` and everything below it, never following a link (`os.RemoveAll`). Nothing
    /// there is fine.
    pub fn remove_all(&self, name: &[u8]) -> Result<()> {
        match self.stat(name)? {
            None => Ok(()),
            Some(m) if m.kind == Kind::Dir => {
                let d = self.open_dir(name)?;
                for e in d.entries()? {
                    d.remove_all(&e)?;
                }
                drop(d);
                self.remove(name, true)
            }
            Some(_) => self.remove(name, false),
        }
    }

    /// Whether this process may add and remove entries in the directory `name` (write and search
    /// permission for the effective user; root always may).
    pub fn may_change(&self, name: &[u8]) -> Result<bool> {
        if rustix::process::geteuid().is_root() {
            return Ok(true);
        }
        match rfs::accessat(
            &self.fd,
            name,
            Access::WRITE_OK | Access::EXEC_OK,
            AtFlags::EACCESS,
        ) {
            Ok(()) => Ok(true),
            Err(Errno::ACCESS | Errno::ROFS | Errno::PERM) => Ok(false),
            Err(e) => Err(at(self.join(name))(e)),
        }
    }

    /// Take an advisory lock (`flock`) on the file `name` in this directory, waiting up to
    /// `timeout`. Exclusive: the file is created if missing, and holds the holder's process id.
    /// Shared: a missing file means nobody writes, and no lock is taken (`Ok(None)`).
    pub fn lock(
        &self,
        name: &[u8],
        exclusive: bool,
        timeout: Duration,
    ) -> std::result::Result<Option<Lock>, LockError> {
        let start = Instant::now();
        let fs_err = |e: Errno| LockError::Fs(at(self.join(name))(e));
        loop {
            let flags = if exclusive {
                OFlags::RDWR | OFlags::CREATE
            } else {
                OFlags::RDONLY
            };
            let fd = match rfs::openat(
                &self.fd,
                name,
                flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if !exclusive => return Ok(None),
                Err(e) => return Err(fs_err(e)),
            };
            let op = if exclusive {
                FlockOperation::NonBlockingLockExclusive
            } else {
                FlockOperation::NonBlockingLockShared
            };
            loop {
                match rfs::flock(&fd, op) {
                    Ok(()) => break,
                    Err(Errno::WOULDBLOCK) => {
                        if start.elapsed() >= timeout {
                            return Err(LockError::Busy {
                                holder: holder(&fd),
                                waited: start.elapsed(),
                            });
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(Errno::INTR) => {}
                    Err(e) => return Err(fs_err(e)),
                }
            }
            // The holder we waited for may have removed the file as it finished: the lock is only
            // ours if the name still leads to the file we locked.
            let locked = rfs::fstat(&fd).map_err(fs_err)?;
            let same = self
                .stat(name)
                .map_err(LockError::Fs)?
                .is_some_and(|m| m.ino == locked.st_ino && locked.st_nlink > 0);
            if !same {
                continue;
            }
            if exclusive {
                let mut f = File::from(fd);
                let pid = format!("{}\n", std::process::id());
                if let Err(source) = f.set_len(0).and_then(|()| f.write_all(pid.as_bytes())) {
                    // Ours (we hold it): leave no lock file behind.
                    let _ = rfs::unlinkat(&self.fd, name, AtFlags::empty());
                    return Err(LockError::Fs(DirError {
                        path: self.join(name),
                        source,
                    }));
                }
                return Ok(Some(Lock {
                    fd: OwnedFd::from(f),
                    name: name.to_vec(),
                    exclusive,
                }));
            }
            return Ok(Some(Lock {
                fd,
                name: name.to_vec(),
                exclusive,
            }));
        }
    }
}

/// The process id a lock file holds, if it reads as one.
fn holder(fd: &OwnedFd) -> Option<u32> {
    let mut buf = [0u8; 32];
    let n = rustix::io::pread(fd, &mut buf, 0).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

/// A held advisory lock; dropping it releases the lock and leaves the file.
#[derive(Debug)]
pub struct Lock {
    fd: OwnedFd,
    name: Vec<u8>,
    exclusive: bool,
}

impl Lock {
    /// Release the lock. The holder of an exclusive lock removes the file first, so that no lock
    /// file stays in the directory; a run waiting on the removed file notices and starts over.
    pub fn release(self, dir: &Dir) -> Result<()> {
        if self.exclusive {
            rfs::unlinkat(&dir.fd, self.name.as_slice(), AtFlags::empty())
                .map_err(at(dir.join(&self.name)))?;
        }
        drop(self.fd);
        Ok(())
    }
}

/// A lock that could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process held it for the whole wait.
    Busy {
        /// The process id the lock file names, if any.
        holder: Option<u32>,
        /// How long we waited.
        waited: Duration,
    },
    /// A filesystem call failed.
    Fs(DirError),
}
