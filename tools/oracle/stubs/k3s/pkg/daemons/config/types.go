// Package config stands in for K3s's pkg/daemons/config: the node configuration, with only the
// fields K3s's registry code and containerd templates read (names and types as in K3s's
// types.go). A template that reads a field missing here fails with "can't evaluate field":
// add the field, never a value.
package config

import "github.com/rancher/wharfie/pkg/registries"

// Node is K3s's config.Node (subset).
type Node struct {
	Docker                   bool
	ContainerRuntimeEndpoint string
	ImageServiceEndpoint     string
	SELinux                  bool
	NoFlannel                bool // read by the v3 template before K3s commit 7b1c48212
	EmbeddedRegistry         bool
	Containerd               Containerd
	AgentConfig              Agent
	Token                    string
	SupervisorPort           int
	DefaultRuntime           string
}

// Containerd is K3s's config.Containerd.
type Containerd struct {
	Address        string
	Log            string
	Root           string
	State          string
	Config         string
	Opt            string
	Template       string
	BlockIOConfig  string
	RDTConfig      string
	Registry       string
	NoDefault      bool
	NonrootDevices bool
	SELinux        bool
	Debug          bool
	ConfigVersion  int
}

// Agent is K3s's config.Agent (subset).
type Agent struct {
	ImageServiceSocket    string
	CNIBinDir             string
	CNIConfDir            string
	PauseImage            string
	Snapshotter           string
	Systemd               bool
	Rootless              bool
	Registry              *registries.Registry
	SystemDefaultRegistry string
	AirgapExtraRegistry   []string
}
