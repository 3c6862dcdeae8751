//! What a PEM file holds, as far as containerd's TLS loading cares: Go's `encoding/pem.Decode`
//! finding blocks, `x509.CertPool.AppendCertsFromPEM` taking `CERTIFICATE` blocks without
//! headers, and `tls.X509KeyPair` refusing encrypted keys. Pure: the bytes come from
//! [`crate::fs::read_tls_file`].

use crate::go::base64::decode_string;

/// What a PEM file holds, as far as Go's `crypto/tls` and `x509.CertPool` care.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PemFacts {
    /// `CERTIFICATE` blocks without headers whose body is base64 of a DER sequence.
    pub(crate) certificates: usize,
    /// Unencrypted `PRIVATE KEY` / `* PRIVATE KEY` blocks.
    pub(crate) private_keys: usize,
    /// Encrypted private keys (`ENCRYPTED PRIVATE KEY`, or a `Proc-Type: 4,ENCRYPTED` header),
    /// which `tls.X509KeyPair` cannot load.
    pub(crate) encrypted_keys: usize,
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
