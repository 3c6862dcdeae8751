//! Every filesystem read audit makes: the registries file itself, the TLS files it names
//! (`--check-files`), file modes, and the node's existing certs.d and config.toml
//! (`--hosts-dir`, `--containerd-config`). Rules get plain data back; nothing else in
//! [`crate::audit`] touches the filesystem. Errors carry the path.

use std::io::{self, Read};
use std::path::Path;

use crate::go::base64::decode_string;

/// Reads the registries file (`-` is standard input).
pub(crate) fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path)
}

/// Reads a file whole.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path)
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

/// What a PEM file holds, as far as Go's `crypto/tls` and `x509.CertPool` care.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PemFacts {
    /// `CERTIFICATE` blocks without headers whose body is base64 of a DER sequence.
    pub certificates: usize,
    /// Unencrypted `PRIVATE KEY` / `* PRIVATE KEY` blocks.
    pub private_keys: usize,
    /// Encrypted private keys (`ENCRYPTED PRIVATE KEY`, or a `Proc-Type: 4,ENCRYPTED` header),
    /// which `tls.X509KeyPair` cannot load.
    pub encrypted_keys: usize,
}

/// Reads a TLS file and counts its PEM blocks; the error is worded like containerd's
/// (`open ...: no such file or directory`, `... is a directory`).
pub(crate) fn inspect_pem(path: &Path) -> Result<PemFacts, String> {
    let p = path;
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => return Err("is a directory".to_string()),
        Ok(_) => {}
        Err(e) => return Err(io_reason(&e)),
    }
    let data = std::fs::read(p).map_err(|e| io_reason(&e))?;
    Ok(pem_facts(&data))
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Counts PEM blocks the way Go's `encoding/pem.Decode` finds them.
pub(crate) fn pem_facts(data: &[u8]) -> PemFacts {
    let text = String::from_utf8_lossy(data);
    let mut facts = PemFacts::default();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(type_end) = after.find("-----") else {
            break;
        };
        let kind = &after[..type_end];
        let body_start = &after[type_end + 5..];
        let end_marker = format!("-----END {kind}-----");
        let Some(end) = body_start.find(&end_marker) else {
            break;
        };
        let body = &body_start[..end];
        rest = &body_start[end + end_marker.len()..];
        let mut headers = false;
        let mut encrypted = false;
        let mut b64 = Vec::new();
        for line in body.lines() {
            let line = line.trim();
            if line.contains(':') {
                headers = true;
                encrypted |= line.starts_with("Proc-Type:") && line.contains("ENCRYPTED");
                continue;
            }
            b64.extend_from_slice(line.as_bytes());
        }
        let der = decode_string(&b64).ok();
        if kind == "CERTIFICATE" {
            if !headers && der.as_ref().is_some_and(|d| d.first() == Some(&0x30)) {
                facts.certificates += 1;
            }
        } else if kind == "PRIVATE KEY" || kind.ends_with(" PRIVATE KEY") {
            if encrypted || kind == "ENCRYPTED PRIVATE KEY" {
                facts.encrypted_keys += 1;
            } else if der.is_some() {
                facts.private_keys += 1;
            }
        }
    }
    facts
}

/// One directory of an existing certs.d.
#[derive(Debug, Clone)]
pub(crate) struct HostDir {
    /// The directory name (a registry host, `_default`, or containerd's `host_port_` form).
    pub name: String,
    /// Its hosts.toml, if there is one (or why it could not be read).
    pub hosts_toml: Option<Result<Vec<u8>, String>>,
    /// The other entries in it (certificates a user put there ...), sorted.
    pub other_files: Vec<String>,
}

/// The directories of an existing certs.d, sorted by name.
pub(crate) fn read_hosts_dir(dir: &Path) -> io::Result<Vec<HostDir>> {
    let mut out = Vec::new();
    for ent in std::fs::read_dir(dir)? {
        let ent = ent?;
        let path = ent.path();
        if !path.is_dir() {
            continue;
        }
        let name = ent.file_name().to_string_lossy().into_owned();
        let hosts = path.join("hosts.toml");
        let hosts_toml = match std::fs::read(&hosts) {
            Ok(b) => Some(Ok(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => Some(Err(format!("{}: {e}", hosts.display()))),
        };
        let mut other_files: Vec<String> = std::fs::read_dir(&path)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "hosts.toml")
            .collect();
        other_files.sort();
        out.push(HostDir {
            name,
            hosts_toml,
            other_files,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks() {
        let cert = "-----BEGIN CERTIFICATE-----\nMAoCAQE=\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN EC PRIVATE KEY-----\nMAoCAQE=\n-----END EC PRIVATE KEY-----\n";
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAoCAQE=\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(pem_facts(cert.as_bytes()).certificates, 1);
        let both = pem_facts(format!("{cert}{key}").as_bytes());
        assert_eq!((both.certificates, both.private_keys), (1, 1));
        assert_eq!(pem_facts(enc.as_bytes()).encrypted_keys, 1);
        assert_eq!(pem_facts(b"not a pem"), PemFacts::default());
        assert_eq!(
            pem_facts(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n").certificates,
            0
        );
    }
}
