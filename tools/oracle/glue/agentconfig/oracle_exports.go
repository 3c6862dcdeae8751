// Oracle glue (ours, not K3s's): an exported entry point into K3s's
// applyContainerdOSSpecificConfig, extracted next to this file.
package config

import "github.com/k3s-io/k3s/pkg/daemons/config"

// OracleApplyContainerdOSSpecificConfig sets containerd's state dir, socket and, for stargz and
// nix, the image service socket, as K3s does on Linux.
func OracleApplyContainerdOSSpecificConfig(nodeConfig *config.Node) error {
	return applyContainerdOSSpecificConfig(nodeConfig)
}
