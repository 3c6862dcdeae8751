//! Go's `encoding/base64` `StdEncoding` decoding (padded, not strict), the one decoder behind three
//! things we reproduce: yaml.v2's `!!binary` scalars, containerd's `auth` credential (CRI's
//! `ParseAuth`) and Go's `encoding/pem` bodies. CR and LF are skipped anywhere, padding is
//! required, and non-zero trailing bits are accepted.

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
pub fn decode_string(s: &[u8]) -> Result<Vec<u8>, usize> {
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
        assert_eq!(decode_string(b"dTpw"), Ok(b"u:p".to_vec()));
        assert_eq!(
            decode_string(b"YWRtaW46c2VjcmV0"),
            Ok(b"admin:secret".to_vec())
        );
        assert_eq!(decode_string(b"YQ=="), Ok(b"a".to_vec()));
        assert_eq!(decode_string(b"YWI="), Ok(b"ab".to_vec()));
        assert_eq!(decode_string(b"YQ\r\n=\n="), Ok(b"a".to_vec()));
        assert_eq!(decode_string(b"YR=="), Ok(b"a".to_vec())); // non-zero trailing bits: accepted
        assert_eq!(decode_string(b""), Ok(Vec::new()));
        assert!(decode_string(b"YQ").is_err()); // padding required
        assert!(decode_string(b"dckr_pat_xyz").is_err());
        assert!(decode_string(b"YQ==YQ==").is_err());
        assert!(decode_string(b"Y===").is_err());
        assert!(decode_string(b"YWJj ZA==").is_err());
        assert_eq!(decode_string(b"aGVs\nbG8="), Ok(b"hello".to_vec()));
        assert!(decode_string(b"aGVsbG8").is_err());
        assert!(decode_string(b"Q===").is_err());
    }
}
