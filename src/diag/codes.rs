//! The catalogue: one stable kebab-case code per fact, for audit's findings and explain's
//! warnings alike, with its default severity, what it needs besides registries.yaml, a one-line
//! why (README, SARIF `shortDescription`) and the long description `--explain-code` prints (what
//! K3s and containerd do, where that was verified, an example, the fix).
//!
//! Citations name the source read: `k3s:` K3s release-1.34 (`pkg/agent/containerd/config.go`,
//! `pkg/agent/templates/templates.go`), `wharfie:` rancher/wharfie `pkg/registries`, `yaml:`
//! gopkg.in/yaml.v2 v2.4.0, `ctrd:` containerd (`core/remotes/docker/...`,
//! `internal/cri/server/images/image_pull.go`), `fork:` the K3s containerd fork's rewrite patch.
//! Codes are an interface (JSON, SARIF, `--allow`): never rename one.

use serde::{Serialize, Serializer};

use super::Severity;

/// What a rule needs besides registries.yaml and the node flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Decided from registries.yaml and the node flags alone.
    Offline,
    /// Also reads the files the configuration names (`--check-files`).
    CheckFiles,
    /// Also reads an existing certs.d (`--hosts-dir`; explain reads it too).
    HostsDir,
    /// Also reads a node's config.toml (`--containerd-config`; explain reads it too).
    ContainerdConfig,
    /// Only explain says it: it is about one image.
    Image,
    /// On a node (or a copy under --root): K3s's config file, service, data dir and the
    /// containerd files there.
    Node,
}

impl Needs {
    /// How the README and `--explain-code` name it.
    pub fn describe(self) -> &'static str {
        match self {
            Needs::Offline => "offline",
            Needs::CheckFiles => "with --check-files",
            Needs::HostsDir => "with --hosts-dir",
            Needs::ContainerdConfig => "with --containerd-config",
            Needs::Image => "explain only",
            Needs::Node => "on a node",
        }
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The code.
    pub code: Code,
    /// The severity most of its findings have (some sub-cases are lower or higher; the
    /// description says which).
    pub severity: Severity,
    /// What it needs.
    pub needs: Needs,
    /// One line: why it matters.
    pub summary: &'static str,
    /// The long description: behaviour, source, example, fix.
    pub description: &'static str,
}

macro_rules! rules {
    ($( $variant:ident = $code:literal, $sev:ident, $needs:ident,
        $summary:literal,
        $description:literal; )*) => {
        /// A finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( #[doc = concat!("`", $code, "`")] $variant, )*
        }

        impl Code {
            /// The stable kebab-case code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => $code, )*
                }
            }
        }

        /// Every rule, in catalogue order (most important first).
        pub const RULES: &[Rule] = &[
            $( Rule {
                code: Code::$variant,
                severity: Severity::$sev,
                needs: Needs::$needs,
                summary: $summary,
                description: $description,
            }, )*
        ];
    };
}

impl Code {
    /// This code's rule.
    pub fn rule(self) -> &'static Rule {
        // RULES holds one entry per variant, in declaration order.
        &RULES[self as usize]
    }

    /// The code for a kebab-case string.
    pub fn parse(s: &str) -> Option<Code> {
        RULES.iter().find(|r| r.code.as_str() == s).map(|r| r.code)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

rules! {
    YamlSyntaxError = "yaml-syntax-error", Error, Offline,
    "The file is not valid YAML for yaml.v2, so K3s refuses it and the agent does not start.",
    "K3s reads registries.yaml with wharfie's GetPrivateRegistries, which is yaml.Unmarshal from
gopkg.in/yaml.v2 v2.4.0. Any error it returns is returned by the agent's config loader, and the
agent does not start (k3s: pkg/agent/config/config.go `get`). Only the first document is parsed.

Common causes:
  - an unquoted `*` key: `*` starts an alias in YAML (yaml: scannerc.go anchor/alias scanning:
    \"did not find expected alphabetic or numeric character\");
  - tabs in indentation (\"found character that cannot start any token\");
  - a plain value starting with `@` or a backquote (reserved indicators);
  - `*name` with no matching `&name` (\"unknown anchor\");
  - invalid UTF-8 or control characters (libyaml's reader).

Triggers:
    mirrors:
      *:
        endpoint: [\"https://mirror.example.com\"]
Fine:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]

Fix: quote keys and values that start with * & ! @ ` | > % (e.g. \"*\":) and indent with spaces.
audit exits 2 on this finding: K3s would refuse the file.";

    YamlTypeMismatch = "yaml-type-mismatch", Error, Offline,
    "A value has the wrong YAML type for its key (a quoted boolean, a string for a list): K3s does not start.",
    "yaml.v2 records a type error for a node whose kind or resolved tag cannot go into the schema
field, keeps decoding, and returns all of them as one `yaml: unmarshal errors` error, which stops
the K3s agent (yaml: decode.go `(*decoder).scalar`: a quoted scalar is always !!str, and a bool
field only takes a resolved bool; `sequence` and `mapping` call `terror` for the wrong kind).

Triggers:
    configs:
      registry.example.com:
        tls:
          insecure_skip_verify: \"true\"     # !!str into bool
    mirrors:
      docker.io:
        endpoint: https://mirror.example.com  # !!str into []string
Fine:
    insecure_skip_verify: true         # also True, yes, on (see yaml-1.1-boolean)
    endpoint: [\"https://mirror.example.com\"]

Fix: write booleans unquoted (true/false), give `endpoint` as a list, and give mappings where
the schema has mappings. audit exits 2 on this finding: K3s would refuse the file.";

    ConfigTomlInvalid = "config-toml-invalid", Error, Offline,
    "K3s pastes a configs key or a credential into config.toml so that it is not valid TOML: containerd, and K3s with it, does not start.",
    "K3s renders one `registry.configs.'<key>'.auth` table per configs entry with `auth`, pasting
the key raw between single quotes (double quotes in the containerd 1.7 template) and printing
the credentials with Go's %q (k3s: pkg/agent/templates/templates.go, V3 template). A key holding
`'` (or `\"`/`\\` with the v2 template) or a control character breaks the table header; a
credential holding a control character is printed with Go escapes (\\a, \\v, \\x01) that
containerd's go-toml does not have. containerd cannot load config.toml, exits, and K3s shuts down
(k3s: pkg/agent/containerd/containerd.go: \"containerd exited\").

audit renders config.toml exactly as K3s would and decodes it as containerd does (a port of
go-toml/v2's parser, the version K3s's go.mod links: `\\e` is an escape, `\\xHH` is not). With
--containerd-config it also decodes the node's existing config.toml, as explain does.

Triggers:
    configs:
      \"bad'key\":
        auth: {username: u, password: p}
Fine:
    configs:
      registry.example.com:
        auth: {username: u, password: p}

Fix: registry names are host[:port]; remove quotes and control characters from keys and
credentials.";

    RegistryKeyUnsafePath = "registry-key-unsafe-path", Error, Offline,
    "A registry name resolves to certs.d itself or a directory above it, which K3s deletes at every start.",
    "Before writing, K3s's cleanContainerdHosts runs os.RemoveAll(filepath.Join(certs.d, key)) for
every directory it is about to write (k3s: pkg/agent/containerd/config.go). filepath.Join cleans
the path: an empty key (also the YAML null key `~:`) or `.` is certs.d itself (every registry
directory, including ones you manage, is wiped, then certs.d/hosts.toml is written, which
containerd never reads); `..` is agent/etc/containerd, so the config.toml K3s has just written
and any config.toml.tmpl are deleted. normalizeEndpointAddress accepts all of these keys.

Triggers:
    mirrors:
      ~:
        endpoint: [\"https://mirror.example.com\"]
Fine:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]

Fix: registry names must be a host[:port] such as registry.example.com:5000 (or \"*\").";

    RegistryDirCollision = "registry-dir-collision", Error, Offline,
    "Two registry names land in the same certs.d directory (`*` and `_default`, `a` and `a/`): which one K3s writes is random at every start.",
    "K3s writes `*` to certs.d/_default and every other name to filepath.Join(certs.d, name), which
cleans the path (k3s: pkg/agent/containerd/config.go `getHostConfigs`, `writeContainerdHosts`).
getHostConfigs keeps one HostConfig per name in a Go map and ranges over Go maps, whose order is
random: when two names give the same directory, the last one ranged wins, and that changes from
one start to the next. This tool takes sorted order, so its output is one of K3s's possible
results, not the only one.

Triggers:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror-a.example.com\"]
      _default:
        endpoint: [\"https://mirror-b.example.com\"]
Fine:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror-a.example.com\", \"https://mirror-b.example.com\"]

Fix: keep one name per directory (use `*` for the default, never a literal `_default`).";

    UnknownKey = "unknown-key", Error, Offline,
    "A key K3s does not read (a typo, wrong case or wrong level) is silently dropped, so the CA, credential or endpoint it was meant to set is missing.",
    "yaml.v2 is used non-strict: mappingStruct skips keys that are not fields of the struct, with no
error and no log line (yaml: decode.go `mappingStruct`; wharfie: types.go). The setting simply
does not exist for K3s. Valid keys: top level mirrors, configs, auths; under mirrors.<name>
endpoint, rewrite; under configs.<name> auth, tls; under auth username, password, auth,
identity_token; under tls ca_file, cert_file, key_file, insecure_skip_verify. Names are
case-sensitive. A mirror named like a schema word (`configs`, `endpoint`, `auth`, `tls`) is the
k3s#10135 mis-indent: `configs:` indented under `mirrors:` becomes a registry name, and
everything below it is ignored.

audit suggests the intended key (a table of common spellings such as cafile, ca-file, caFile,
endpoints, insecureSkipVerify; then case, `-`/`_` and edit distance up to 2) and says when a key
belongs at another level (auth/tls under mirrors.<name> belong under configs.<name>; ca_file
under configs.<name> belongs under its tls). A top-level key whose value only holds an anchor
used elsewhere (`x-tls: &tls {...}`) is reported as info: that is a legitimate pattern.

Triggers:
    configs:
      registry.example.com:
        tls:
          cafile: /etc/ssl/ca.pem
Fine:
    configs:
      registry.example.com:
        tls:
          ca_file: /etc/ssl/ca.pem

Fix: rename the key or fix the indentation.";

    MultipleDocuments = "multiple-documents", Error, Offline,
    "registries.yaml holds more than one YAML document; K3s reads only the first and ignores the rest without a word.",
    "yaml.Unmarshal parses exactly one document (yaml: yaml.go `unmarshal` calls the parser once),
so everything after a `---` separator that follows content is ignored, without an error, and
syntax errors in it are not even reported.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
    ---
    configs:
      mirror.example.com:
        auth: {username: u, password: p}
Fine: a single leading `---` followed by one document.

Fix: remove the `---` separators and merge the documents into one mapping.";

    DuplicateKey = "duplicate-key", Error, Offline,
    "A key appears twice in one mapping; yaml.v2 keeps the last value (or merges blocks), so an earlier setting is lost.",
    "yaml.v2 (non-strict) accepts duplicate keys (yaml: decode.go `mapping`, `mappingStruct`):
  - in a map (registry names under mirrors/configs/auths, rewrite patterns) the later entry
    replaces the earlier one wholesale;
  - a duplicated string or list field (endpoint, username, ca_file ...) keeps the last value;
  - a duplicated mapping field (mirrors, configs, rewrite, auth, tls) is decoded into the same
    value, so the blocks are merged key by key, and a later null resets it.
Error when an earlier value is discarded or changed; warning when blocks merge without loss (K3s
reads it as intended, but yaml.v3, most linters and many tools reject the file).

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://one.example.com\"]
      docker.io:
        endpoint: [\"https://two.example.com\"]
Fine: the same key under two different parents (mirrors.docker.io and configs.docker.io).

Fix: keep one occurrence.";

    NullValue = "null-value", Error, Offline,
    "A credential, TLS path or section is empty or null (often a value starting with # read as a comment), so K3s treats it as not set.",
    "yaml.v2 sets a field to its zero value when the node is null: empty, ~, null, Null, NULL
(yaml: decode.go `prepare`, `scalar`). A plain value that starts with `#` is a comment, so
`password: #s3cret` is an empty password; `&x` alone is an anchor and `!x` alone a tag, both
with an empty value. K3s's templates then omit the field. Error for username, password, auth,
identity_token, ca_file, cert_file, key_file (the credential or file is missing); warning for a
null tls/auth/configs entry or section (the whole block is ignored), a null rewrite replacement
and a null insecure_skip_verify (false). A null mirrors.<name> is the legitimate
\"registry name only\" form (see mirror-without-endpoints).

Triggers:
    configs:
      registry.example.com:
        auth:
          username: puller
          password: #s3cret
Fine:
          password: \"#s3cret\"

Fix: quote values that start with # & ! or *.";

    AuthNeverUsed = "auth-never-used", Error, Offline,
    "Credentials are keyed by a name containerd never asks for (docker.io, index.docker.io, a URL), so pulls are anonymous.",
    "K3s writes every configs.<key>.auth to config.toml under the key as written
(k3s: templates.go). containerd asks for credentials with the host of the request URL
(ctrd: authorizer.go `AddResponses`: `a.credentials(last.Request.URL.Host)`), looked up exactly
in registry.configs (ctrd: image_pull.go): no docker.io alias, no wildcard. Docker Hub requests
go to registry-1.docker.io (ctrd: resolver.go `DefaultHost`), and K3s rewrites endpoints written
as docker.io to it (k3s: config.go `normalizeEndpointAddress`), so configs.\"docker.io\".auth is
never read (k3s#3937: \"configs is keyed off the endpoint\"). The same holds for index.docker.io
(distribution/reference maps it to docker.io), for keys with a scheme, path, `@` or query, and,
with --embedded-registry, for the embedded registry's address, whose configs entry K3s replaces
(k3s: pkg/spegel `InjectMirror`). TLS settings under docker.io do apply (to the default
endpoint); only auth is dead. For `*` see wildcard-config-ignored.

Triggers:
    configs:
      docker.io:
        auth: {username: u, password: p}
Fine:
    configs:
      registry-1.docker.io:
        auth: {username: u, password: p}

Fix: key credentials by the host[:port] actually contacted, e.g. configs.\"registry-1.docker.io\"
for Docker Hub, or the mirror's host for a mirror.";

    WildcardConfigIgnored = "wildcard-config-ignored", Error, Offline,
    "configs.\"*\" auth is never used, and its TLS is dropped when mirrors.\"*\" exists too.",
    "(a) error: configs.\"*\".auth is written as configs.'*'.auth in config.toml; containerd looks
credentials up by exact host, so `*` never matches (k3s#11352). explain says the same of a
node's config.toml.
(b) error: configs.\"*\".tls together with mirrors.\"*\": the configs loop of getHostConfigs stores
the `*` entry under `_default`, the mirrors loop looks up `*` (not found), rebuilds the entry
with an empty server URL and no TLS (k3s: config.go `getHostConfigs`), so the TLS is written
nowhere.
(c) warning: configs.\"*\".tls alone becomes the root ca/client/skip_verify of
_default/hosts.toml: it applies only to the default endpoint of registries without a directory
of their own, never to mirror endpoints (configForHost has no `*` fallback) nor to registries
that have a directory.

Triggers:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]
    configs:
      \"*\":
        tls: {insecure_skip_verify: true}
Fine: configs.\"*\".tls with no mirrors at all.

Fix: give auth and TLS per endpoint host, e.g. configs.\"mirror.example.com:5000\".";

    ConfigNotForEndpoint = "config-not-for-endpoint", Warning, Offline,
    "auth/TLS is keyed by the registry name (or another port) while the mirror endpoint that is actually contacted has no configs entry.",
    "Mirror endpoints get their auth and TLS from configs.<endpoint host[:port]> (k3s: config.go
`configForHost` with the endpoint's URL host, port included), and containerd asks for credentials
with the request URL host, port included (ctrd: authorizer.go). Settings under the mirror's
registry name only apply to requests to that registry itself (the upstream fallback and images
named after it). Also reported: an endpoint on host:port whose configs entry is written without
the port (or with another one), and configs.\"registry-1.docker.io\".tls without a docker.io
mirror or configs entry (only images literally named registry-1.docker.io/... use it).
Warning, not error: the settings do apply to something, which is rarely what was meant
(k3s#11185, k3s#4637).

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://harbor.example.com:443/v2\"]
    configs:
      harbor.example.com:
        auth: {username: u, password: p}
Fine:
    configs:
      \"harbor.example.com:443\":
        auth: {username: u, password: p}

Fix: add a configs entry keyed exactly by the endpoint's host[:port].";

    HostsTomlInvalid = "hosts-toml-invalid", Error, Offline,
    "containerd cannot decode a hosts.toml (K3s wrote a rewrite or endpoint unescaped, or the file is hand-written): it ignores the whole file.",
    "containerd decodes hosts.toml with go-toml/v2 (v2.3.0 in current K3s, v2.2.4 in K3s v1.34.3:
K3s's go.mod picks the version) into its hostFileConfig struct, then checks each host
(ctrd: hosts.go `parseHostsFile`, `parseHostConfig`). Any error - a TOML syntax error as go-toml
sees it, a value of the wrong type, an unknown capability, a bad duration, a server URL that does
not parse - makes it log `failed to decode hosts.toml` and fall back to the registry's own host:
no mirrors, no TLS, no rewrites, even with --disable-default-registry-endpoint (ctrd: hosts.go
`loadHostDir`). go-toml's syntax is not TOML 1.0's: `\\e` is an escape, `\\x` is not, and an inline
table may span lines only inside a value (a multi-line string, an array).

K3s's template inserts rewrite patterns, replacements and endpoint URLs raw between double
quotes (k3s: templates.go HostsTomlTemplate: `\"{{ $pattern }}\" = \"{{ $replace }}\"`,
`[host.\"{{ .URL }}\"]`), so a backslash or a double quote in them can break the file. audit
renders each hosts.toml as K3s would and decodes it as containerd does; explain says which
image pulls fall back. With --hosts-dir both read the node's files.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
        rewrite:
          '^library/(.*)\\.x$': 'lib/$1'
Fine:
          '^library/(.*)[.]x$': 'lib/$1'

Fix: avoid \\ and \" in rewrites (use [.] instead of \\.), or double every backslash.";

    HostsTomlValueChanged = "hosts-toml-value-changed", Error, Offline,
    "K3s writes a rewrite or endpoint unescaped into hosts.toml and TOML reads it back as another value: containerd uses a pattern or URL nobody wrote.",
    "K3s inserts rewrite patterns, replacements and endpoint URLs raw between double quotes
(k3s: templates.go HostsTomlTemplate). A backslash followed by b t n f r e \" or u is a TOML
escape, so the file still decodes, but containerd reads a different string: \\b becomes a
backspace, \\e an escape character, and the rewrite pattern (or the URL) containerd uses is not
the one written. Doubling every backslash (\\\\.) is the workaround: TOML unescapes it to the
intended \\.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
        rewrite:
          '^library/(.*)\\b': 'lib/$1'
Fine:
          '^library/(.*)\\\\b': 'lib/$1'

Fix: avoid backslashes in rewrites and endpoints, or double every one of them.";
    HostsDirUnreadable = "hosts-dir-unreadable", Error, HostsDir,
    "An entry of the hosts directory containerd looks up is not a readable directory (a regular file, an unreadable entry): every pull from that registry fails.",
    "containerd takes the first of certs.d/<host>_<port>_, certs.d/<host> and certs.d/_default that
`os.Stat` finds (ctrd: config_unix.go `hostPaths`, hosts.go `HostDirFromRoot`); a regular file
counts. `loadHostDir` then reads <entry>/hosts.toml, gets ENOTDIR, which is not \"does not
exist\", and returns it: `ConfigureHosts` fails, and so does every pull from the registry,
before any request. A stat error other than \"does not exist\" (permissions) fails the same
way. explain says so for the image's registry; audit --hosts-dir for every such entry.

Triggers: --hosts-dir certs.d where certs.d/docker.io is a regular file (a hosts.toml copied
one level too high).
Fine: certs.d/docker.io/hosts.toml.

Fix: make the entry a readable directory holding hosts.toml, or remove it.";

    HeaderInvalid = "header-invalid", Error, HostsDir,
    "A hosts.toml header has a name or value Go's HTTP client refuses (a newline, a control character): containerd never reaches that host.",
    "containerd adds a host's `header` table to every request to it, as written (ctrd: hosts.go
`parseHostConfig`, resolver.go). Go's HTTP client checks every header before sending (Go 1.24
net/http transport.go `validateHeaders`, httpguts `ValidHeaderFieldName`,
`ValidHeaderFieldValue`): a name that is not a token, or a value holding a control character
other than tab - a multi-line TOML string is the usual way - fails the request with `net/http:
invalid header field value for \"X-A\"`. containerd logs \"trying next host\" and goes on: the
host is never contacted, and the pull fails if it was the last. The file itself decodes, so
nothing else says so. K3s never writes headers; this is about hand-written files (--hosts-dir).

Triggers:
    [host.\"https://mirror.example.com/v2\"]
      header = {X-A = \"\"\"a
    b\"\"\"}
Fine:
      header = {X-A = \"a b\"}

Fix: keep header values on one line without control characters; header names are tokens.";

    NoResolveHosts = "no-resolve-hosts", Error, HostsDir,
    "No host of a registry has the pull and resolve capabilities: pulls by tag fail with \"no resolve hosts: not found\".",
    "containerd asks only hosts with both the pull and resolve capabilities to resolve a tag (a
digest needs pull only) (ctrd: resolver.go `Resolve`, `hosts.Filter`). K3s writes pull and
resolve for every mirror and pull, resolve, push for `server`; a hand-written hosts.toml whose
hosts all have `capabilities = [\"pull\"]` and no `server` leaves none, and every pull by tag
fails.

Triggers:
    [host.\"https://mirror.example.com\"]
      capabilities = [\"pull\"]
Fine:
      capabilities = [\"pull\", \"resolve\"]

Fix: give at least one host the pull and resolve capabilities.";

    ConfigPathUnset = "config-path-unset", Error, ContainerdConfig,
    "config.toml sets no registry config_path: containerd reads no hosts directory, so no mirror, TLS setting or rewrite applies.",
    "The CRI plugin reads hosts directories only under the `config_path` of its registry table
(plugins.'io.containerd.cri.v1.images'.registry in version 3,
plugins.\"io.containerd.grpc.v1.cri\".registry in version 2) (ctrd: internal/cri/server/images
`registryHosts`). Without it every registry is pulled from its own host with default TLS. K3s
always writes config_path; a hand-edited config.toml.tmpl can lose it.

Triggers: --containerd-config with a config.toml whose registry table has no config_path.
Fine:
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = \"/var/lib/rancher/k3s/agent/etc/containerd/certs.d\"

Fix: set config_path to the certs.d directory.";

    RewriteInvalidRegex = "rewrite-invalid-regex", Error, Offline,
    "A rewrite pattern is not valid Go (RE2) syntax; containerd skips it and the image is requested unrewritten.",
    "The K3s containerd fork compiles each rewrite with Go's regexp.Compile when resolving, logs
`Failed to compile rewrite` and skips the pattern (fork: resolver.go `withRewritesFromHost`), so
the repository goes to the mirror unrewritten. The pattern checked is the one containerd reads
from hosts.toml, after TOML unescaping: `\\e` in registries.yaml reaches containerd as an escape
character, which Go accepts. Go's RE2 syntax has no look-around, no
back-references, no \\Z, \\C, \\e or (?x), and limits repeat counts to 1000. audit uses a port of
Go 1.24's regexp/syntax parser (not Rust's regex crate, which disagrees in both directions).

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
        rewrite:
          '^(?!library/)(.*)': 'x/$1'
Fine:
          '^library/(.*)': 'x/$1'

Fix: RE2 has no look-around or back-references; rewrite with anchored alternatives.";

    RewriteIgnored = "rewrite-ignored", Error, Offline,
    "With --containerd upstream or 1.6, rewrite tables are ignored: mirrors are asked for the original repository.",
    "Only K3s's containerd fork reads `[host.\"…\".rewrite]` from hosts.toml (fork: hosts.go
`hostFileConfig.Rewrites`, resolver.go `withRewritesFromHost`). Stock containerd has no such
field (ctrd: v2.1.5 and v1.6.20 hosts.go `hostFileConfig`): go-toml skips the unknown key, and
every endpoint is asked for the image's own repository. Reported when audit models a stock
containerd (`--containerd upstream` or `--containerd 1.6`).

Triggers (with --containerd 1.6):
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
        rewrite:
          '^library/(.*)': 'mirrored/$1'
Fine: the same with --containerd k3s (the default).

Fix: mirror the repositories under their original names, or run K3s's own containerd.";

    TlsKeyWithoutCert = "tls-key-without-cert", Error, Offline,
    "key_file is set without cert_file: containerd fails every pull from that registry.",
    "K3s writes `client = [[\"\", \"<key_file>\"]]` (k3s: templates.go). containerd makes the empty
certificate path absolute against the hosts directory, tries to read a directory, and fails
with `unable to read CERT file ... is a directory` (ctrd: hosts.go `updateTLSConfigFromHost`).
TLS errors abort the whole host configuration, so every pull from that registry fails, on every
endpoint. explain reports an empty certificate path read from any hosts.toml with this code.

Triggers:
    configs:
      registry.example.com:
        tls: {key_file: /etc/ssl/client.key}
Fine:
        tls: {cert_file: /etc/ssl/client.crt, key_file: /etc/ssl/client.key}

Fix: set cert_file too (or remove key_file).";

    TlsCertWithoutKey = "tls-cert-without-key", Error, Offline,
    "cert_file is set without key_file: K3s writes an empty key path, which containerd resolves to the hosts directory: every pull from that registry fails.",
    "K3s writes `client = [[\"<cert_file>\", \"\"]]` (k3s: templates.go, the `client` line prints
both fields whenever either is set). containerd turns every element of a client pair into an
absolute path against the hosts.toml's directory (ctrd: hosts.go `parseHostConfig` ->
`makeStringSlice(p, makeAbsPath)`), and `filepath.Join(dir, \"\")` is that directory, so the key
path is `certs.d/<host>` itself and `os.ReadFile` fails (`unable to read CERT file ...: is a
directory`): every pull from the registry fails. Only the single-string form `client =
\"<cert>\"`, which K3s never writes, makes containerd read the key from the certificate file.
explain reports an empty key path read from any hosts.toml with this code.

Triggers:
    configs:
      registry.example.com:
        tls: {cert_file: /etc/ssl/client.crt}
Fine:
        tls: {cert_file: /etc/ssl/client.crt, key_file: /etc/ssl/client.key}

Fix: set key_file too (for a combined certificate+key PEM, name the same file twice), or remove
cert_file.";

    TlsRelativePath = "tls-relative-path", Error, Offline,
    "A TLS path is relative: containerd resolves it inside `certs.d/<host>/`, which K3s recreates empty at every start.",
    "K3s copies the path as written. containerd resolves relative ca/client paths against the
directory of the hosts.toml (ctrd: hosts.go `makeAbsPath`), and K3s deletes and recreates that
directory at every start (k3s: config.go `cleanContainerdHosts`), so the file can never be
there: every pull from the registry fails with `unable to read CA cert`.

Triggers:
    configs:
      registry.example.com:
        tls: {ca_file: certs/ca.pem}
Fine:
        tls: {ca_file: /etc/rancher/k3s/certs/ca.pem}

Fix: use an absolute path.";

    TlsFileUnusable = "tls-file-unusable", Error, CheckFiles,
    "A TLS file does not exist, is not readable, is a directory, or holds no usable PEM: every pull from that registry fails.",
    "K3s never looks at the files; containerd reads them at pull time and any failure aborts the
host configuration (ctrd: hosts.go `updateTLSConfigFromHost`: `unable to read CA cert`, `unable
to load CA cert`, `unable to read CERT file`, `failed to load X509 key pair`), so every pull from
that registry fails, on every endpoint. With --check-files audit checks each absolute path:
readable regular file; ca_file and cert_file hold a PEM CERTIFICATE block; key_file (or a
cert_file without key_file) holds an unencrypted PEM private key. Whether certificate and key
match is not checked. Run it on the node (or against its root file system). explain reports a
`ca` path that containerd resolves to the hosts directory itself (an empty `ca` in hosts.toml).

Triggers: configs.registry.example.com.tls.ca_file: /nope.pem with --check-files.
Fine: an existing PEM CA.

Fix: fix the path or the PEM; the file is read at pull time, not at K3s start.";

    RegistryKeyInvalid = "registry-key-invalid", Error, Offline,
    "A mirrors/configs key can never match an image's registry (a URL, a path, a pattern, a single-label mirror name), or K3s skips it.",
    "Keys are registry names exactly as image references spell them (host[:port]); containerd
looks up certs.d/<registry> by exact name (ctrd: config_unix.go `hostPaths`) and K3s uses the
key as the directory name (k3s: config.go). Errors:
  - a scheme (`https://docker.io`): the directory is certs.d/https:/docker.io, never looked up;
  - a `/` (`reg.io/project`): a nested directory, never looked up; K3s also creates
    certs.d/reg.io/ without a hosts.toml, which containerd picks for reg.io images (default host
    only, shadowing `*`) and which survives K3s's clean-up;
  - a `*` other than the whole key (`*.example.com`): containerd has no pattern matching;
  - a single lowercase label that is not localhost, as a mirror key (`my_gcr`): image names
    treat it as a Docker Hub namespace (distribution/reference `splitDockerDomain`);
  - index.docker.io: image references normalise it to docker.io;
  - a key K3s rejects (`Failed to generate config for registry`, k3s: config.go) and skips.
Warnings: registry-1.docker.io as a mirror key (only images literally named so use it),
uppercase letters (the lookup is case-sensitive), an explicit default port :443/:80 (images
rarely carry it, and reg:443 is not reg).

Triggers:
    mirrors:
      \"https://docker.io\":
        endpoint: [\"https://mirror.example.com\"]
Fine:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]

Fix: use the registry host[:port] exactly as it appears in image names (docker.io for Docker
Hub).";

    EndpointInvalid = "endpoint-invalid", Error, Offline,
    "An endpoint is dropped by K3s as an invalid URL, or kept in a form containerd cannot use.",
    "K3s parses each endpoint with Go's url.Parse after prepending `//` to scheme-less values and
skips the ones that fail, logging `Ignoring invalid endpoint URL` (k3s: config.go
`getHostConfigs`): a bad port, a space, backslash or brace in the host, a bad % escape, a control
character. If every endpoint of a mirror is dropped, its registry is pulled from upstream.
Kept but unusable: an empty host (\"\", `https://`, a null list item) gives `https:///v2`; a
missing colon (`https//reg.io`) makes `https` the host; a scheme other than http/https makes
containerd prefix `https://` (ctrd: hosts.go `parseHostConfig`). A query or fragment is kept by
K3s and ignored by containerd (warning).

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https//mirror.example.com\"]
Fine:
        endpoint: [\"mirror.example.com:5000\", \"http://10.0.0.5:5000/v2\"]

Fix: write endpoints as scheme://host[:port][/v2].";

    EndpointUserinfo = "endpoint-userinfo", Error, Offline,
    "An endpoint URL embeds user:password; containerd ignores it, and K3s copies the password into hosts.toml.",
    "K3s writes the endpoint URL as parsed into `[host.\"...\"]` of hosts.toml (mode 0644, in a
0700 directory; k3s: config.go `writeContainerdHosts`); containerd keeps only the host of the
server URL, so the credentials are never sent, only stored (ctrd: hosts.go).

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://user:secret@mirror.example.com\"]
Fine:
        endpoint: [\"https://mirror.example.com\"]
    configs:
      mirror.example.com:
        auth: {username: user, password: secret}

Fix: move the credentials to configs.\"<host>\".auth.";

    AuthsIgnored = "auths-ignored", Error, Offline,
    "The top-level `auths` section is parsed but never used by K3s.",
    "wharfie's Registry type still has the deprecated `auths` map, so yaml.v2 reads it (and can fail
on it), but nothing in K3s reads Registry.Auths and the templates do not print it
(wharfie: types.go \"DEPRECATED\"; k3s: no use in pkg/).

Triggers:
    auths:
      registry.example.com: {username: u, password: p}
Fine:
    configs:
      registry.example.com:
        auth: {username: u, password: p}

Fix: move the entries to configs.\"<host>\".auth.";

    AuthIncomplete = "auth-incomplete", Error, Offline,
    "An auth block has a username without password, a password without username, or nothing: the pull is anonymous or fails.",
    "containerd's ParseAuth (ctrd: image_pull.go) returns (username, password) when username is
set, else the identity token, else the decoded `auth`, else nothing. A username without
password fails Basic challenges (`no basic auth credentials`) and gets an anonymous token for
Bearer ones; a password alone is never sent; an empty `auth: {}` is anonymous, yet K3s still
writes an empty auth table and a hosts.toml for the registry (which shadows `*`).

Triggers:
    configs:
      registry.example.com:
        auth: {password: p}
Fine:
        auth: {auth: dTpw}     # base64 of u:p

Fix: set username and password together (or only auth, or only identity_token).";

    AuthInvalidBase64 = "auth-invalid-base64", Error, Offline,
    "auth is not base64 of \"user:password\": containerd fails the pull.",
    "When username and identity_token are empty, containerd decodes `auth` with Go's
base64.StdEncoding (padding required; CR and LF skipped) and splits it at the first `:`
(ctrd: image_pull.go `ParseAuth`). A decode error or a missing `:` is returned from the
credential callback and the pull fails (k3s#12438: a raw token put into `auth`). explain says
the same of a node's config.toml. The value
itself is never shown in findings.

Triggers:
    configs:
      registry-1.docker.io:
        auth: {auth: dckr_pat_xyz}
Fine:
        auth: {auth: dTpw}

Fix: use username/password, or auth: $(printf user:pass | base64).";

    AuthFieldsConflict = "auth-fields-conflict", Warning, Offline,
    "Several credential forms are set; containerd uses one (username > identity_token > auth) and ignores the rest.",
    "containerd's ParseAuth takes username/password if username is set, else identity_token, else
auth (ctrd: image_pull.go). The others are silently ignored.

Triggers:
    configs:
      registry.example.com:
        auth: {username: u, password: p, auth: eDp5}
Fine:
        auth: {username: u, password: p}

Fix: keep one credential form.";

    IdentityTokenSemantics = "identity-token-semantics", Warning, Offline,
    "identity_token is sent as an OAuth2 refresh token; personal access tokens and Basic-auth registries reject it.",
    "With no username, ParseAuth returns (\"\", identity_token) (ctrd: image_pull.go); for a Bearer
challenge containerd then does an OAuth2 POST with grant_type=refresh_token
(ctrd: auth/fetch.go `FetchTokenWithOAuth`), and a Basic challenge fails with `no basic auth
credentials`. A personal access token or API key is a password, not a refresh token. Warning:
the token type cannot be told offline.

Triggers:
    configs:
      registry-1.docker.io:
        auth: {identity_token: dckr_pat_x}
Fine:
        auth: {username: me, password: dckr_pat_x}

Fix: for personal access tokens use username + password: <token>.";

    DefaultEndpointKept = "default-endpoint-kept", Warning, Offline,
    "With --disable-default-registry-endpoint, a registry in both mirrors and configs still falls back to upstream.",
    "getHostConfigs first builds an entry (with the default endpoint) for every configs key; the
mirrors loop reuses that entry and only clears the default endpoint for entries it creates
itself (k3s: config.go `getHostConfigs`), so `server` stays in hosts.toml and containerd falls
back to the registry after the mirrors. Warning: configuring the upstream's TLS or auth may be
intended.

Triggers (with --disable-default-registry-endpoint):
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
    configs:
      docker.io:
        tls: {insecure_skip_verify: true}
Fine: the same without the configs.docker.io entry.

Fix: move the TLS/auth to the mirror endpoint's host, or accept the fallback.";

    DisableDefaultNoEffect = "disable-default-no-effect", Warning, Offline,
    "With --disable-default-registry-endpoint, a mirror without usable endpoints gets no hosts.toml, so containerd pulls from upstream anyway.",
    "A mirror whose entry ends up with no endpoints (none listed, all invalid or duplicate) and no
configuration is deleted by getHostConfigs (k3s: config.go, final clean-up), so no directory is
written and containerd uses the registry's own host (or `_default`).

Triggers (with --disable-default-registry-endpoint):
    mirrors:
      docker.io:
Fine: the same with --embedded-registry (the embedded registry becomes the endpoint).

Fix: list at least one mirror endpoint for the registry.";

    WildcardNoFallback = "wildcard-no-fallback", Warning, Offline,
    "With --disable-default-registry-endpoint, every registry without its own entry can only be pulled through the \"*\" endpoints.",
    "For `*` K3s writes _default/hosts.toml with the endpoints and, with the flag, no `server`
line; the fork's hosts.go then adds no root entry (forkfix: hosts.go `parseHostsFile`), so
registries without a directory of their own are pulled only through those endpoints (with
--embedded-registry alone: only from peers).

Triggers (with --disable-default-registry-endpoint):
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]
Fine: the same without the flag (K3s writes server = \"\", which keeps the fallback).

Fix: list registries that must reach upstream with their own URL as an endpoint.";

    DisableDefaultIgnored = "disable-default-ignored", Warning, Offline,
    "With --containerd upstream or 1.6, --disable-default-registry-endpoint has no effect: the registry itself is still tried last.",
    "With the flag K3s writes no `server` line for mirrored registries (k3s: config.go
`getHostConfigs`). Only K3s's containerd fork then leaves the registry's own endpoint out
(fork: hosts.go `parseHostsFile`, `getTopLevelKeyValues`); stock containerd parses the root
entry and appends it whether or not `server` is there (ctrd: v2.1.5 hosts.go `parseHostsFile`,
v1.6.20 the same), and fills in the registry's own host, so every pull falls back to it after
the mirrors. Reported when audit models a stock containerd (`--containerd upstream` or
`--containerd 1.6`).

Triggers (with --disable-default-registry-endpoint --containerd 1.6):
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\"]
Fine: the same with --containerd k3s (the default).

Fix: run K3s's own containerd, or block the registry's own host on the network.";

    WildcardShadowed = "wildcard-shadowed", Warning, Offline,
    "A registry with its own certs.d directory does not use the \"*\" mirror.",
    "containerd looks for certs.d/<host> (and <host>_<port>_) before _default and stops at the first
directory that exists, without merging (ctrd: config_unix.go `hostPaths`, hosts.go
`HostDirFromRoot`). Any mirrors entry with endpoints, any configs entry with auth or tls (even
auth: {}) gives a registry its own directory, so it no longer uses the `*` endpoints. E.g. a
configs.docker.io.auth (dead, see auth-never-used) still creates certs.d/docker.io.

Triggers:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]
    configs:
      ghcr.io:
        auth: {username: u, password: p}
Fine: configs.ghcr.io with a null value (no directory).

Fix: repeat the wildcard endpoints under mirrors.\"<registry>\" if it should use them.";

    CredentialsOverHttp = "credentials-over-http", Warning, Offline,
    "Credentials reach an endpoint over plain HTTP (or can, when its HTTPS attempt fails): they travel in cleartext.",
    "Basic credentials (or the bearer token obtained with them) are sent with every request to the
endpoint; over http:// they are readable on the network. If the host also has TLS settings and
its port is not 80, containerd tries HTTPS first and falls back to HTTP when the server answers
in plain HTTP or the handshake times out (ctrd: hosts.go `ConfigureHosts`, `NewHTTPFallback`):
the credentials can then be sent in cleartext. Loopback endpoints are not reported. audit and
explain decide this from the same model of containerd, by the request host.

Triggers:
    mirrors:
      registry.local:5000:
        endpoint: [\"http://registry.local:5000\"]
    configs:
      registry.local:5000:
        auth: {username: u, password: p}
Fine: https, or http://127.0.0.1:5000.

Fix: serve the registry over TLS (ca_file for a private CA).";

    InsecureSkipVerify = "insecure-skip-verify", Warning, Offline,
    "TLS verification is disabled for a host; with credentials they can be intercepted.",
    "K3s writes `skip_verify = true`; containerd then accepts any certificate for the host. It does
not make a scheme-less endpoint speak plain HTTP.

Triggers:
    configs:
      registry.example.com:
        tls: {insecure_skip_verify: true}
Fine:
        tls: {ca_file: /etc/rancher/k3s/registry-ca.crt}

Fix: prefer ca_file with the registry's CA.";

    EndpointSelfReference = "endpoint-self-reference", Warning, Offline,
    "A mirror lists the registry's own URL before other endpoints (or in another spelling): upstream is tried twice, or rewritten (info when listed last).",
    "K3s moves the registry's own URL into `server` only when it is the last endpoint (k3s:
config.go: \"if the last endpoint is the default endpoint, move it there\"). Listed earlier, it
becomes a [host] entry tried at that position, with the mirror's rewrites applied to upstream,
and `server` appends upstream again at the end. The same host with another scheme or port
spelling (http://reg:5000 for key reg:5000, whose default is https) is not recognised as the
default either. Listed last, it is folded into `server` and its rewrites are not rendered
(info); with --disable-default-registry-endpoint it stays a [host] entry, the documented way to
keep upstream, and is not reported.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"docker.io\", \"https://mirror.example.com\"]
Fine:
        endpoint: [\"https://mirror.example.com\", \"docker.io\"]     # info only

Fix: put the registry's own URL last, or remove it (it is the default anyway).";

    EndpointPathOverride = "endpoint-path-override", Warning, Offline,
    "An endpoint path other than /v2 is used as the registry API root (override_path), not as a repository prefix.",
    "For a path other than \"\", / or /v2, K3s keeps the path and sets override_path = true
(k3s: config.go `normalizeEndpointAddress`); containerd then uses it verbatim as the API root
without adding /v2. /dockerhub returns HTML errors (k3s#5502); /v2/<project> for a Harbor proxy
gets 401s because the token scope is the unprefixed repository. /v2/ is not reported: containerd
cleans it to /v2.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://harbor.example.com/dockerhub\"]
Fine:
        endpoint: [\"https://harbor.example.com/v2\"]
        rewrite: {'(.*)': 'dockerhub/$1'}

Fix: use https://host/v2 plus a rewrite to prefix repositories.";

    EndpointDuplicate = "endpoint-duplicate", Warning, Offline,
    "Two endpoints of a mirror are the same URL after K3s normalises them; the later one is skipped.",
    "K3s normalises each endpoint (scheme, docker.io host, /v2 path) and skips a URL it has already
seen, logging `Skipping duplicate endpoint URL` (k3s: config.go `getHostConfigs`). If the skipped
one was last, the registry's own URL is not folded into `server`.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"https://mirror.example.com\", \"mirror.example.com\"]
Fine:
        endpoint: [\"https://mirror.example.com\", \"http://mirror.example.com\"]

Fix: remove the duplicate (K3s before March 2024 rejected the whole file).";

    RewriteUnused = "rewrite-unused", Warning, Offline,
    "A mirror's rewrites are never applied: it has no endpoint that receives them.",
    "Rewrites are rendered only on [host] entries (k3s: templates.go) and are never applied to the
default endpoint; K3s does not copy them to the embedded registry's endpoint (k3s: config.go), and
the registry's own URL listed last is folded into `server`, losing them.

Triggers:
    mirrors:
      docker.io:
        rewrite: {'^library/(.*)': 'mirror/$1'}
Fine:
        endpoint: [\"https://registry-1.docker.io:443\"]     # :443 is not folded
        rewrite: {'^library/(.*)': 'mirror/$1'}

Fix: add the target registry as an endpoint (use :443 to target upstream itself).";

    RewriteReplacementSuspicious = "rewrite-replacement-suspicious", Warning, Offline,
    "A rewrite replacement references a group the pattern does not define, or produces an invalid repository name.",
    "containerd applies rewrites with Go's ReplaceAllString, whose $name expansion takes the longest
run of letters, digits and _ (so $1abc is group \"1abc\") and expands unknown groups to nothing
(Go regexp.go `expand`/`extract`). A result starting with / or holding uppercase letters is not a
valid repository name.

Triggers:
    rewrite: {'^library/(.*)': '$1mirror'}
Fine:
    rewrite: {'^library/(.*)': '${1}mirror'}

Fix: use ${1} when a group number is followed by letters, digits or _.";

    RewriteOrderNondeterministic = "rewrite-order-nondeterministic", Warning, Offline,
    "Two rewrite patterns of a mirror can match the same repository; containerd picks one at random for every request, so one pull can mix both.",
    "The fork ranges over the rewrite map (fork: resolver.go `withRewritesFromHost`), and Go map
iteration order is random: the first pattern that changes the repository wins, and the map is
ranged anew for every request (rke2#3227), so one pull can send its manifest and blob requests to
different repositories and fail with not found. K3s renders the keys sorted, which suggests an order that does not exist. Patterns
are reported unless all are `^` followed by a literal prefix and no prefix is a prefix of
another.

Triggers:
    rewrite: {'(.*)': 'a/$1', '^library/(.*)': 'b/$1'}
Fine:
    rewrite: {'^library/(.*)': 'b/$1', '^bitnami/(.*)': 'c/$1'}

Fix: make the patterns mutually exclusive (anchor them with distinct prefixes).";

    MergeKeyOrder = "merge-key-order", Warning, Offline,
    "A `<<:` merge written after explicit keys overrides them (yaml.v2 applies merges in place).",
    "yaml.v2 decodes `<<` where it appears (yaml: decode.go `mappingStruct`/`mapping` call `merge`
in order), so a merge after an explicit key overwrites it, contrary to the YAML merge-key
specification, where explicit keys win.

Triggers:
    base: &b {username: a, password: p}
    configs:
      registry.example.com:
        auth: {username: me, <<: *b}     # username becomes a
Fine:
        auth: {<<: *b, username: me}

Fix: put `<<:` first in the mapping.";

    ClusterDnsEndpoint = "cluster-dns-endpoint", Warning, Offline,
    "An endpoint uses a cluster DNS name (.svc, .cluster.local), which containerd on the node usually cannot resolve.",
    "containerd runs on the host and resolves with the host's resolver, not CoreDNS (k3s#10358), so
Service names do not resolve unless the host is set up for it. (Heuristic, not verified at run
time.)

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"http://registry.kube-system.svc.cluster.local:5000\"]
Fine: a NodePort, hostPort, load-balancer IP or a name in /etc/hosts.

Fix: use a node-reachable address.";

    SecretsFilePermissions = "secrets-file-permissions", Warning, CheckFiles,
    "A file holding registry credentials is readable by group or others (registries.yaml; config.toml with `--containerd-config`: K3s writes it 0644).",
    "registries.yaml with a password, auth or identity_token (or an endpoint with user:password) that
group or others can read leaks the credentials. K3s writes config.toml with mode 0644
(k3s: pkg/agent/util/file.go `WriteFile`), but inside <data-dir>/agent, which it creates 0700
(k3s: pkg/agent/run.go), so the rendered credentials are protected unless a directory above was
loosened: with --containerd-config, audit also reports a node config.toml holding credentials
that others can read through every directory above it.

Triggers: mode 0644 registries.yaml with a password, with --check-files.
Fine: mode 0600.

Fix: chmod 600 the file.";

    UnmanagedHostsDir = "unmanaged-hosts-dir", Warning, HostsDir,
    "A certs.d directory on the node will be deleted by K3s, or is not managed by K3s and overrides what registries.yaml says.",
    "At every start K3s deletes the directory of every registry it writes (user files in it
included), then every directory whose hosts.toml starts exactly with its header line (k3s:
config.go `cleanContainerdHosts`). Other directories survive: containerd prefers
certs.d/<host>_<port>_ and certs.d/<host> over _default (ctrd: config_unix.go `hostPaths`), so a
leftover directory overrides the \"*\" mirror, or K3s's own directory for that registry. A
directory whose hosts.toml header differs from K3s's by a byte is never cleaned up.

Triggers: --hosts-dir certs.d holding a hand-written docker.io/ while registries.yaml has
mirrors.\"*\".
Fine: directories K3s wrote, for registries still configured.

Fix: manage the registry through registries.yaml, or rename/remove the directory.";

    ImageNamesDockerHubHost = "image-names-registry-1-docker-io", Warning, Image,
    "The image names registry-1.docker.io instead of docker.io: no docker.io mirror, rewrite or TLS setting applies.",
    "containerd picks the hosts directory by the registry name in the image reference (ctrd:
config_unix.go `hostPaths`): registry-1.docker.io/... looks up certs.d/registry-1.docker.io,
never certs.d/docker.io, and distribution/reference adds library/ only for docker.io names.

Triggers: explain registry-1.docker.io/library/nginx
Fine: explain nginx (docker.io/library/nginx)

Fix: write Docker Hub images as docker.io/<name> or just <name>.";

    RewriteMultipleMatches = "rewrite-multiple-matches", Warning, Image,
    "A rewrite pattern matches the image's repository more than once; ReplaceAllString replaces every match.",
    "The fork rewrites the repository with `Regexp.ReplaceAllString` (fork: resolver.go
`withRewritesFromHost`), which replaces every non-overlapping match, so an unanchored pattern
can rewrite a repository in several places.

Triggers:
    rewrite: {'a': 'b'}   with the image library/alpaca
Fine:
    rewrite: {'^library/(.*)': 'mirrored/$1'}

Fix: anchor the pattern (^...$) so it matches the repository once.";

    RewriteInvalidRepository = "rewrite-invalid-repository", Warning, Image,
    "A rewrite turns the image's repository into a name that is not a valid repository: the mirror will not find it.",
    "containerd requests <host>/v2/<rewritten>/manifests/<tag> with whatever the rewrite produced
(fork: resolver.go `withRewritesFromHost`); repository names are lower-case path components
separated by / (distribution/reference), and registries refuse others.

Triggers:
    rewrite: {'^library/(.*)': 'Mirrored/$1'}
Fine:
    rewrite: {'^library/(.*)': 'mirrored/$1'}

Fix: make the replacement produce lower-case path components separated by /.";

    RewriteNoMatch = "rewrite-no-match", Info, Image,
    "No rewrite rule of a host changes the image's repository: it is requested as written.",
    "The fork applies the first rule whose `ReplaceAllString` changes the repository (fork:
resolver.go `withRewritesFromHost`); when none does, the repository is requested unchanged.
Official Docker Hub images are library/<name>.

Triggers:
    rewrite: {'^bitnami/(.*)': 'mirrored/$1'}   with the image nginx (library/nginx)
Fine: the image bitnami/redis.

Fix: match the repository as containerd sees it (library/<name> for official images).";

    PlainHttpEndpoint = "plain-http-endpoint", Info, Offline,
    "An endpoint uses plain HTTP: pulls are unauthenticated and unencrypted in transit.",
    "containerd talks HTTP to http:// endpoints; image content is verified by digest, but tags,
manifests lists and the fact of the pull are visible and can be altered on the way. Loopback
endpoints are not reported; with credentials see credentials-over-http.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"http://10.0.0.5:5000\"]
Fine: http://localhost:5000, or https.

Fix: fine on trusted networks; otherwise use https.";

    EndpointSchemeDefaulted = "endpoint-scheme-defaulted", Info, Offline,
    "An endpoint has no scheme; K3s picks one (http only for loopback with a port other than 443).",
    "K3s gives scheme-less endpoints `http` when the host is loopback with a port other than 443
(and not the embedded registry), else `https` (k3s: config.go `normalizeEndpointAddress`). Its
explicit server = \"http://localhost:5000/v2\" means plain HTTP only. Warning when the port is 80:
HTTPS to port 80 rarely works.

Triggers:
    mirrors:
      docker.io:
        endpoint: [\"10.0.0.5:5000\"]
Fine:
        endpoint: [\"https://10.0.0.5:5000\"]

Fix: write the scheme explicitly (http:// for a plain-HTTP registry).";

    MirrorWithoutEndpoints = "mirror-without-endpoints", Info, Offline,
    "A mirrors entry has no endpoints and no configuration, so it changes nothing.",
    "A mirror with no endpoint, rewrite or configs entry gives getHostConfigs an entry with only the
default endpoint, which the final clean-up deletes (k3s: config.go; K3s test \"private registry
with default endpoint\" expects no file). With --embedded-registry the name alone enables
peer-to-peer sharing for the registry (k3s: pkg/spegel), so it is not reported then.

Triggers:
    mirrors:
      registry.example.com:
Fine: the same with --embedded-registry.

Fix: add endpoints, or remove the entry.";

    AirgapDefaultFallback = "airgap-default-fallback", Info, Offline,
    "Without --disable-default-registry-endpoint, containerd tries the public registry after all mirrors fail.",
    "Each mirrored registry keeps `server` (its own host; for `*`, server = \"\", the image's own
registry). On an air-gapped node every failed image then waits for the dial timeout
(ctrd: DefaultHTTPTransport, 30 s) and adds an upstream error to the pull error.

Triggers:
    mirrors:
      \"*\":
        endpoint: [\"https://mirror.example.com\"]
Fine: the same with --disable-default-registry-endpoint.

Fix: in air-gapped clusters start K3s with --disable-default-registry-endpoint.";

    RewriteDockerhubLibrary = "rewrite-dockerhub-library", Info, Offline,
    "A Docker Hub rewrite matches `^<name>` but official images are named `library/<name>`.",
    "Image references normalise `nginx` to docker.io/library/nginx (distribution/reference
`splitDockerDomain`), and rewrites match the repository path, so ^nginx never matches an official
image.

Triggers:
    mirrors:
      docker.io:
        rewrite: {'^nginx(.*)': 'x/nginx$1'}
Fine:
        rewrite: {'^library/nginx(.*)': 'x/nginx$1'}

Fix: match ^library/<name>.";

    Yaml11Boolean = "yaml-1.1-boolean", Info, Offline,
    "insecure_skip_verify is written yes/no/on/off/y/n: K3s reads a boolean, YAML 1.2 tools read a string.",
    "yaml.v2 resolves y, Y, yes, Yes, YES, on, On, ON, n, N, no, No, NO, off, Off, OFF as booleans
(yaml: resolve.go), so K3s reads them as intended; YAML 1.2 tools (yq, many linters) read strings,
and quoting them is fatal (see yaml-type-mismatch).

Triggers:
    configs:
      registry.example.com:
        tls: {insecure_skip_verify: yes}
Fine:
        tls: {insecure_skip_verify: true}

Fix: write true or false.";

    NonStringScalar = "non-string-scalar", Info, Offline,
    "An unquoted value or key looks like a number, boolean or date; K3s keeps the text, other YAML tools may not.",
    "For a string field yaml.v2 stores the scalar's literal text whatever it resolves to
(yaml: decode.go `scalar`): 0123, 1e3, 0x1F, .inf, yes, 2024-01-01 all arrive verbatim. Tools that
round-trip the file (yq, Ansible, Helm) may rewrite them (0123 becomes 83). Credential values are
not shown in findings.

Triggers:
    configs:
      registry.example.com:
        auth: {username: u, password: 0123}
Fine:
        auth: {username: u, password: \"0123\"}

Fix: quote it.";

    K3sRefusesConfig = "k3s-refuses-config", Error, Node,
    "K3s's config file, drop-ins or service flags hold something K3s refuses: it does not start.",
    "K3s reads /etc/rancher/k3s/config.yaml and config.yaml.d/*.yaml with yaml.v2 into a MapSlice and
turns every key into a flag placed right after `server` or `agent` (k3s: pkg/configfilearg
parser.go `readConfigFile`); urfave/cli then parses them with K3s's own flags. A file yaml.v2
refuses makes K3s exit (`MustParse`); so does a boolean Go's strconv.ParseBool does not take
(`selinux: \"yes\"` quoted: `invalid boolean value`), and on an agent a server-only flag such as
embedded-registry (`flag provided but not defined`: `k3s agent` drops no unknown config keys,
only `k3s server` does). With --container-runtime-endpoint the embedded registry refuses to start
(k3s: pkg/agent/run.go: `embedded registry mirror requires embedded containerd`).

Triggers (config.yaml of an agent):
    embedded-registry: true
Fine: set embedded-registry on the servers; agents take it from them.

Fix: correct the file or flag named in the finding.";

    ExternalContainerRuntime = "external-container-runtime", Error, Node,
    "K3s is set to use another container runtime (--container-runtime-endpoint, --docker): it ignores registries.yaml.",
    "With --container-runtime-endpoint (or --docker) K3s starts no containerd of its own
(k3s: pkg/agent/run.go `startCRI`): it never runs SetupContainerdConfig, so it writes neither
config.toml nor certs.d, and the mirrors, rewrites, TLS settings and credentials of
registries.yaml reach no runtime. Pulls go through the external runtime's own registry settings.

Triggers (config.yaml):
    container-runtime-endpoint: /run/containerd/containerd.sock

Fix: configure registries in that runtime, or drop the setting to use K3s's containerd.";

    UserTemplate = "user-template", Warning, Node,
    "K3s renders config.toml from a user template (config-v3.toml.tmpl or config.toml.tmpl), not from its built-in one.",
    "K3s tries <data-dir>/agent/etc/containerd/config-v3.toml.tmpl, then config.toml.tmpl, and renders
the first it finds instead of its template, with the built-in template of that generation defined
as \"base\" (k3s: pkg/agent/containerd/config.go `writeContainerdConfig`, templates.go
`ParseTemplateFromConfig`). This tool does not execute Go templates: its config.toml is the
built-in one, and a template holding only {{ template \"base\" . }} is the one case that is the
same byte for byte. The other template-* findings say what the template likely breaks.

Triggers: <data-dir>/agent/etc/containerd/config-v3.toml.tmpl with anything but the base.

Fix: keep the template to {{ template \"base\" . }} plus additions in tables the base does not
have, or put additions in the imported drop-in directory (config-v3.toml.d) since v1.34.6.";

    TemplateParseError = "template-parse-error", Error, Node,
    "Go's text/template refuses the user template (an unknown function, an unclosed action): K3s panics at start.",
    "K3s parses the user template with template.Must (k3s: templates.go `ParseTemplateFromConfig`),
which panics on a parse error. The functions a template may call are Go's builtins and K3s's
(templates_linux.go): deschemify and toJson, plus filepathjoin from the imports era (v1.33.10,
v1.34.6, v1.35.3) on; a template copied from a newer K3s that calls filepathjoin makes an older one
crash.

Triggers (config-v3.toml.tmpl on K3s v1.34.3):
    imports = [{{ filepathjoin .NodeConfig.Containerd.Template \"x.d\" \"*.toml\" | printf \"%q\" }}]

Fix: call only functions the node's release has; close every {{ with }}.";

    TemplateDropsConfigPath = "template-drops-config-path", Error, Node,
    "The user template does not include the base and sets no config_path: containerd reads no certs.d, so every mirror in registries.yaml is ignored.",
    "K3s writes its hosts.toml files under <data-dir>/agent/etc/containerd/certs.d and points
containerd there with `config_path` in config.toml. A template without {{ template \"base\" . }}
must print that itself (.NodeConfig.Containerd.Registry); without it containerd pulls every image
from its own registry, with no mirror, rewrite, TLS setting or embedded registry.

Triggers (config-v3.toml.tmpl):
    version = 3
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = \"registry.example.com/pause:3.10\"

Fix: add config_path = {{ printf \"%q\" .NodeConfig.Containerd.Registry }} under the registry
table of the right plugin, or build on {{ template \"base\" . }}.";

    TemplateDropsRegistryAuth = "template-drops-registry-auth", Error, Node,
    "The user template does not include the base and never prints the registries.yaml credentials: pulls that need them fail.",
    "K3s passes registries.yaml's configs.<host>.auth to containerd only through config.toml's
registry.configs.'<host>'.auth tables (k3s: templates.go, `range .PrivateRegistryConfig.Configs`);
hosts.toml carries no credentials. A template without the base that never reads
.PrivateRegistryConfig drops them all: registries that require a login answer 401.

Triggers: a config-v3.toml.tmpl with config_path but no registry.configs section, and
configs.<host>.auth in registries.yaml.

Fix: copy the auth section of K3s's template into yours, or build on {{ template \"base\" . }}.";

    TemplateWrongPluginNamespace = "template-wrong-plugin-namespace", Error, Node,
    "The user template puts the registry table under the CRI plugin of another config version, where containerd never reads it.",
    "containerd 2 reads registry settings from plugins.'io.containerd.cri.v1.images'.registry in a
version 3 config, and migrates plugins.\"io.containerd.grpc.v1.cri\".registry only from a version 2
config (ctrd: plugins/cri/images/plugin.go `configMigration`). A template that declares
version = 3 but keeps the version 2 table (typical of a config.toml.tmpl copied from K3s before
v1.31 and renamed config-v3.toml.tmpl) loses config_path and every credential; so does a file
with no version line (read as version 1).

Triggers (config-v3.toml.tmpl):
    version = 3
    [plugins.\"io.containerd.grpc.v1.cri\".registry]
      config_path = \"{{ .NodeConfig.Containerd.Registry }}\"

Fix: match the table to the template's `version` line.";

    TemplateDuplicateTable = "template-duplicate-table", Error, Node,
    "The user template adds a table {{ template \"base\" . }} already defines: containerd refuses config.toml.",
    "TOML forbids defining a table twice, and go-toml refuses such a file (`table ... already
exists`): containerd does not start. The base already has the registry table, the CRI plugin
tables and the runc tables; appending [plugins.'io.containerd.cri.v1.images'.registry] after
the base is the usual way to hit it.

Triggers (config-v3.toml.tmpl):
    {{ template \"base\" . }}
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = \"/etc/containerd/certs.d\"

Fix: put additions in tables the base lacks, or use the imported drop-in directory
(config-v3.toml.d/*.toml, merged key by key) on releases that have it.";

    TemplateDropsImports = "template-drops-imports", Warning, Node,
    "The user template has no imports line while drop-in files exist: containerd never reads them.",
    "From the imports era (v1.33.10, v1.34.6, v1.35.3) K3s's own templates start with
imports = [\"<data-dir>/agent/etc/containerd/config-v3.toml.d/*.toml\"] (config.toml.d for the
version 2 template). A template without {{ template \"base\" . }} and without imports makes the
drop-ins in that directory dead files.

Triggers: a config-v3.toml.tmpl without the base or an imports line, and files in
config-v3.toml.d/.

Fix: add the imports line, or build on {{ template \"base\" . }}.";

    DropinRegistrySettings = "dropin-registry-settings", Warning, Node,
    "A drop-in imported by config.toml sets registry settings: containerd uses them, and a restart of K3s does not rewrite them.",
    "containerd merges config.toml's imports (ctrd: cmd/containerd/server/config `LoadConfig`,
`mergeConfig`: plugin tables key by key, values replaced) before the CRI image service reads its
registry table. Credentials, a config_path or mirrors set in config-v3.toml.d/*.toml apply on top
of what K3s writes from registries.yaml, survive every restart, and are invisible in
registries.yaml. explain and audit read them merged, as containerd does.

Triggers (config-v3.toml.d/auth.toml):
    [plugins.'io.containerd.cri.v1.images'.registry.configs.'r.example.com'.auth]
      username = \"u\"

Fix: keep registry settings in registries.yaml, or make sure the drop-in means it.";

    DropinIgnoredRegistry = "dropin-ignored-registry", Error, Node,
    "A drop-in puts registry settings under io.containerd.grpc.v1.cri while the config is version 3: containerd never reads them.",
    "At config version 3 the CRI image service reads plugins.'io.containerd.cri.v1.images'.registry;
the version 2 table plugins.\"io.containerd.grpc.v1.cri\".registry is migrated only when the
merged version is below 3 (ctrd: plugins/cri/images/plugin.go `configMigration`). A drop-in
without a version line is version 1: its `cri` plugin becomes io.containerd.grpc.v1.cri and is
not migrated either.

Triggers (config-v3.toml.d/auth.toml):
    [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r.example.com\".auth]
      username = \"u\"

Fix: use [plugins.'io.containerd.cri.v1.images'.registry...] in the drop-in.";

    DropinReplacesRegistry = "dropin-replaces-registry", Error, Node,
    "A drop-in lowers the config version: containerd migrates, and the v2 registry table replaces K3s's whole, config_path and credentials included.",
    "mergeConfig takes the last non-zero `version` of the merged files; below 3, containerd runs the
plugins' migrations at start, and the images plugin's copies the `registry` table of
io.containerd.grpc.v1.cri over its own (ctrd: plugins/cri/images/plugin.go `migrateConfig`:
`dst[key] = val`). K3s's config_path (its certs.d) and every credential it wrote are lost unless the
drop-in repeats them.

Triggers (config-v3.toml.d/auth.toml):
    version = 2
    [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r.example.com\".auth]
      username = \"u\"

Fix: drop the version line and use the version 3 table.";

    CriMirrorsWithConfigPath = "cri-mirrors-with-config-path", Error, Node,
    "The merged config sets registry.mirrors next to K3s's config_path: containerd's CRI image service refuses to start.",
    "containerd's ValidateImageConfig (internal/cri/config/config.go) fails with \"`mirrors` cannot be
set when `config_path` is provided\"; K3s always sets config_path, so mirrors from a drop-in or a
user template stop image pulls altogether.

Triggers (config-v3.toml.d/mirrors.toml):
    [plugins.'io.containerd.cri.v1.images'.registry.mirrors.'docker.io']
      endpoint = [\"https://mirror.example.com\"]

Fix: express mirrors in registries.yaml (K3s writes certs.d from it).";
}

/// The README's rule table: one row per code, in catalogue order.
#[cfg(test)]
fn readme_table() -> String {
    let mut out = String::from("| code | severity | needs | why |\n| --- | --- | --- | --- |\n");
    for r in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.code,
            r.severity.as_str(),
            r.needs.describe().trim_start_matches("with "),
            r.summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_indexed() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in RULES.iter().enumerate() {
            let c = r.code.as_str();
            assert!(seen.insert(c), "duplicate code {c}");
            assert!(
                c.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{c}"
            );
            assert_eq!(r.code as usize, i);
            assert_eq!(Code::parse(c), Some(r.code));
            assert!(r.description.contains("Fix:"), "{c} has no fix");
            assert!(r.description.contains("Trigger"), "{c} has no example");
        }
        assert_eq!(RULES.len(), 73);
    }

    /// The README's rule table is this catalogue, row for row.
    #[test]
    fn readme_rule_table_is_the_catalogue() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's rule table differs from the catalogue; it should read:\n\n{table}"
        );
    }
}
