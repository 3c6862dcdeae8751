// Package spegel stands in for K3s's pkg/spegel: the Config fields InjectMirror and
// writeContainerdHosts read, and DefaultRegistry. InjectMirror itself is K3s's, extracted at
// build time next to this file.
package spegel

// Config is K3s's spegel.Config (subset: the addresses and TLS files).
type Config struct {
	ClientCAFile   string
	ClientCertFile string
	ClientKeyFile  string

	ServerCAFile   string
	ServerCertFile string
	ServerKeyFile  string

	ExternalAddress string
	InternalAddress string
	RegistryPort    string
	PSK             []byte
}

// DefaultRegistry is the instance K3s's agent configures and writeContainerdHosts reads
// (net.JoinHostPort(InternalAddress, RegistryPort), ":" while the embedded registry is off).
var DefaultRegistry = &Config{}
