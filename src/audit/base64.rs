//! Go's `encoding/base64` `StdEncoding` decoding (padded, not strict), which containerd uses for
//! the `auth` credential and Go's `encoding/pem` for PEM bodies: CR and LF are skipped anywhere,
//! padding is required, and non-zero trailing bits are accepted.

/// The value of one base64 character of the standard alphabet.
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `base64.StdEncoding.DecodeString`: the bytes, or the offset of the first bad input byte
/// (Go's `CorruptInputError`).
pub(crate) fn decode_std(s: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut buf = [0u8; 4];
        let mut n = 0;
        while n < 4 {
            let Some(&c) = s.get(si) else {
                if n == 0 {
                    return Ok(out);
                }
                // Input ends inside a quantum: padding is required.
                return Err(si.saturating_sub(n));
            };
            si += 1;
            if c == b'\r' || c == b'\n' {
                continue;
            }
            if let Some(v) = sextet(c) {
                buf[n] = v;
                n += 1;
                continue;
            }
            if c != b'=' || n < 2 {
                return Err(si - 1);
            }
            // Padding: `xx==` or `xxx=`.
            if n == 2 {
                while matches!(s.get(si), Some(b'\r' | b'\n')) {
                    si += 1;
                }
                if s.get(si) != Some(&b'=') {
                    return Err(si.min(s.len()));
                }
                si += 1;
            }
            while matches!(s.get(si), Some(b'\r' | b'\n')) {
                si += 1;
            }
            if si < s.len() {
                // Nothing but newlines may follow padding.
                return Err(si);
            }
            push(&mut out, &buf, n);
            return Ok(out);
        }
        push(&mut out, &buf, 4);
    }
}

fn push(out: &mut Vec<u8>, b: &[u8; 4], n: usize) {
    let v = (u32::from(b[0]) << 18)
        | (u32::from(b[1]) << 12)
        | (u32::from(b[2]) << 6)
        | u32::from(b[3]);
    let bytes = v.to_be_bytes();
    out.extend_from_slice(&bytes[1..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go 1.19's `base64.StdEncoding.DecodeString` on each input.
    #[test]
    fn go_vectors() {
        assert_eq!(decode_std(b"dTpw"), Ok(b"u:p".to_vec()));
        assert_eq!(
            decode_std(b"YWRtaW46c2VjcmV0"),
            Ok(b"admin:secret".to_vec())
        );
        assert_eq!(decode_std(b"YQ=="), Ok(b"a".to_vec()));
        assert_eq!(decode_std(b"YWI="), Ok(b"ab".to_vec()));
        assert_eq!(decode_std(b"YQ\r\n=\n="), Ok(b"a".to_vec()));
        assert_eq!(decode_std(b"YR=="), Ok(b"a".to_vec())); // non-zero trailing bits: accepted
        assert_eq!(decode_std(b""), Ok(Vec::new()));
        assert!(decode_std(b"YQ").is_err()); // padding required
        assert!(decode_std(b"dckr_pat_xyz").is_err());
        assert!(decode_std(b"YQ==YQ==").is_err());
        assert!(decode_std(b"Y===").is_err());
        assert!(decode_std(b"YWJj ZA==").is_err());
    }
}
