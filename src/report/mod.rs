//! Every printer: the only module that writes to stdout and stderr. Everything it prints for
//! people goes through here, so masking secrets (unless `--show-secrets`) and sanitising what
//! comes from files ([`sanitize`]) happen in one place, when printing.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod audit;
mod color;
pub(crate) mod diff;
mod explain;
pub(crate) mod node;
mod render;
mod sanitize;
mod sarif;
mod versions;

use std::io::{self, Write};
use std::path::Path;

pub use color::ColorWhen;
use sanitize::{clean, clean_bytes};

use crate::k3s::model::{Level, Note};
use crate::k3s::render::{Rendered, CERTS_D, CONFIG_TOML};
use crate::secret::{mask_spans, Secrets};
use crate::write::{Applied, Journal, Plan, PlannedFile, Recovery, Removal, RemovalReason};

/// The program's name in messages.
pub(crate) const NAME: &str = "k3s-registries";

/// Prints results on stdout and messages on stderr.
pub(crate) struct Reporter<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// `--show-secrets`: print secrets as they are.
    show_secrets: bool,
    /// stdout is a terminal: file contents printed there are sanitised too.
    stdout_terminal: bool,
    /// Colour stdout (`--color`, NO_COLOR, CLICOLOR_FORCE, a terminal).
    color: bool,
    /// The input's secrets, masked in everything printed unless `show_secrets`.
    secrets: Secrets,
}

/// The `schema_version` of every JSON document the tool prints: bumped only when a field is
/// renamed or removed (fields are added freely). Each document also has an `error` field, set
/// when the command failed.
pub mod schema {
    /// `render --format json`.
    pub const RENDER: u32 = super::render::RENDER_SCHEMA_VERSION;
    /// `explain --format json`.
    pub const EXPLAIN: u32 = super::explain::EXPLAIN_SCHEMA_VERSION;
    /// `audit --format json`.
    pub const AUDIT: u32 = super::audit::AUDIT_JSON_SCHEMA_VERSION;
    /// `versions --format json`.
    pub const VERSIONS: u32 = super::versions::VERSIONS_SCHEMA_VERSION;
    /// `diff --format json`.
    pub const DIFF: u32 = super::diff::DIFF_SCHEMA_VERSION;
}

/// Whether an error chain ends in a closed pipe (`audit | head -1`): the reader's choice, not an
/// error. Looks through the whole chain, and into I/O errors that wrap another error (a JSON
/// serialiser's, which wraps the I/O error of the stream it wrote to), as ripgrep does.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    fn broken(e: &(dyn std::error::Error + 'static)) -> bool {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
            if let Some(inner) = io.get_ref() {
                return broken(inner);
            }
        }
        if let Some(j) = e.downcast_ref::<serde_json::Error>() {
            return j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe);
        }
        false
    }
    err.chain().any(broken)
}

/// A JSON serialiser's error as the I/O error it is (a closed pipe stays a closed pipe).
fn json_io(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    }
}

impl std::fmt::Debug for Reporter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl<'a> Reporter<'a> {
    /// A reporter over the two streams.
    pub(crate) fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Reporter {
            out,
            err,
            show_secrets: false,
            stdout_terminal: false,
            color: false,
            secrets: Secrets::default(),
        }
    }

    /// A reporter for the process's own streams: knows whether stdout is a terminal, and from
    /// that, `when` and the environment whether to colour it.
    pub(crate) fn for_terminal(
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
        when: ColorWhen,
    ) -> Self {
        use std::io::IsTerminal as _;
        let terminal = io::stdout().is_terminal();
        Reporter {
            stdout_terminal: terminal,
            color: color::enabled(when, &|name| std::env::var(name).ok(), terminal),
            ..Reporter::new(out, err)
        }
    }

    /// Whether to colour stdout.
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// A fatal error as the JSON document of a command run with `--format json`: the command's
    /// `schema_version` and `error`, so a consumer parsing stdout always gets JSON.
    pub(crate) fn json_error(&mut self, schema_version: u32, message: &str) -> io::Result<()> {
        let doc = serde_json::json!({ "schema_version": schema_version, "error": message });
        self.print_json(&doc)
    }

    /// Generated text (a completion script, a man page) on stdout, as it is.
    pub(crate) fn generated(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.out.flush()
    }

    /// The files `man --dir` wrote, one a line on stdout.
    pub(crate) fn generated_files(&mut self, paths: &[std::path::PathBuf]) -> io::Result<()> {
        for p in paths {
            writeln!(self.out, "{}", clean(&p.display().to_string()))?;
        }
        self.out.flush()
    }

    /// Print as for a terminal (file contents sanitised too) or not.
    pub(crate) fn set_terminal(&mut self, yes: bool) {
        self.stdout_terminal = yes;
    }

    /// Whether messages may show secrets (`--show-secrets`); off unless a command says so.
    pub(crate) fn show_secrets(&mut self, yes: bool) {
        self.show_secrets = yes;
    }

    /// The input's secrets: from now on masked wherever they occur in what is printed (with the
    /// spelling the terminal sanitiser gives them, too).
    pub(crate) fn secrets(&mut self, secrets: &Secrets) {
        self.secrets.extend(secrets);
        let escaped: Vec<String> = secrets
            .values()
            .map(|v| clean(v.reveal()).into_owned())
            .collect();
        for e in escaped {
            self.secrets.add_spelling(&e);
        }
    }

    /// `text` as it may be shown: every secret of the input and every URL user information
    /// masked, unless `--show-secrets`.
    pub(crate) fn mask<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.show_secrets {
            std::borrow::Cow::Borrowed(text)
        } else {
            self.secrets.mask(text)
        }
    }

    /// A JSON document as it may be shown: [`Reporter::mask`] on every string.
    fn mask_json(&self, v: &mut serde_json::Value) {
        if !self.show_secrets {
            self.secrets.mask_json(v);
        }
    }

    /// A JSON document on stdout, as every JSON document is printed: each string masked
    /// ([`Reporter::mask`]), every control character escaped ([`sanitize::json`]).
    fn print_json<T: serde::Serialize + ?Sized>(&mut self, doc: &T) -> io::Result<()> {
        let mut value = serde_json::to_value(doc).map_err(json_io)?;
        self.mask_json(&mut value);
        let text = sanitize::json(&value).map_err(json_io)?;
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    /// A fatal error as it may be printed: its chain as one message, masked. (A closed pipe is
    /// kept as it is, for the caller to recognise.)
    pub(crate) fn masked_error(&self, err: anyhow::Error) -> anyhow::Error {
        if is_broken_pipe(&err) {
            return err;
        }
        anyhow::Error::msg(self.mask(&format!("{err:#}")).into_owned())
    }

    /// A path as printed: sanitised, its secrets masked (a `configs` key `https://u:PW@host`
    /// becomes a directory name).
    fn shown_path(&self, path: &Path) -> String {
        self.mask(&clean(&path.display().to_string())).into_owned()
    }

    /// K3s's log messages from translation, each on one stderr line.
    pub(crate) fn notes(&mut self, notes: &[Note]) -> io::Result<()> {
        for n in notes {
            let level = match n.level {
                Level::Warning => "warning",
                Level::Error => "error",
            };
            // K3s logs endpoints as written, user:password included.
            let message = self.mask(&n.message);
            writeln!(
                self.err,
                "{NAME}: K3s would log ({level}): {}",
                clean(&message)
            )?;
        }
        Ok(())
    }

    /// The drop-ins containerd merges into config.toml.
    pub(crate) fn imports_note(&mut self, files: &[String]) -> io::Result<()> {
        writeln!(
            self.err,
            "{NAME}: note: containerd also merges {} (imported by config.toml; a restart of K3s does not rewrite them)",
            clean(&files.join(", "))
        )
    }

    /// The registries file does not exist.
    pub(crate) fn missing_registries(&mut self, path: &Path) -> io::Result<()> {
        writeln!(
            self.err,
            "{NAME}: note: {} does not exist; K3s then configures no registries, and neither do we",
            clean(&path.display().to_string())
        )
    }

    /// The preview: config.toml, then each hosts.toml by path, each under a `==> path <==` line,
    /// with a blank line between files. Secrets are masked unless `--show-secrets`; on a terminal
    /// the files' control characters are escaped (piped, the bytes are K3s's).
    pub(crate) fn preview(&mut self, rendered: &Rendered) -> io::Result<()> {
        let config = self.secrets_shown(&rendered.config_toml, &rendered.config_secrets);
        self.file_block(CONFIG_TOML, &config, true)?;
        for h in &rendered.hosts {
            let contents = self.secrets_shown(&h.contents, &h.secrets);
            self.file_block(&format!("{CERTS_D}/{}/hosts.toml", h.dir), &contents, false)?;
        }
        self.out.flush()
    }

    fn secrets_shown(&self, bytes: &[u8], spans: &[crate::secret::SecretSpan]) -> Vec<u8> {
        if self.show_secrets {
            bytes.to_vec()
        } else {
            self.secrets.mask_bytes(&mask_spans(bytes, spans))
        }
    }

    fn file_block(&mut self, name: &str, contents: &[u8], first: bool) -> io::Result<()> {
        if !first {
            writeln!(self.out)?;
        }
        let name = clean(name);
        writeln!(self.out, "==> {} <==", self.mask(&name))?;
        if self.stdout_terminal {
            self.out.write_all(clean_bytes(contents).as_bytes())
        } else {
            self.out.write_all(contents)
        }
    }

    /// What a run found of an earlier, interrupted run, and did about it (stderr).
    pub(crate) fn recovery(&mut self, dir: &Path, r: Recovery) -> io::Result<()> {
        let d = clean(&dir.display().to_string()).into_owned();
        match r.journal {
            Journal::None => {}
            Journal::Discarded => writeln!(
                self.err,
                "{NAME}: an earlier run writing {d} was interrupted before changing anything; removed its staged files"
            )?,
            Journal::Undone => writeln!(
                self.err,
                "{NAME}: an earlier run writing {d} was interrupted; undid its changes"
            )?,
            Journal::Finished => writeln!(
                self.err,
                "{NAME}: an earlier run writing {d} had finished but not cleaned up; deleted what it replaced"
            )?,
            Journal::Pending => writeln!(
                self.err,
                "{NAME}: note: an earlier run writing {d} was interrupted; a real run first undoes its changes (the plan below is for {d} as it is now)"
            )?,
        }
        if r.legacy_temp_files > 0 {
            writeln!(
                self.err,
                "{NAME}: removed {} temporary file{} an earlier version left in {d}",
                r.legacy_temp_files,
                plural(r.legacy_temp_files)
            )?;
        }
        Ok(())
    }

    /// A finished write, reported after the fact on stderr: each entry that disappeared, then one
    /// line for what was written.
    pub(crate) fn written(&mut self, done: &Applied) -> io::Result<()> {
        let plan = &done.plan;
        for r in &plan.removals {
            writeln!(
                self.err,
                "{NAME}: removed {} ({})",
                self.shown_path(&r.path),
                self.mask(&reason(r, &plan.dir))
            )?;
        }
        let mut host_dirs = 0;
        for r in &plan.replaced {
            if r.reason.is_host_dir(&r.path, &plan.dir) {
                host_dirs += 1;
            } else {
                writeln!(
                    self.err,
                    "{NAME}: replaced {} ({})",
                    self.shown_path(&r.path),
                    self.mask(&reason(r, &plan.dir))
                )?;
            }
        }
        let config = plan.dir.join(CONFIG_TOML);
        let changed: Vec<&PlannedFile> = plan.files.iter().filter(|f| !f.unchanged).collect();
        let unchanged = plan.files.len() - changed.len();
        let hosts = changed.iter().filter(|f| f.path != config).count();
        let mut parts = Vec::new();
        if changed.iter().any(|f| f.path == config) {
            parts.push(CONFIG_TOML.to_string());
        }
        if hosts > 0 {
            parts.push(format!("{hosts} hosts.toml file{}", plural(hosts)));
        }
        let d = clean(&plan.dir.display().to_string()).into_owned();
        if plan.is_noop() {
            writeln!(
                self.err,
                "{NAME}: {d} is up to date ({unchanged} file{} unchanged)",
                plural(unchanged)
            )?;
        } else {
            let wrote = if parts.is_empty() {
                "no file".to_string()
            } else {
                parts.join(" and ")
            };
            let mut line = format!("{NAME}: {d}: wrote {wrote}");
            if host_dirs > 0 {
                line += &format!(
                    " ({host_dirs} host director{} replaced)",
                    if host_dirs == 1 { "y" } else { "ies" }
                );
            }
            if unchanged > 0 {
                line += &format!(", {unchanged} unchanged");
            }
            writeln!(self.err, "{line}")?;
        }
        if let Some(e) = &done.leftover {
            writeln!(
                self.err,
                "{NAME}: warning: written, but {e}; the next run removes what is left"
            )?;
        }
        Ok(())
    }

    /// `--dry-run`: what a write would do, on stdout: entries that would go, entries that would
    /// be replaced, then every file of the resulting tree.
    pub(crate) fn dry_run(&mut self, plan: &Plan) -> io::Result<()> {
        for r in &plan.removals {
            writeln!(
                self.out,
                "would remove {} ({})",
                self.shown_path(&r.path),
                self.mask(&reason(r, &plan.dir))
            )?;
        }
        for r in &plan.replaced {
            writeln!(
                self.out,
                "would replace {} ({})",
                self.shown_path(&r.path),
                self.mask(&reason(r, &plan.dir))
            )?;
        }
        for f in &plan.files {
            self.would_write(f)?;
        }
        self.out.flush()
    }

    fn would_write(&mut self, f: &PlannedFile) -> io::Result<()> {
        if f.unchanged {
            return writeln!(self.out, "unchanged {}", self.shown_path(&f.path));
        }
        writeln!(
            self.out,
            "would write {} ({} bytes, mode {:04o})",
            self.shown_path(&f.path),
            f.contents.len(),
            f.mode
        )
    }

    /// A fatal error, `{:#}`-formatted by the caller.
    pub(crate) fn error(&mut self, message: &str) -> io::Result<()> {
        // Parser errors list one problem a line.
        writeln!(
            self.err,
            "{NAME}: error: {}",
            self.mask(&sanitize::clean_keeping(message, &['\n']))
        )
    }
}

fn reason(r: &Removal, dir: &Path) -> String {
    match &r.reason {
        RemovalReason::Replaced { .. } if r.reason.is_host_dir(&r.path, dir) => {
            "a hosts.toml is written there".to_string()
        }
        RemovalReason::Replaced { registry } => {
            format!(
                "registry {registry:?} has its hosts.toml written there, and K3s removes it first"
            )
        }
        RemovalReason::Stale => "written by K3s, no longer configured".to_string(),
        RemovalReason::Wiped { registry } => format!(
            "registry {registry:?} makes K3s remove its whole directory, {}",
            clean(&dir.display().to_string())
        ),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
