//! Byte-exact fixture tests: every case's rendered tree must equal, byte for byte, the files
//! K3s's own code writes for it (expected/, expected-v2/), and every input K3s refuses must fail.

use crate::harness::{check_cases, root};

fn assert_cases(group: &str) {
    let dir = root().join(group);
    let (count, failures) = check_cases(&dir);
    assert!(count > 0, "no cases under {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {count} cases under {group} differ from K3s:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The seed document's examples, repaired, with the trees K3s writes for them.
#[test]
fn examples_render_as_k3s_does() {
    assert_cases("examples");
}

/// Every case of K3s's own `Test_UnitGetHostConfigs` (pkg/agent/containerd/config_test.go).
#[test]
fn k3s_unit_cases_render_as_k3s_does() {
    assert_cases("tests/fixtures/k3s-unit");
}

/// Corners of yaml.v2, Go's quoting and URLs, and K3s's translation and templates.
#[test]
fn corner_cases_render_as_k3s_does() {
    assert_cases("tests/fixtures/corners");
}
