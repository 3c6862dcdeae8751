//! Plain files of our own (the man pages `man --dir` writes): no K3s rule applies, so none of the
//! output tree's machinery either; each file is written to a temporary file in the same directory
//! and renamed into place, so a reader never sees half a page.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A plain file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing {}", path.display())]
pub struct PlainError {
    /// The path.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Create `dir` (and its parents) and write each `(name, bytes)` into it (mode 0644); returns the
/// paths written.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, PlainError> {
    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PlainError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(".k3s-registries-")
            .tempfile_in(dir)
            .map_err(at(dir))?;
        tmp.write_all(bytes).map_err(at(&path))?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(at(&path))?;
        }
        tmp.persist(&path).map_err(|e| PlainError {
            path: path.clone(),
            source: e.error,
        })?;
        written.push(path);
    }
    Ok(written)
}
