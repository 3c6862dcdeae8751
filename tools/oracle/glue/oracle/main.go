// Command oracle runs K3s's own registry code (extracted at build time by tools/oracle/prepare)
// over directories of cases, and writes for each what K3s writes for it. Our glue, not K3s's:
// it sets up the node the way K3s's agent does (pkg/agent/config/config.go, cited below) and
// then calls K3s's functions.
//
// Usage: oracle [-out DIR] [-q] CASES...
//
// A case is a directory holding registries.yaml (and optionally args, description); CASES may be
// case directories or any directory above them. Results go into the case directory itself, or,
// with -out, into the same relative path under DIR (registries.yaml, args and description are
// copied there). Previous results (expected/, expected-v2/, expected-error, oracle-stderr,
// oracle-skipped) are replaced. See tools/oracle/README.md for the layout.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	agentconfig "github.com/k3s-io/k3s/pkg/agent/config"
	"github.com/k3s-io/k3s/pkg/agent/containerd"
	"github.com/k3s-io/k3s/pkg/agent/templates"
	"github.com/k3s-io/k3s/pkg/agent/util"
	"github.com/k3s-io/k3s/pkg/daemons/config"
	"github.com/k3s-io/k3s/pkg/spegel"
	"github.com/k3s-io/k3s/pkg/version"
	"github.com/rancher/wharfie/pkg/registries"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v2"
)

// The node facts a registries file cannot tell (a default K3s server on a systemd Linux host).
const (
	// datadir.DefaultDataDir.
	defaultDataDir = "/var/lib/rancher/k3s"
	// controlConfig.Loopback(false) on an IPv4 node, and the supervisor port's default.
	embeddedInternalAddress = "127.0.0.1"
	embeddedRegistryPort    = "6443"
)

// results are the files a run leaves in a case directory; they are removed before a run.
var results = []string{"expected", "expected-v2", "expected-error", "oracle-stderr", "oracle-skipped"}

type nodeArgs struct {
	dataDir, pauseImage, snapshotter         string
	systemDefaultRegistry                    string
	selinux, nonrootDevices, rootless        bool
	embeddedRegistry, disableDefaultEndpoint bool
}

func parseArgs(line string) (nodeArgs, error) {
	a := nodeArgs{dataDir: defaultDataDir, pauseImage: defaultPauseImage, snapshotter: defaultSnapshotter}
	words, err := shellWords(line)
	if err != nil {
		return a, err
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(words) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			i++
			return words[i], nil
		}
		var err error
		switch name {
		case "--data-dir", "-d":
			a.dataDir, err = takeValue()
		case "--pause-image":
			a.pauseImage, err = takeValue()
		case "--snapshotter":
			a.snapshotter, err = takeValue()
		case "--system-default-registry":
			a.systemDefaultRegistry, err = takeValue()
		case "--rootless":
			a.rootless = true
		case "--selinux":
			a.selinux = true
		case "--nonroot-devices":
			a.nonrootDevices = true
		case "--embedded-registry":
			a.embeddedRegistry = true
		case "--disable-default-registry-endpoint":
			a.disableDefaultEndpoint = true
		default:
			return a, fmt.Errorf("unknown argument %q", w)
		}
		if err != nil {
			return a, err
		}
	}
	if !filepath.IsAbs(a.dataDir) {
		return a, fmt.Errorf("--data-dir %q: the oracle takes absolute data dirs only", a.dataDir)
	}
	// datadir.LocalHome makes the data dir absolute (filepath.Abs), which cleans it.
	a.dataDir = filepath.Clean(a.dataDir)
	return a, nil
}

// shellWords splits a line as a POSIX shell (and Python's shlex.split) would.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '\''; j++ {
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, errors.New("unterminated single quote")
			}
			i = j
		case c == '"':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[j+1]) {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, errors.New("unterminated double quote")
			}
			i = j
		case c == '\\':
			inWord = true
			if i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			}
		default:
			inWord = true
			cur.WriteRune(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// newNode builds the config.Node K3s's agent builds, for the fields the registry code and the
// templates read (pkg/agent/config/config.go get(), pkg/executor/embed/embed.go for the CNI
// dirs), loads the registries file as wharfie's GetPrivateRegistries does (yaml.v2 Unmarshal
// into registries.Registry) and injects the embedded registry as K3s does.
func newNode(a nodeArgs, registriesYAML []byte) (*config.Node, error) {
	dd := a.dataDir
	node := &config.Node{SELinux: a.selinux, EmbeddedRegistry: a.embeddedRegistry}
	node.AgentConfig.Snapshotter = a.snapshotter
	node.Containerd.Config = filepath.Join(dd, "agent", "etc", "containerd", "config.toml")
	node.Containerd.Root = filepath.Join(dd, "agent", "containerd")
	node.Containerd.Opt = filepath.Join(dd, "agent", "containerd")
	node.Containerd.Log = filepath.Join(dd, "agent", "containerd", "containerd.log")
	node.Containerd.Registry = filepath.Join(dd, "agent", "etc", "containerd", "certs.d")
	node.Containerd.NoDefault = a.disableDefaultEndpoint
	node.Containerd.NonrootDevices = a.nonrootDevices
	node.Containerd.Template = filepath.Join(dd, "agent", "etc", "containerd")
	if err := agentconfig.OracleApplyContainerdOSSpecificConfig(node); err != nil {
		return nil, err
	}
	// embed.go: CNIBinDir is the directory of host-local found on PATH, which K3s's main puts at
	// <data-dir>/data/cni (cmd/k3s/main.go); CNIConfDir is fixed.
	node.AgentConfig.CNIBinDir = filepath.Join(dd, "data", "cni")
	node.AgentConfig.CNIConfDir = filepath.Join(dd, "agent", "etc", "cni", "net.d")
	node.AgentConfig.PauseImage = a.pauseImage
	// config.go get(): "Apply SystemDefaultRegistry to PauseImage".
	if sdr := a.systemDefaultRegistry; sdr != "" {
		if node.AgentConfig.PauseImage != "" && !strings.HasPrefix(node.AgentConfig.PauseImage, sdr) {
			node.AgentConfig.PauseImage = sdr + "/" + node.AgentConfig.PauseImage
		}
	}

	reg := &registries.Registry{}
	if err := yaml.Unmarshal(registriesYAML, reg); err != nil {
		return nil, err
	}
	node.AgentConfig.Registry = reg

	*spegel.DefaultRegistry = spegel.Config{}
	if node.EmbeddedRegistry {
		conf := spegel.DefaultRegistry
		conf.InternalAddress = embeddedInternalAddress
		conf.RegistryPort = embeddedRegistryPort
		conf.ServerCAFile = filepath.Join(dd, "agent", "server-ca.crt")
		conf.ClientCertFile = filepath.Join(dd, "agent", "client-"+version.Program+"-controller.crt")
		conf.ClientKeyFile = filepath.Join(dd, "agent", "client-"+version.Program+"-controller.key")
		conf.InjectMirror(node)
	}
	return node, nil
}

// containerdConfig is what SetupContainerdConfig (config_linux.go) passes the templates on a
// node under systemd with a kernel >= 4.11, no extra runtimes found: root, or rootless (in a
// user namespace, cgroup controllers delegated, so no DisableCgroup).
func containerdConfig(node *config.Node, a nodeArgs) templates.ContainerdConfig {
	// cfg.AgentConfig.Systemd = !isRunningInUserNS && controllers["cpuset"] && INVOCATION_ID != ""
	node.AgentConfig.Systemd = !a.rootless
	return templates.ContainerdConfig{
		NodeConfig:            node,
		SystemdCgroup:         node.AgentConfig.Systemd,
		IsRunningInUserNS:     a.rootless,
		EnableUnprivileged:    true,
		NonrootDevices:        node.Containerd.NonrootDevices,
		PrivateRegistryConfig: node.AgentConfig.Registry,
		Program:               version.Program,
		NoDefaultEndpoint:     node.Containerd.NoDefault,
	}
}

// variant is one config.toml template: writeContainerdConfig's choice with no user template (v3),
// or with a config.toml.tmpl of {{ template "base" . }} (v2).
type variant struct {
	name          string
	version       int
	user, base    string
	resultsConfig string // where config.toml goes in the case directory
}

func variants() []variant {
	return []variant{
		{"v3", 3, templates.ContainerdConfigTemplateV3, templates.ContainerdConfigTemplateV3, "expected"},
		{"v2", 2, `{{ template "base" . }}`, templates.ContainerdConfigTemplate, "expected-v2"},
	}
}

// outcome of one case.
type outcome struct {
	skipped string // why the case was not run
	refused string // K3s's error
	trees   map[string]map[string][]byte
	logs    string
}

type runner struct {
	scratch string
	n       int
}

// runCase runs K3s's code for one case: config.toml, then writeContainerdHosts (which cleans and
// writes certs.d), in a scratch directory standing for <data-dir>/agent/etc/containerd.
func (r *runner) runCase(a nodeArgs, registriesYAML []byte) outcome {
	var logs bytes.Buffer
	o := outcome{trees: map[string]map[string][]byte{}}
	for i, v := range variants() {
		logs.Reset()
		logrus.Output = &logs
		node, err := newNode(a, registriesYAML)
		if err != nil {
			o.refused = err.Error()
			break
		}
		cc := containerdConfig(node, a)
		realDir := node.Containerd.Template // <data-dir>/agent/etc/containerd

		// Where would K3s write and remove? Refuse what the case layout cannot hold: a host
		// directory outside <data-dir>/agent/etc/containerd (K3s would remove and write there),
		// or two hosts sharing one path (the result then depends on Go's map order).
		logrus.Output = io.Discard
		dirs := containerd.OracleHostDirs(node.AgentConfig.Registry, cc.NoDefaultEndpoint, mirrorAddr())
		logrus.Output = &logs
		if why := unsafeHosts(dirs, node.Containerd.Registry, realDir); why != "" {
			o.skipped = why
			break
		}
		if why := wildcardCollision(node.AgentConfig.Registry); why != "" {
			o.skipped = why
			break
		}

		r.n++
		scratch := filepath.Join(r.scratch, fmt.Sprint(r.n))
		dir := filepath.Join(scratch, "containerd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fatal(err)
		}
		err = func() error {
			node.Containerd.ConfigVersion = v.version
			rendered, err := templates.ParseTemplateFromConfig(v.user, v.base, cc)
			if err != nil {
				return err
			}
			if err := util.WriteFile(filepath.Join(dir, "config.toml"), rendered); err != nil {
				return err
			}
			hostsNode := *node
			hostsNode.Containerd.Registry = filepath.Join(dir, "certs.d")
			return containerd.OracleWriteContainerdHosts(&hostsNode, cc)
		}()
		if err != nil && strings.Contains(err.Error(), "can't evaluate field") {
			// Not K3s refusing the input: a template reads a field our config.Node lacks.
			fatal(fmt.Errorf("tools/oracle/stubs/k3s/pkg/daemons/config lacks a field this K3s reads: %v", err))
		}
		if err != nil {
			o.refused = strings.ReplaceAll(err.Error(), dir, realDir)
			os.RemoveAll(scratch)
			break
		}
		tree, err := readTree(dir)
		if err != nil {
			fatal(err)
		}
		os.RemoveAll(scratch)
		o.trees[v.resultsConfig] = tree
		if i == 0 {
			o.logs = sortLines(logs.String())
		}
	}
	if o.refused != "" || o.skipped != "" {
		o.logs = sortLines(logs.String())
	}
	logrus.Output = os.Stderr
	return o
}

// mirrorAddr is what writeContainerdHosts computes from spegel.DefaultRegistry.
func mirrorAddr() string {
	return net.JoinHostPort(spegel.DefaultRegistry.InternalAddress, spegel.DefaultRegistry.RegistryPort)
}

// wildcardCollision: getHostConfigs stores "*" under "_default" inside its own map, so "*" and a
// literal "_default" both in configs, or both in mirrors, leave whichever Go's random map range
// visits last (across the two sections the mirrors loop always runs second, which is
// deterministic). unsafeHosts cannot see this: the map it gets has only the survivor.
func wildcardCollision(r *registries.Registry) string {
	if r == nil {
		return ""
	}
	_, configsStar := r.Configs["*"]
	_, configsDefault := r.Configs["_default"]
	_, mirrorsStar := r.Mirrors["*"]
	_, mirrorsDefault := r.Mirrors["_default"]
	for _, c := range []struct {
		both    bool
		section string
	}{{configsStar && configsDefault, "configs"}, {mirrorsStar && mirrorsDefault, "mirrors"}} {
		if c.both {
			return fmt.Sprintf("nondeterministic: %s \"*\" and \"_default\" both make _default/hosts.toml (the last in Go's random map order wins)\n", c.section)
		}
	}
	return ""
}

func unsafeHosts(dirs map[string]string, registryDir, containerdDir string) string {
	keys := make([]string, 0, len(dirs))
	for k := range dirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byPath := map[string]string{}
	for _, k := range keys {
		// cleanContainerdHosts removes filepath.Join(dir, host); writeContainerdHosts writes
		// filepath.Join(dir, hostDirectory(host)); on Linux they are the same path.
		for _, p := range []string{filepath.Join(registryDir, k), filepath.Join(registryDir, dirs[k])} {
			if p != containerdDir && !strings.HasPrefix(p, containerdDir+"/") {
				return fmt.Sprintf("outside: registry %q makes K3s remove and write %s, outside %s\n", k, p, containerdDir)
			}
		}
		p := filepath.Join(registryDir, dirs[k])
		if other, ok := byPath[p]; ok {
			return fmt.Sprintf("nondeterministic: registries %q and %q both write %s (the last in Go's random map order wins)\n", other, k, filepath.Join(p, "hosts.toml"))
		}
		byPath[p] = k
	}
	for p, k := range byPath {
		file := filepath.Join(p, "hosts.toml")
		for q, other := range byPath {
			if q == file || strings.HasPrefix(q, file+"/") {
				return fmt.Sprintf("nondeterministic: registry %q writes the file %s, registry %q a directory there (which fails first depends on Go's map order)\n", k, file, other)
			}
		}
	}
	return ""
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// readTree reads every regular file below dir by slash-separated relative path.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	return files, err
}

// resultFiles is what a case directory should hold after a run, by slash-separated path.
func resultFiles(o outcome) map[string][]byte {
	files := map[string][]byte{}
	switch {
	case o.skipped != "":
		files["oracle-skipped"] = []byte(o.skipped)
	case o.refused != "":
		files["expected-error"] = []byte(o.refused + "\n")
		files["oracle-stderr"] = []byte(o.logs + "error: " + o.refused + "\n")
	default:
		for f, data := range o.trees["expected"] {
			files["expected/"+f] = data
		}
		// No expected-v2 where K3s removed config.toml (a registry named "..").
		if data, ok := o.trees["expected-v2"]["config.toml"]; ok {
			files["expected-v2/config.toml"] = data
		}
		files["oracle-stderr"] = []byte(o.logs)
	}
	return files
}

// writeResults replaces a case's results, leaving the directory alone when they are unchanged.
func writeResults(caseDir string, o outcome) error {
	want := resultFiles(o)
	have := map[string][]byte{}
	for _, r := range results {
		p := filepath.Join(caseDir, r)
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if st.IsDir() {
			tree, err := readTree(p)
			if err != nil {
				return err
			}
			for f, data := range tree {
				have[r+"/"+f] = data
			}
		} else if data, err := os.ReadFile(p); err == nil {
			have[r] = data
		}
	}
	if sameFiles(want, have) {
		return nil
	}
	for _, r := range results {
		if err := os.RemoveAll(filepath.Join(caseDir, r)); err != nil {
			return err
		}
	}
	for rel, data := range want {
		p := filepath.Join(caseDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// findCases lists the case directories (holding registries.yaml) at or below root.
func findCases(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "expected", "expected-v2":
			return filepath.SkipDir
		}
		if st, err := os.Stat(filepath.Join(p, "registries.yaml")); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
			return filepath.SkipDir
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "oracle:", err)
	os.Exit(2)
}

func main() {
	out := flag.String("out", "", "write results under `DIR` (same relative paths) instead of into the cases")
	quiet := flag.Bool("q", false, "print only the summary")
	showVersion := flag.Bool("version", false, "print which K3s source this oracle was built from")
	flag.Parse()
	if *showVersion {
		fmt.Printf("%s (pause-image default %s, snapshotter default %s)\n", k3sSource, defaultPauseImage, defaultSnapshotter)
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: oracle [-out DIR] [-q] CASES...")
		os.Exit(2)
	}
	// Scratch trees are written and removed for every case: keep them in memory when possible.
	tmp := ""
	if os.Getenv("TMPDIR") == "" {
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			tmp = "/dev/shm"
		}
	}
	scratch, err := os.MkdirTemp(tmp, "k3s-oracle-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(scratch)
	r := &runner{scratch: scratch}
	start := time.Now()
	var rendered, refused, skipped, bad int
	for _, root := range flag.Args() {
		cases, err := findCases(root)
		if err != nil {
			fatal(err)
		}
		if len(cases) == 0 {
			fatal(fmt.Errorf("%s: no case directories (with registries.yaml)", root))
		}
		for _, c := range cases {
			input, err := os.ReadFile(filepath.Join(c, "registries.yaml"))
			if err != nil {
				fatal(err)
			}
			argsLine, err := os.ReadFile(filepath.Join(c, "args"))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				fatal(err)
			}
			dest := c
			if *out != "" {
				rel, err := filepath.Rel(root, c)
				if err != nil {
					fatal(err)
				}
				dest = filepath.Join(*out, filepath.Base(filepath.Clean(root)), rel)
				if rel == "." {
					dest = filepath.Join(*out, filepath.Base(filepath.Clean(c)))
				}
				for _, f := range []string{"registries.yaml", "args", "description"} {
					if data, err := os.ReadFile(filepath.Join(c, f)); err == nil {
						if err := os.MkdirAll(dest, 0o755); err != nil {
							fatal(err)
						}
						if err := os.WriteFile(filepath.Join(dest, f), data, 0o644); err != nil {
							fatal(err)
						}
					}
				}
			}
			a, err := parseArgs(string(argsLine))
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: args: %v\n", c, err)
				bad++
				continue
			}
			o := r.runCase(a, input)
			if err := writeResults(dest, o); err != nil {
				fatal(err)
			}
			status := "rendered"
			switch {
			case o.skipped != "":
				skipped++
				status = "skipped: " + strings.TrimSpace(o.skipped)
			case o.refused != "":
				refused++
				status = "refused: " + firstLine(o.refused)
			default:
				rendered++
			}
			if !*quiet {
				fmt.Fprintf(os.Stderr, "%s: %s\n", c, status)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "oracle (%s): %d cases: %d rendered, %d refused, %d skipped, %d bad args, in %.2fs\n",
		k3sSource, rendered+refused+skipped+bad, rendered, refused, skipped, bad, time.Since(start).Seconds())
	if bad > 0 {
		os.Exit(1)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
