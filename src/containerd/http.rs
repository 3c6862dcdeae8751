//! What Go's HTTP client refuses to send: `net/http`'s `validateHeaders` (transport.go, Go
//! 1.24.11) with `httpguts.ValidHeaderFieldName` and `ValidHeaderFieldValue`
//! (golang.org/x/net/http/httpguts/httplex.go, as vendored in Go 1.24.11). containerd puts the
//! `header` table of hosts.toml into every request to that host as written (no
//! canonicalisation), so a header Go cannot send makes every request to the host fail before it
//! leaves the node: `net/http: invalid header field value for "X-A"`. containerd logs "trying
//! next host" and goes on with the next one.

/// A header Go's HTTP client refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HeaderError {
    /// The name is not an RFC 7230 token.
    #[error("net/http: invalid header field name {}", q(.0))]
    Name(String),
    /// A value holds a control character other than tab (a newline, say).
    #[error("net/http: invalid header field value for {}", q(.0))]
    Value(String),
}

fn q(s: &str) -> String {
    crate::go::quote::quote(s)
}

/// `httpguts.isTokenTable`: `!#$%&'*+-.^_`|~`, digits and letters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `ValidHeaderFieldName`: a non-empty token.
pub(crate) fn valid_header_field_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && b.iter().all(|&c| is_token_byte(c))
}

/// `ValidHeaderFieldValue`: no control byte other than space and tab.
pub(crate) fn valid_header_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| !((b < b' ' || b == 0x7f) && b != b'\t'))
}

/// `validateHeaders` over a host's headers. Go ranges over a map, so with several bad headers
/// which one the error names is random; we name the first in file order.
pub(crate) fn validate_headers(headers: &[(String, Vec<String>)]) -> Result<(), HeaderError> {
    for (name, values) in headers {
        if !valid_header_field_name(name) {
            return Err(HeaderError::Name(name.clone()));
        }
        if !values.iter().all(|v| valid_header_field_value(v)) {
            return Err(HeaderError::Value(name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_http_client_rules() {
        let h = |n: &str, v: &str| vec![(n.to_string(), vec![v.to_string()])];
        assert_eq!(validate_headers(&h("X-A", "a\tb c")), Ok(()));
        assert_eq!(
            validate_headers(&h("X-A", "a\nb")).map_err(|e| e.to_string()),
            Err("net/http: invalid header field value for \"X-A\"".to_string())
        );
        assert_eq!(
            validate_headers(&h("X A", "v")).map_err(|e| e.to_string()),
            Err("net/http: invalid header field name \"X A\"".to_string())
        );
        assert!(validate_headers(&h("", "v")).is_err());
        assert!(validate_headers(&h("X-A", "\u{7f}")).is_err());
        // Non-ASCII is fine in a value, not in a name.
        assert!(validate_headers(&h("X-A", "é")).is_ok());
        assert!(validate_headers(&h("É", "v")).is_err());
    }
}
