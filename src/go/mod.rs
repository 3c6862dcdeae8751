//! Exact ports of the pieces of Go's standard library (Go 1.24.11, the toolchain K3s 1.34 is built
//! with) whose behaviour shows in the bytes K3s writes.
//!
//! Each function names the Go function it ports in the first line of its docs, and follows that
//! function's source as shipped in go1.24.11 (not the documentation, not a later release: Go's
//! `net/url` in particular changed in 1.24.8, 1.24.10 and again in 1.26). Quirks are kept on
//! purpose and each one says why in a comment.
//!
//! Go strings are byte strings: [`string::GoString`] (borrowed: [`string::BStr`] or `&[u8]`).
//! Ports whose Go inputs can hold any bytes take and return those; ports that only ever see
//! text K3s builds itself take `&str`.
//!
//! - [`string`]: [`string::GoString`], the Go `string`;
//! - [`quote`]: `strconv.Quote` (what `fmt`'s `%q` prints for a string) and `strconv.IsPrint`,
//!   with the Unicode 15.0.0 tables of [`isprint`];
//! - [`url`]: `net/url`'s `Parse`, `(*URL).String`, `Hostname`, `Port` and the escaping they use;
//! - [`net`]: `net.SplitHostPort`, `net.JoinHostPort`, `net.ParseIP` and `IP.IsLoopback`,
//!   and `netip.ParseAddr` (which both `net.ParseIP` and `url.Parse` use);
//! - [`base64`]: `encoding/base64`'s `StdEncoding.DecodeString`;
//! - [`filepath`]: `path/filepath`'s `Clean` and `Join` on Unix.

pub mod base64;
pub mod filepath;
pub mod isprint;
pub mod net;
pub mod quote;
pub mod regexp;
pub mod string;
pub mod url;
