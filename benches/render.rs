//! `cargo bench`: render a registries.yaml with 10,000 mirrors (about 4 MB: three endpoints each,
//! auth and TLS configs, a rewrite on every tenth) into a fresh directory, and compare with
//! `cp -r` of the same output tree on the same filesystem, measured in the same run.
//!
//! Both are whole processes (ours: read, parse, translate, render, write atomically; cp: read and
//! write the tree), timed over several rounds; the figures printed are medians, the ratio is
//! ours / cp's. Peak memory is the child's maximum resident set size (`getrusage`).
//!
//! Environment: `BENCH_MIRRORS` (default 10000), `BENCH_ROUNDS` (default 7).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
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

/// Run a command, returning its wall time and the peak RSS (KiB) of the children so far.
fn timed(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let status = cmd.status().expect("spawn");
    let d = t.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    d
}

fn peak_rss_kib(bin: &Path, reg: &Path, out: &Path) -> Option<u64> {
    // GNU time's %M, if present; else /proc polling is unreliable, so report nothing.
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let o = Command::new(time)
        .args(["-f", "%M"])
        .arg(bin)
        .args(["render", "--registries"])
        .arg(reg)
        .arg("--output")
        .arg(out)
        .output()
        .ok()?;
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn main() {
    let mirrors: usize = std::env::var("BENCH_MIRRORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    // The binary cargo built for this bench run (release profile), not whatever is in target/.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_k3s-registries"));
    // Cargo's scratch directory for benches: on the build's filesystem, never in the source tree.
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tmp");
    let reg = tmp.path().join("registries.yaml");
    let yaml = generate(mirrors);
    std::fs::write(&reg, &yaml).expect("write input");

    let mut ours = Vec::new();
    let mut cp = Vec::new();
    for round in 0..rounds {
        let out = tmp.path().join(format!("out-{round}"));
        ours.push(timed(
            Command::new(&bin)
                .args(["render", "--registries"])
                .arg(&reg)
                .arg("--output")
                .arg(&out),
        ));
        let copy = tmp.path().join(format!("copy-{round}"));
        cp.push(timed(Command::new("cp").arg("-r").arg(&out).arg(&copy)));
    }
    let files = walk_count(&tmp.path().join("out-0"));
    let (o, c) = (median(ours), median(cp));
    println!(
        "input: {mirrors} mirrors, {:.1} MB; output: {files} files",
        yaml.len() as f64 / 1e6
    );
    println!(
        "render --output (median of {rounds}): {:.1} ms",
        o.as_secs_f64() * 1e3
    );
    println!(
        "cp -r of the same tree (median of {rounds}): {:.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!(
        "ratio render / cp -r: {:.2}x (target <= 1.5x)",
        o.as_secs_f64() / c.as_secs_f64()
    );
    match peak_rss_kib(&bin, &reg, &tmp.path().join("out-rss")) {
        Some(kib) => println!(
            "peak RSS of render: {:.1} MiB (target < 64 MiB)",
            kib as f64 / 1024.0
        ),
        None => println!("peak RSS of render: /usr/bin/time not installed (apt-get install time)"),
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
