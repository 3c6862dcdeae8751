//! Rules about K3s on the node rather than registries.yaml: what in K3s's config file, service
//! or environment stops it (`k3s-refuses-config`) or sends it to another runtime
//! (`external-container-runtime`), what a user template likely breaks (`user-template`,
//! `template-*`), and what the drop-ins containerd merges into config.toml change
//! (`dropin-*`, `cri-mirrors-with-config-path`). The command layer reads the node; the template
//! reading is [`crate::k3s::user_template`]'s and the merge [`crate::containerd::imports`]'s.

use super::super::context::Ctx;
use super::super::K3sNode;
use crate::containerd::imports::ImportNote;
use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::k3s::render::RenderError;
use crate::k3s::user_template::{analyse, Issue, Needs};

fn place(at: &Option<(String, u32, u32)>) -> Location {
    match at {
        Some((file, line, column)) => Location {
            file: file.clone(),
            line: *line,
            column: *column,
            width: 1,
            path: Vec::new(),
        },
        None => Location::file_start("<node>"),
    }
}

/// Every node rule.
pub(crate) fn check(ctx: &mut Ctx<'_>, node: &K3sNode) {
    for (name, text) in &node.sources {
        ctx.extra_sources.push((name.clone(), text.clone()));
    }
    for (message, at) in &node.refusals {
        let f = Diagnostic::new(
            Code::K3sRefusesConfig,
            Severity::Error,
            place(at),
            format!("K3s does not start: {message}"),
            "Correct the setting; `k3s-registries audit --explain-code k3s-refuses-config` says how K3s reads it.",
        );
        ctx.emit(f);
    }
    if let Some((what, at)) = &node.external_runtime {
        let f = Diagnostic::new(
            Code::ExternalContainerRuntime,
            Severity::Error,
            place(at),
            format!(
                "K3s uses an external container runtime ({what}): it starts no containerd of its own and ignores {}",
                ctx.file
            ),
            "Configure registries in that runtime, or drop the setting to use K3s's containerd.",
        );
        ctx.emit(f);
    }
    template(ctx, node);
    imports(ctx, node);
}

fn template(ctx: &mut Ctx<'_>, node: &K3sNode) {
    let Some(t) = &node.template else { return };
    if t.is_base_only() {
        return;
    }
    ctx.extra_sources.push((t.path.clone(), t.text.clone()));
    let at = |line: u32| Location {
        file: t.path.clone(),
        line,
        column: 1,
        width: 1,
        path: Vec::new(),
    };
    ctx.emit(Diagnostic::new(
        Code::UserTemplate,
        Severity::Warning,
        at(1),
        format!(
            "K3s renders config.toml from {} instead of its own template; this audit checks K3s's own config.toml and reads the template for what it likely breaks",
            t.file
        ),
        "Keep the template to {{ template \"base\" . }} plus tables the base lacks, or use the drop-in directory.",
    ));
    let base = match ctx.rendered {
        Ok(r) => String::from_utf8_lossy(&r.config_toml).into_owned(),
        Err(RenderError::LineTooLong { .. }) | Err(_) => String::new(),
    };
    let needs = Needs {
        auth: ctx.reg.configs.values().any(|c| c.auth.is_some()),
        dropins: node.dropins_present,
    };
    for issue in analyse(t, ctx.node.era(), &base, needs) {
        let f = match issue {
            Issue::UnknownFunction { name, line } => Diagnostic::new(
                Code::TemplateParseError,
                Severity::Error,
                at(line),
                format!(
                    "function \"{name}\" not defined: K3s {} parses {} with template.Must and panics",
                    ctx.node.k3s.version, t.file
                ),
                format!(
                    "Call only Go's builtins and {}.",
                    ctx.node.era().template_functions.join(", ")
                ),
            ),
            Issue::Unclosed { line } => Diagnostic::new(
                Code::TemplateParseError,
                Severity::Error,
                at(line),
                format!("unclosed action: K3s parses {} with template.Must and panics", t.file),
                "Close the {{ ... }} action.",
            ),
            Issue::NoConfigPath => Diagnostic::new(
                Code::TemplateDropsConfigPath,
                Severity::Error,
                at(1),
                format!(
                    "{} neither includes {{{{ template \"base\" . }}}} nor sets config_path: containerd reads no certs.d, so every mirror, rewrite and TLS setting of {} is ignored",
                    t.file, ctx.file
                ),
                "Add config_path = {{ printf \"%q\" .NodeConfig.Containerd.Registry }} to the registry table, or build on the base.",
            ),
            Issue::NoAuth => Diagnostic::new(
                Code::TemplateDropsRegistryAuth,
                Severity::Error,
                at(1),
                format!(
                    "{} neither includes {{{{ template \"base\" . }}}} nor prints .PrivateRegistryConfig: the credentials in {} never reach containerd",
                    t.file, ctx.file
                ),
                "Copy the auth section of K3s's template, or build on the base.",
            ),
            Issue::WrongNamespace {
                declared,
                plugin,
                line,
            } => Diagnostic::new(
                Code::TemplateWrongPluginNamespace,
                Severity::Error,
                at(line),
                format!(
                    "the registry table is under {plugin}, which containerd does not read registry settings from in a version {declared} config: config_path and credentials there are ignored"
                ),
                if declared >= 3 {
                    "Use [plugins.'io.containerd.cri.v1.images'.registry]."
                } else {
                    "Declare version = 2 (or 3 with the io.containerd.cri.v1.images table)."
                },
            ),
            Issue::DuplicateTable { header, line } => Diagnostic::new(
                Code::TemplateDuplicateTable,
                Severity::Error,
                at(line),
                format!(
                    "{header} is already defined by {{{{ template \"base\" . }}}}: go-toml refuses a table defined twice, and containerd does not start"
                ),
                "Put the setting in a table the base lacks, or in the drop-in directory.",
            ),
            Issue::NoImports => Diagnostic::new(
                Code::TemplateDropsImports,
                Severity::Warning,
                at(1),
                format!(
                    "{} has no imports line: the drop-ins next to it are never read",
                    t.file
                ),
                "Add the imports line of K3s's template, or build on the base.",
            ),
        };
        ctx.emit(f);
    }
}

fn imports(ctx: &mut Ctx<'_>, node: &K3sNode) {
    let Some(merged) = &node.imports else { return };
    let m = match merged {
        Ok(m) => m,
        Err(e) => {
            ctx.emit(Diagnostic::new(
                Code::ConfigTomlInvalid,
                Severity::Error,
                Location::file_start(&e.file),
                format!(
                    "containerd cannot load {}: {}; it does not start",
                    e.file, e.error
                ),
                "Fix or remove the file.",
            ));
            return;
        }
    };
    for n in &m.notes {
        let f = match n {
            ImportNote::Registry { file, keys } => Diagnostic::new(
                Code::DropinRegistrySettings,
                Severity::Warning,
                Location::file_start(file),
                format!(
                    "{file} sets {} in containerd's registry table: containerd uses it on top of what K3s writes from {}, and restarting K3s does not change it",
                    keys.join(", "),
                    ctx.file
                ),
                "Keep registry settings in registries.yaml, or make sure the drop-in means it.",
            ),
            ImportNote::IgnoredV2Registry { file } => Diagnostic::new(
                Code::DropinIgnoredRegistry,
                Severity::Error,
                Location::file_start(file),
                format!(
                    "{file} puts registry settings under io.containerd.grpc.v1.cri, which containerd does not read at config version {}",
                    m.version
                ),
                "Use [plugins.'io.containerd.cri.v1.images'.registry...].",
            ),
            ImportNote::LowersVersion { file, version } => Diagnostic::new(
                Code::DropinReplacesRegistry,
                Severity::Error,
                Location::file_start(file),
                format!(
                    "{file} sets version = {version}: the merged config is migrated at start"
                ),
                "Drop the version line from the drop-in.",
            ),
            ImportNote::RegistryReplaced { file } => Diagnostic::new(
                Code::DropinReplacesRegistry,
                Severity::Error,
                Location::file_start(file),
                format!(
                    "the io.containerd.grpc.v1.cri registry table of {file} replaces K3s's whole at migration: config_path {} and the credentials K3s wrote are lost",
                    if m.registry.config_path.is_some() {
                        "is the drop-in's"
                    } else {
                        "is gone (no certs.d is read)"
                    }
                ),
                "Drop the version line and use the version 3 table.",
            ),
        };
        ctx.emit(f);
    }
    if !m.registry.mirrors.is_empty() && m.registry.config_path.is_some() {
        ctx.emit(Diagnostic::new(
            Code::CriMirrorsWithConfigPath,
            Severity::Error,
            Location::file_start(m.files.last().map_or("config.toml", String::as_str)),
            format!(
                "the merged config sets registry.mirrors ({}) next to config_path: containerd's CRI image service fails (\"`mirrors` cannot be set when `config_path` is provided\")",
                m.registry.mirrors.join(", ")
            ),
            "Express the mirrors in registries.yaml.",
        ));
    }
}
