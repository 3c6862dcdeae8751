//! Exact ports of the pieces of Go's standard library (Go 1.24.11, the toolchain K3s 1.34 is built
//! with) whose behaviour shows in the bytes K3s writes.
//!
//! Each function names the Go function it ports in the first line of its docs, and follows that
//! function's source as shipped in go1.24.11 (not the documentation, not a later release: Go's
//! `net/url` in particular changed in 1.24.8, 1.24.10 and again in 1.26). Quirks are kept on
//! purpose and each one says why in a comment.
//!
//! Go strings are byte strings. Functions that take raw bytes ([`quote::quote`],
//! [`url::parse_bytes`]) say so; functions that take or return `&str`/`String` treat text the
//! project's way: a byte that is not part of valid UTF-8 travels as the private-use code point
//! U+10FF00 + byte (see [`bytes`]). Every port that only looks at ASCII delimiters (`/`, `.`,
//! `:`, `[`, `]`) works on such strings unchanged; the ones that escape or decode bytes
//! ([`url`]) convert at their edges.
//!
//! - [`quote`]: `strconv.Quote` (what `fmt`'s `%q` prints for a string) and `strconv.IsPrint`,
//!   with the Unicode 15.0.0 tables of [`isprint`];
//! - [`url`]: `net/url`'s `Parse`, `(*URL).String`, `Hostname`, `Port` and the escaping they use;
//! - [`net`]: `net.SplitHostPort`, `net.JoinHostPort`, `net.ParseIP` and `IP.IsLoopback`,
//!   and `netip.ParseAddr` (which both `net.ParseIP` and `url.Parse` use);
//! - [`base64`]: `encoding/base64`'s `StdEncoding.DecodeString`;
//! - [`filepath`]: `path/filepath`'s `Clean` and `Join` on Unix.

pub mod base64;
pub mod bytes;
pub mod filepath;
pub mod isprint;
pub mod net;
pub mod quote;
pub mod regexp;
pub mod url;
