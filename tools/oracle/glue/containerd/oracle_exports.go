// Oracle glue (ours, not K3s's): exported entry points into the K3s functions extracted next to
// this file, and the snapshotter checks applyContainerdOSSpecificConfig calls, which probe the
// host's filesystem and are taken to succeed.
package containerd

import (
	"github.com/k3s-io/k3s/pkg/agent/templates"
	"github.com/k3s-io/k3s/pkg/daemons/config"
	"github.com/rancher/wharfie/pkg/registries"
)

// OracleWriteContainerdHosts runs K3s's writeContainerdHosts (clean-up, then every hosts.toml).
func OracleWriteContainerdHosts(cfg *config.Node, cc templates.ContainerdConfig) error {
	return writeContainerdHosts(cfg, cc)
}

// OracleHostDirs returns, for every host directory K3s would write, the key and the directory
// name (hostDirectory), from K3s's getHostConfigs.
func OracleHostDirs(registry *registries.Registry, noDefaultEndpoint bool, mirrorAddr string) map[string]string {
	out := map[string]string{}
	for host := range getHostConfigs(registry, noDefaultEndpoint, mirrorAddr) {
		out[host] = hostDirectory(host)
	}
	return out
}

func OverlaySupported(string) error       { return nil }
func FuseoverlayfsSupported(string) error { return nil }
func StargzSupported(string) error        { return nil }
func NixSupported(string) error           { return nil }
