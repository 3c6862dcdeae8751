//! `cargo bench`: the figures of issue 15's table, for registries.yaml files with 1,000, 5,000
//! and 10,000 mirrors (about 0.45, 2.3 and 4.6 MB: three endpoints each, two of them without a
//! configs entry, auth and TLS configs, a rewrite on every tenth mirror). Each command is a whole
//! process, timed over several rounds (medians), and each figure is a ratio to a baseline
//! measured in the same run, because the machine's load changes between runs:
//!
//! - the preview (`render` to /dev/null: read, parse, translate, render, no writes) and
//!   `render --output` into a fresh directory, both against `cp -r` of the same output tree on
//!   the same filesystem (tmpfs, /dev/shm, when there is one; and cargo's scratch directory on
//!   disk);
//! - `audit` and `explain nginx` against the preview; and audit's time at the largest size over
//!   its time at half that size (linear means about 2x).
//!
//! Peak memory is the child's maximum resident set size, from GNU time (`/usr/bin/time -f %M`)
//! when it is installed.
//!
//! Environment: `BENCH_MIRRORS` (comma-separated, default `1000,5000,10000`), `BENCH_ROUNDS`
//! (default 5), `BENCH_BIN` (another k3s-registries binary to measure, e.g. an older build for
//! before/after figures).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn generate(mirrors: usize) -> String {
    let mut y = String::with_capacity(mirrors * 420);
    y.push_str("mirrors:\n");
    for i in 0..mirrors {
        let _ = write!(
            y,
            "  \"registry-{i:05}.example.com\":\n    endpoint:\n      - \"https://mirror-a-{i:05}.example.com\"\n      - \"mirror-b-{i:05}.example.com:5000/cache\"\n      - \"https://registry-{i:05}.example.com\"\n"
        );
        if i % 10 == 0 {
            let _ = write!(y, "    rewrite:\n      \"^library/(.*)\": \"mirrored/$1\"\n      \"^team-{i}/(.*)\": \"x/$1\"\n");
        }
    }
    y.push_str("configs:\n");
    for i in 0..mirrors {
        let _ = write!(
            y,
            "  \"mirror-a-{i:05}.example.com\":\n    auth:\n      username: \"puller-{i}\"\n      password: \"s3cr3t-{i:05}\"\n    tls:\n      ca_file: \"/etc/rancher/k3s/ca-{i:05}.crt\"\n      cert_file: \"/etc/rancher/k3s/client-{i:05}.crt\"\n      key_file: \"/etc/rancher/k3s/client-{i:05}.key\"\n"
        );
    }
    y
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Run a command with stdout discarded, returning its wall time. `audit` exits 1 when it has
/// findings, which is success here.
fn timed(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    let d = t.elapsed();
    assert!(matches!(status.code(), Some(0 | 1)), "{cmd:?} failed");
    d
}

/// The peak RSS (KiB) of one run of `bin args`, from GNU time's %M.
fn peak_rss_kib(bin: &Path, args: &[&std::ffi::OsStr]) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let o = Command::new(time)
        .args(["-f", "%M"])
        .arg(bin)
        .args(args)
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a (apt-get install time)".to_string(), |k| {
        format!("{:.1} MiB", k as f64 / 1024.0)
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A scratch directory on tmpfs (/dev/shm, when /proc/mounts says it is tmpfs).
fn tmpfs_dir() -> Option<tempfile::TempDir> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let is_tmpfs = mounts.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&"/dev/shm") && f.get(2) == Some(&"tmpfs")
    });
    is_tmpfs
        .then(|| tempfile::tempdir_in("/dev/shm").ok())
        .flatten()
}

/// `render --output` into fresh directories under `dir`, and `cp -r` of the same tree there,
/// interleaved round by round: (render, cp) medians.
fn writes(bin: &Path, reg: &Path, dir: &Path, rounds: usize) -> (Duration, Duration) {
    let mut ours = Vec::new();
    let mut cp = Vec::new();
    for round in 0..rounds {
        let out = dir.join(format!("out-{round}"));
        ours.push(timed(
            Command::new(bin)
                .args(["render", "--registries"])
                .arg(reg)
                .arg("--output")
                .arg(&out),
        ));
        let copy = dir.join(format!("copy-{round}"));
        cp.push(timed(Command::new("cp").arg("-r").arg(&out).arg(&copy)));
    }
    for round in 0..rounds {
        let _ = std::fs::remove_dir_all(dir.join(format!("out-{round}")));
        let _ = std::fs::remove_dir_all(dir.join(format!("copy-{round}")));
    }
    (median(ours), median(cp))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_MIRRORS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1_000, 5_000, 10_000]);
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    // The binary cargo built for this bench run (release profile), not whatever is in target/;
    // BENCH_BIN measures another build (an older one, for before/after figures) the same way.
    let bin = std::env::var_os("BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_k3s-registries")),
        PathBuf::from,
    );
    println!("binary: {}", bin.display());
    // Cargo's scratch directory for benches: on the build's filesystem, never in the source tree.
    let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tmp");
    let tmpfs = tmpfs_dir();
    let mut audit_ms: Vec<(usize, f64)> = Vec::new();
    println!("medians of {rounds} rounds; ratios are to a baseline measured in the same run");
    for &mirrors in &sizes {
        let reg = disk.path().join(format!("registries-{mirrors}.yaml"));
        let yaml = generate(mirrors);
        std::fs::write(&reg, &yaml).expect("write input");
        let r = reg.as_os_str();
        let preview_args: Vec<&std::ffi::OsStr> =
            vec!["render".as_ref(), "--registries".as_ref(), r];
        let audit_args: Vec<&std::ffi::OsStr> = vec!["audit".as_ref(), "--registries".as_ref(), r];
        let explain_args: Vec<&std::ffi::OsStr> = vec![
            "explain".as_ref(),
            "nginx".as_ref(),
            "--registries".as_ref(),
            r,
        ];
        let (mut preview, mut audit, mut explain) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            preview.push(timed(Command::new(&bin).args(&preview_args)));
            audit.push(timed(Command::new(&bin).args(&audit_args)));
            explain.push(timed(Command::new(&bin).args(&explain_args)));
        }
        let (preview, audit, explain) = (median(preview), median(audit), median(explain));
        let (disk_render, disk_cp) = writes(&bin, &reg, disk.path(), rounds);
        let shm = tmpfs.as_ref().map(|t| writes(&bin, &reg, t.path(), rounds));
        let out_dir = disk.path().join("out-rss");
        let mut render_args = preview_args.clone();
        render_args.extend(["--output".as_ref(), out_dir.as_os_str()]);
        let render_rss = peak_rss_kib(&bin, &render_args);
        let files = walk_count(&out_dir);
        println!();
        println!(
            "{mirrors} mirrors ({:.2} MB in, {files} files out)",
            yaml.len() as f64 / 1e6
        );
        let (cp_base, cp_where) = match shm {
            Some((_, cp)) => (cp, "tmpfs"),
            None => (disk_cp, "disk"),
        };
        println!(
            "  preview (no writes)        {:8.1} ms  {:5.2}x cp -r on {cp_where} (target <= 0.3x)  peak {}",
            ms(preview),
            ms(preview) / ms(cp_base),
            mib(peak_rss_kib(&bin, &preview_args))
        );
        if let Some((ours, cp)) = shm {
            println!(
                "  render --output, tmpfs     {:8.1} ms  {:5.2}x cp -r ({:.1} ms) (target <= 1.2x)  peak {}",
                ms(ours),
                ms(ours) / ms(cp),
                ms(cp),
                mib(render_rss)
            );
        }
        println!(
            "  render --output, disk      {:8.1} ms  {:5.2}x cp -r ({:.1} ms) (target <= 1x)",
            ms(disk_render),
            ms(disk_render) / ms(disk_cp),
            ms(disk_cp)
        );
        println!(
            "  audit                      {:8.1} ms  {:5.2}x preview (target <= 2x)  peak {}",
            ms(audit),
            ms(audit) / ms(preview),
            mib(peak_rss_kib(&bin, &audit_args))
        );
        println!(
            "  explain nginx              {:8.1} ms  {:5.2}x preview (target <= 1x)  peak {}",
            ms(explain),
            ms(explain) / ms(preview),
            mib(peak_rss_kib(&bin, &explain_args))
        );
        audit_ms.push((mirrors, ms(audit)));
    }
    // Linearity: the largest size against the one closest to half of it.
    if let Some(&(big, big_ms)) = audit_ms.iter().max_by_key(|(n, _)| *n) {
        if let Some(&(half, half_ms)) = audit_ms
            .iter()
            .filter(|(n, _)| *n < big)
            .min_by_key(|(n, _)| (n * 2).abs_diff(big))
        {
            println!();
            println!(
                "audit at {big} / audit at {half} mirrors: {:.2}x (input {:.2}x; target <= 2.2x for 2x)",
                big_ms / half_ms,
                big as f64 / half as f64
            );
        }
    }
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk_count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
