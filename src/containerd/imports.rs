//! config.toml and the files it imports, merged as containerd merges them before any plugin reads
//! its settings: containerd's `LoadConfig`, `resolveImports` and `mergeConfig`
//! (cmd/containerd/server/config/config.go, containerd v2.2.7, the upstream tag K3s's fork
//! v2.2.7-k3s1 is based on at K3s `e19e99911`; the same in v2.1.5), and the CRI image service's
//! `configMigration` (plugins/cri/images/plugin.go).
//!
//! Since the `imports` era (v1.33.10, v1.34.6, v1.35.3, v1.36.0) K3s's config.toml starts with
//! `imports = ["<data-dir>/agent/etc/containerd/config-v3.toml.d/*.toml"]` (`config.toml.d` for the
//! v2 template). A restart of K3s rewrites config.toml but never those drop-ins, yet containerd
//! runs with them:
//!
//! - files load breadth first: config.toml, then its imports, then theirs; an import is cleaned,
//!   made absolute against the importing file's directory, and globbed when it holds `*`
//!   (`filepath.Glob`: sorted, no error for no match); a file already loaded is skipped;
//! - a file without `version` (or version 1) is migrated to the version merged so far (its
//!   short plugin names become URIs: `cri` is `io.containerd.grpc.v1.cri`); then it is merged
//!   with dario.cat/mergo's `WithOverride`: a non-zero `version` replaces the merged one, and
//!   `plugins` merge key by key, tables into tables, every other value (strings, numbers, arrays)
//!   replaced, empty ones included;
//! - when the merged version is below 3, containerd migrates the CRI settings at start: the
//!   `registry` table of `io.containerd.grpc.v1.cri` replaces the one of
//!   `io.containerd.cri.v1.images` whole. At version 3 a `registry` table under
//!   `io.containerd.grpc.v1.cri` is never read.
//!
//! The result is the registry table the CRI image service reads ([`CriRegistry`]), with the
//! file each credential and the `config_path` came from, and notes about what the imported
//! files changed. Reading the files is the caller's ([`ImportReader`]); this is pure.

use std::collections::BTreeMap;

use toml_edit::{Item, Table, TableLike};

use super::cri::{config_version, registry_in, CriRegistry, GRPC_CRI_PLUGIN, IMAGES_PLUGIN};
use super::gotoml::{self, DecodeError};

/// A file containerd loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    /// Its path on the node (how imports name it).
    pub(crate) path: String,
    /// How it is shown to people.
    pub(crate) name: String,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// What reads the files an import names: a path or a `*` pattern on the node -> the files it
/// names, in `filepath.Glob`'s order (a pattern with no match names none; a plain path names
/// itself, read or not).
pub(crate) trait ImportReader {
    /// The files `pattern` names; `Err` is containerd's error (it does not start).
    fn files(&mut self, pattern: &str) -> Result<Vec<File>, String>;
}

/// Something an imported file changes, worth telling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportNote {
    /// The file sets registry settings under the CRI image service (credentials, config_path,
    /// mirrors): they apply, over config.toml's.
    Registry {
        /// The file.
        file: String,
        /// The keys it sets under the registry table (`configs."h".auth`, `config_path`).
        keys: Vec<String>,
    },
    /// The file puts a `registry` table under `io.containerd.grpc.v1.cri` while the merged
    /// version is 3: never read.
    IgnoredV2Registry {
        /// The file.
        file: String,
    },
    /// The file sets a lower `version`: the merged configuration is migrated at start.
    LowersVersion {
        /// The file.
        file: String,
        /// The version it sets.
        version: i64,
    },
    /// The merged version is below 3 and a `io.containerd.grpc.v1.cri` registry table exists:
    /// it replaces the `io.containerd.cri.v1.images` one whole (K3s's `config_path` and
    /// credentials with it, unless it repeats them).
    RegistryReplaced {
        /// The file whose registry table wins.
        file: String,
    },
}

/// config.toml and its imports, merged.
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    /// Every file loaded, in order (config.toml first).
    pub(crate) files: Vec<String>,
    /// The imported files only (names).
    pub(crate) imported: Vec<String>,
    /// The merged `version`.
    pub(crate) version: i64,
    /// What the CRI image service reads.
    pub(crate) registry: CriRegistry,
    /// What the imports changed.
    pub(crate) notes: Vec<ImportNote>,
}

/// Why containerd cannot load the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {error}")]
pub(crate) struct LoadError {
    /// The file.
    pub(crate) file: String,
    /// containerd's (or go-toml's) error.
    pub(crate) error: DecodeError,
}

/// `v1MigratePluginName`: a plugin name without a dot becomes a URI.
fn v1_plugin_name(name: &str) -> String {
    if name.contains('.') {
        return name.to_string();
    }
    let core = [
        ("cri", "io.containerd.grpc.v1.cri"),
        ("cgroups", "io.containerd.monitor.v1.cgroups"),
        ("linux", "io.containerd.runtime.v1.linux"),
        ("scheduler", "io.containerd.gc.v1.scheduler"),
        ("bolt", "io.containerd.metadata.v1.bolt"),
        ("task", "io.containerd.runtime.v2.task"),
        ("opt", "io.containerd.internal.v1.opt"),
        ("restart", "io.containerd.internal.v1.restart"),
        ("tracing", "io.containerd.internal.v1.tracing"),
        ("otlp", "io.containerd.tracing.processor.v1.otlp"),
        ("aufs", "io.containerd.snapshotter.v1.aufs"),
        ("btrfs", "io.containerd.snapshotter.v1.btrfs"),
        ("devmapper", "io.containerd.snapshotter.v1.devmapper"),
        ("native", "io.containerd.snapshotter.v1.native"),
        ("overlayfs", "io.containerd.snapshotter.v1.overlayfs"),
        ("zfs", "io.containerd.snapshotter.v1.zfs"),
    ];
    if let Some((_, uri)) = core.iter().find(|(k, _)| *k == name) {
        return uri.to_string();
    }
    if name.ends_with("-service") {
        return format!("io.containerd.service.v1.{name}");
    }
    if name == "windows" || name == "windows-lcow" {
        return format!("io.containerd.snapshotter.v1.{name}");
    }
    format!("io.containerd.grpc.v1.{name}")
}

/// A table-like item as an owned [`Table`] (inline tables become tables; the rest is kept).
fn to_item(item: &Item) -> Item {
    match item.as_table_like() {
        Some(t) => Item::Table(to_table(t)),
        None => item.clone(),
    }
}

fn to_table(t: &dyn TableLike) -> Table {
    let mut out = Table::new();
    for (k, v) in t.iter() {
        out.insert(k, to_item(v));
    }
    out
}

/// mergo's map merge: tables into tables, anything else replaced.
fn merge_into(dst: &mut Table, src: &dyn TableLike) {
    for (k, v) in src.iter() {
        match (dst.get_mut(k), v.as_table_like()) {
            (Some(Item::Table(d)), Some(s)) => merge_into(d, s),
            _ => {
                dst.insert(k, to_item(v));
            }
        }
    }
}

/// A path inside a table (each segment a key).
fn get_path<'a>(t: &'a Table, path: &[&str]) -> Option<&'a Item> {
    let (first, rest) = path.split_first()?;
    let item = t.get(first)?;
    if rest.is_empty() {
        return Some(item);
    }
    match item {
        Item::Table(inner) => get_path(inner, rest),
        _ => None,
    }
}

/// One file, parsed and normalised: its version (0 when absent) and its `plugins` table.
struct Loaded {
    version: i64,
    plugins: Table,
    imports: Vec<String>,
}

fn load_one(f: &File) -> Result<Loaded, LoadError> {
    let err = |error: DecodeError| LoadError {
        file: f.name.clone(),
        error,
    };
    let doc = gotoml::parse(&f.bytes).map_err(|e| err(e.into()))?;
    let root = doc.as_table();
    let version = match root.get("version") {
        None => 0,
        Some(_) => config_version(root).map_err(err)?,
    };
    let plugins = root
        .get("plugins")
        .and_then(Item::as_table_like)
        .map(to_table)
        .unwrap_or_default();
    let imports = match root.get("imports") {
        None => Vec::new(),
        Some(i) => i
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .ok_or_else(|| {
                err(DecodeError {
                    message: format!(
                        "toml: cannot decode TOML {} into imports ([]string)",
                        i.type_name()
                    ),
                    offset: i.span().map(|s| s.start),
                })
            })?,
    };
    Ok(Loaded {
        version,
        plugins,
        imports,
    })
}

/// `resolveImports`: clean, make absolute against the importing file's directory.
fn resolve_import(parent: &str, import: &str) -> String {
    let cleaned = crate::go::filepath::clean(import);
    if cleaned.starts_with('/') {
        cleaned
    } else {
        // filepath.Dir: everything up to the last separator, cleaned.
        let dir = match parent.rfind('/') {
            Some(i) => crate::go::filepath::clean(&parent[..=i]),
            None => ".".to_string(),
        };
        crate::go::filepath::join(&[&dir, &cleaned])
    }
}

/// `LoadConfig` over `main` (config.toml) and whatever it imports, then the CRI image service's
/// view of the registry settings.
pub(crate) fn load(main: File, source: &mut dyn ImportReader) -> Result<Merged, LoadError> {
    let mut merged_version: i64 = 0;
    let mut plugins = Table::new();
    let mut files: Vec<String> = Vec::new();
    let mut loaded_paths: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    // Each file's own (normalised) plugins, for where settings came from.
    let mut per_file: Vec<(String, Table)> = Vec::new();
    let main_bytes = main.bytes.clone();
    let main_name = main.name.clone();
    let mut pending: std::collections::VecDeque<File> = std::collections::VecDeque::new();
    pending.push_back(main);
    let mut first = true;
    while let Some(f) = pending.pop_front() {
        if loaded_paths.contains(&f.path) {
            continue;
        }
        let mut l = load_one(&f)?;
        if l.version <= 1 {
            // MigrateConfigTo(out.Version): v1 plugin names, and the version of what is merged
            // so far (containerd's defaults are version 3 before the first file).
            l.plugins = {
                let mut t = Table::new();
                for (k, v) in l.plugins.iter() {
                    t.insert(&v1_plugin_name(k), v.clone());
                }
                t
            };
            l.version = if first { 3 } else { merged_version };
        }
        if !first && l.version != 0 && l.version < merged_version {
            notes.push(ImportNote::LowersVersion {
                file: f.name.clone(),
                version: l.version,
            });
        }
        if l.version != 0 {
            merged_version = l.version;
        }
        if !first {
            let mut keys = Vec::new();
            if let Some(Item::Table(r)) = get_path(&l.plugins, &[IMAGES_PLUGIN, "registry"]) {
                for (k, v) in r.iter() {
                    match (k, v) {
                        ("configs", Item::Table(c)) => {
                            for (h, hv) in c.iter() {
                                if hv.as_table_like().is_some_and(|t| t.contains_key("auth")) {
                                    keys.push(format!("configs.{h:?}.auth"));
                                } else {
                                    keys.push(format!("configs.{h:?}"));
                                }
                            }
                        }
                        ("mirrors", Item::Table(m)) => {
                            keys.extend(m.iter().map(|(h, _)| format!("mirrors.{h:?}")))
                        }
                        (k, _) => keys.push(k.to_string()),
                    }
                }
            }
            if !keys.is_empty() {
                notes.push(ImportNote::Registry {
                    file: f.name.clone(),
                    keys,
                });
            }
        }
        merge_into(&mut plugins, &l.plugins);
        per_file.push((f.name.clone(), l.plugins.clone()));
        files.push(f.name.clone());
        loaded_paths.push(f.path.clone());
        for import in &l.imports {
            let path = resolve_import(&f.path, import);
            let found = source.files(&path).map_err(|message| LoadError {
                file: f.name.clone(),
                error: DecodeError {
                    message,
                    offset: None,
                },
            })?;
            pending.extend(found);
        }
        first = false;
    }
    if files.len() == 1 {
        // Nothing imported: config.toml alone, read as it always is (for a file without
        // `version`, the version 1 tables).
        let registry = super::cri::parse_config_toml(&main_bytes).map_err(|error| LoadError {
            file: main_name,
            error,
        })?;
        return Ok(Merged {
            files,
            imported: Vec::new(),
            version: registry.version,
            registry,
            notes,
        });
    }
    let version = if merged_version == 0 {
        3
    } else {
        merged_version
    };
    // At version 3 containerd reads nothing from a registry table under the v2 plugin.
    let mut v2_registry_from = None;
    for (name, t) in &per_file {
        if get_path(t, &[GRPC_CRI_PLUGIN, "registry"]).is_some() {
            v2_registry_from = Some(name.clone());
            if version >= 3 && Some(name) != files.first() {
                notes.push(ImportNote::IgnoredV2Registry { file: name.clone() });
            }
        }
    }
    // configMigration (images): below version 3, the v2 plugin's registry replaces the images
    // plugin's.
    if version < 3 {
        if let Some(r) = get_path(&plugins, &[GRPC_CRI_PLUGIN, "registry"]).cloned() {
            if let Some(Item::Table(images)) = plugins.get_mut(IMAGES_PLUGIN) {
                images.insert("registry", r);
            } else {
                let mut images = Table::new();
                images.insert("registry", r);
                plugins.insert(IMAGES_PLUGIN, Item::Table(images));
            }
            if let Some(file) = &v2_registry_from {
                if files.len() > 1 {
                    notes.push(ImportNote::RegistryReplaced { file: file.clone() });
                }
            }
        }
    }
    let plugins_item = Item::Table(plugins);
    let mut registry = registry_in(Some(&plugins_item), 3).map_err(|error| LoadError {
        file: files.first().cloned().unwrap_or_default(),
        error,
    })?;
    registry.version = version;
    if files.len() > 1 {
        let registry_path = |t: &Table| get_path(t, &[IMAGES_PLUGIN, "registry"]).cloned();
        // Where each setting came from: the last file that set it (below version 3, the v2
        // plugin's registry counts as the images plugin's).
        let mut origin: BTreeMap<String, String> = BTreeMap::new();
        let mut config_path = None;
        for (name, t) in &per_file {
            let mut reg = registry_path(t);
            if version < 3 {
                if let Some(r) = get_path(t, &[GRPC_CRI_PLUGIN, "registry"]) {
                    reg = Some(r.clone());
                }
            }
            let Some(Item::Table(reg)) = reg else {
                continue;
            };
            if reg.contains_key("config_path") {
                config_path = Some(name.clone());
            }
            if let Some(Item::Table(configs)) = reg.get("configs") {
                for (h, hv) in configs.iter() {
                    if hv.as_table_like().is_some_and(|t| t.contains_key("auth")) {
                        origin.insert(h.to_string(), name.clone());
                    }
                }
            }
        }
        registry.auth_origin = origin;
        registry.config_path_origin = config_path;
    }
    let imported = files.iter().skip(1).cloned().collect();
    Ok(Merged {
        files,
        imported,
        version,
        registry,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<File>);

    impl ImportReader for Fake {
        fn files(&mut self, pattern: &str) -> Result<Vec<File>, String> {
            let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("", pattern));
            let suffix = glob.strip_prefix('*').unwrap_or(glob);
            let mut out: Vec<File> = self
                .0
                .iter()
                .filter(|f| {
                    let (d, n) = f.path.rsplit_once('/').unwrap_or(("", &f.path));
                    d == dir
                        && if glob.contains('*') {
                            n.ends_with(suffix)
                        } else {
                            n == glob
                        }
                })
                .cloned()
                .collect();
            out.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(out)
        }
    }

    fn file(path: &str, text: &str) -> File {
        File {
            path: path.to_string(),
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    const MAIN: &str = "version = 3\nimports = [\"/c/config-v3.toml.d/*.toml\"]\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = \"overlayfs\"\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = \"/c/certs.d\"\n[plugins.'io.containerd.cri.v1.images'.registry.configs.'a.example.com'.auth]\n  username = \"k3s\"\n  password = \"p\"\n";

    #[test]
    fn drop_ins_add_credentials_key_by_key() {
        let mut src = Fake(vec![
            file(
                "/c/config-v3.toml.d/10-auth.toml",
                "[plugins.'io.containerd.cri.v1.images'.registry.configs.'b.example.com'.auth]\nusername = \"u\"\npassword = \"pw\"\n",
            ),
            file(
                "/c/config-v3.toml.d/20-override.toml",
                "[plugins.\"io.containerd.cri.v1.images\".registry.configs.\"a.example.com\".auth]\nusername = \"other\"\n",
            ),
            file("/c/config-v3.toml.d/README", "not toml ["),
        ]);
        let m = load(file("/c/config.toml", MAIN), &mut src).expect("loads");
        assert_eq!(m.files, ["config.toml", "10-auth.toml", "20-override.toml"]);
        let r = &m.registry;
        assert_eq!(r.config_path.as_deref(), Some("/c/certs.d"));
        assert_eq!(r.auths["b.example.com"].username, "u");
        // The auth table merges key by key: the password stays.
        assert_eq!(r.auths["a.example.com"].username, "other");
        assert_eq!(r.auths["a.example.com"].password.reveal(), "p");
        assert_eq!(r.auth_origin["a.example.com"], "20-override.toml");
        assert_eq!(r.auth_origin["b.example.com"], "10-auth.toml");
        assert_eq!(r.config_path_origin.as_deref(), Some("config.toml"));
        assert_eq!(m.notes.len(), 2);
    }

    #[test]
    fn a_v2_registry_table_is_ignored_at_version_3() {
        let mut src = Fake(vec![file(
            "/c/config-v3.toml.d/x.toml",
            "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"b.example.com\".auth]\nusername = \"u\"\n",
        )]);
        let m = load(file("/c/config.toml", MAIN), &mut src).expect("loads");
        assert!(!m.registry.auths.contains_key("b.example.com"));
        assert_eq!(
            m.notes,
            [ImportNote::IgnoredV2Registry {
                file: "x.toml".into()
            }]
        );
        // Without a version, `cri` is the v2 plugin's short name: the same.
        let mut src = Fake(vec![file(
            "/c/config-v3.toml.d/x.toml",
            "[plugins.cri.registry.configs.\"b.example.com\".auth]\nusername = \"u\"\n",
        )]);
        let m = load(file("/c/config.toml", MAIN), &mut src).expect("loads");
        assert!(!m.registry.auths.contains_key("b.example.com"));
    }

    #[test]
    fn a_version_2_drop_in_replaces_the_registry_table() {
        let mut src = Fake(vec![file(
            "/c/config-v3.toml.d/x.toml",
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"b.example.com\".auth]\nusername = \"u\"\n",
        )]);
        let m = load(file("/c/config.toml", MAIN), &mut src).expect("loads");
        assert_eq!(m.version, 2);
        assert_eq!(m.registry.config_path, None, "K3s's config_path is gone");
        assert!(m.registry.auths.contains_key("b.example.com"));
        assert!(!m.registry.auths.contains_key("a.example.com"));
        assert!(m.notes.contains(&ImportNote::RegistryReplaced {
            file: "x.toml".into()
        }));
    }

    #[test]
    fn imports_resolve_relative_and_skip_loaded_files() {
        let mut src = Fake(vec![
            file(
                "/c/d/a.toml",
                "imports = [\"../config.toml\", \"b.toml\"]\n",
            ),
            file(
                "/c/d/b.toml",
                "[plugins.'io.containerd.cri.v1.images'.registry]\nconfig_path = \"/elsewhere\"\n",
            ),
        ]);
        let main = "version = 3\nimports = [\"d/a.toml\"]\n";
        let m = load(file("/c/config.toml", main), &mut src).expect("loads");
        assert_eq!(m.files, ["config.toml", "a.toml", "b.toml"]);
        assert_eq!(m.registry.config_path.as_deref(), Some("/elsewhere"));
        assert_eq!(m.registry.config_path_origin.as_deref(), Some("b.toml"));
    }

    #[test]
    fn a_broken_drop_in_stops_containerd() {
        let mut src = Fake(vec![file("/c/config-v3.toml.d/x.toml", "[plugins\n")]);
        let e = load(file("/c/config.toml", MAIN), &mut src).expect_err("broken");
        assert_eq!(e.file, "x.toml");
    }
}
