// Command prepare assembles, in a scratch directory, a Go module that compiles K3s's own
// registry code (taken from a K3s checkout or from a commit of a K3s git directory) against
// small stand-ins for its heavy imports, plus the oracle's glue. Nothing it writes belongs in
// the repository: the K3s, wharfie, containerd and yaml.v2 sources are read at build time.
//
// What is taken from K3s, and how:
//   - pkg/agent/templates/*.go: every non-test file, verbatim (the templates, trimEmpty, the
//     template functions).
//   - pkg/agent/containerd/config.go + config_linux.go: writeContainerdHosts and everything it
//     reaches in those files (getHostConfigs, normalizeEndpointAddress, defaultHostConfig,
//     configForHost, endpointURLEqual, endpointHasConfig, cleanContainerdHosts, hostDirectory,
//     HostConfigs ...), found by walking identifiers with go/ast, so it works whatever the
//     helpers are called in a given era.
//   - pkg/agent/config/config_linux.go: applyContainerdOSSpecificConfig (containerd's state dir,
//     socket, and the stargz/nix image service socket).
//   - pkg/spegel: the InjectMirror method, from whichever file holds it.
//   - pkg/agent/util/file.go: WriteFile. pkg/version/version.go and pkg/util/errors: verbatim.
//   - pkg/cli/cmds/agent.go and const_linux.go: the --pause-image and --snapshotter defaults.
//   - go.mod: which wharfie, yaml.v2 and containerd versions the commit builds with.
//
// From the other repositories, at the versions K3s's go.mod names: wharfie's
// pkg/registries/types.go (the schema), gopkg.in/yaml.v2 (whole), and containerd's
// remotes/docker DefaultHost and IsLocalhost (extracted, from upstream containerd at the tag
// K3s's fork is based on).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// source reads files of one repository state: a directory on disk, or a commit of a git dir.
type source interface {
	read(p string) ([]byte, error)
	// list returns the files (full repository paths) directly in dir.
	list(dir string) ([]string, error)
	describe() string
}

type dirSource struct{ root string }

func (d dirSource) read(p string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.root, filepath.FromSlash(p)))
}

func (d dirSource) list(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(dir)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, nil
}

func (d dirSource) describe() string { return "checkout " + d.root }

type gitSource struct{ gitDir, rev, commit string }

func newGitSource(gitDir, rev string) (*gitSource, error) {
	out, err := git(gitDir, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%s: no commit %q: %v", gitDir, rev, err)
	}
	return &gitSource{gitDir: gitDir, rev: rev, commit: strings.TrimSpace(string(out))}, nil
}

func (g *gitSource) read(p string) ([]byte, error) {
	return git(g.gitDir, "show", g.commit+":"+p)
}

func (g *gitSource) list(dir string) ([]string, error) {
	out, err := git(g.gitDir, "ls-tree", "--name-only", g.commit, dir+"/")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			files = append(files, l)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no %s at %s", g.gitDir, dir, g.commit)
	}
	return files, nil
}

func (g *gitSource) describe() string { return "commit " + g.commit }

func git(gitDir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"--git-dir=" + gitDir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// openSource takes a checkout directory, or a git directory (bare or not) with a revision.
func openSource(p, rev string) (source, error) {
	if rev != "" {
		gd := p
		if st, err := os.Stat(filepath.Join(p, ".git")); err == nil && st.IsDir() {
			gd = filepath.Join(p, ".git")
		}
		return newGitSource(gd, rev)
	}
	if _, err := os.Stat(filepath.Join(p, "pkg", "agent", "containerd", "config.go")); err != nil {
		return nil, fmt.Errorf("%s is not a K3s checkout (no pkg/agent/containerd/config.go); for a git directory give a commit", p)
	}
	return dirSource{root: p}, nil
}

func main() {
	var (
		k3s        = flag.String("k3s", "", "K3s checkout, or git dir with -commit")
		commit     = flag.String("commit", "", "commit (or any revision) of the -k3s git dir")
		wharfieGit = flag.String("wharfie-git", "", "git dir of rancher/wharfie")
		ctrdGit    = flag.String("containerd-git", "", "git dir of containerd/containerd")
		yamlGit    = flag.String("yaml-git", "", "git dir of go-yaml/yaml")
		oracleDir  = flag.String("oracle", "", "tools/oracle (stubs/ and glue/)")
		out        = flag.String("out", "", "directory to assemble the module in (replaced)")
		keyOnly    = flag.Bool("key", false, "print a cache key for these inputs and exit")
	)
	flag.Parse()
	if *k3s == "" || *out == "" && !*keyOnly || *oracleDir == "" {
		fmt.Fprintln(os.Stderr, "usage: prepare -k3s DIR [-commit REV] -oracle DIR -wharfie-git DIR -containerd-git DIR -yaml-git DIR -out DIR")
		os.Exit(2)
	}
	src, err := openSource(*k3s, *commit)
	check(err)
	if *keyOnly {
		fmt.Println(cacheKey(src, *oracleDir))
		return
	}
	b := &builder{src: src, out: *out, oracle: *oracleDir}
	check(b.run(*wharfieGit, *ctrdGit, *yamlGit))
}

// cacheKey names a build by what went into it: the K3s files read and the oracle's own files.
func cacheKey(src source, oracleDir string) string {
	h := sha256.New()
	for _, p := range []string{"go.mod", "pkg/agent/containerd/config.go", "pkg/agent/templates/templates.go", "pkg/cli/cmds/agent.go", "pkg/spegel/registry.go", "pkg/agent/config/config_linux.go"} {
		b, _ := src.read(p)
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
	}
	if t, err := src.list("pkg/agent/templates"); err == nil {
		for _, p := range t {
			b, _ := src.read(p)
			h.Write(b)
		}
	}
	filepath.Walk(oracleDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".sh")) {
			b, _ := os.ReadFile(p)
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		os.Exit(1)
	}
}

type builder struct {
	src    source
	out    string
	oracle string
	facts  []string // lines for the oracle's provenance file
}

const k3sModule = "github.com/k3s-io/k3s"

func (b *builder) write(rel string, data []byte) error {
	p := filepath.Join(b.out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func (b *builder) run(wharfieGit, ctrdGit, yamlGit string) error {
	if err := os.RemoveAll(b.out); err != nil {
		return err
	}
	gomod, err := b.src.read("go.mod")
	if err != nil {
		return fmt.Errorf("go.mod: %v", err)
	}
	mods := parseGoMod(gomod)
	b.facts = append(b.facts, "k3s "+b.src.describe())

	// 1. pkg/agent/templates: verbatim.
	files, err := b.src.list("pkg/agent/templates")
	if err != nil {
		return err
	}
	hasV3 := false
	for _, f := range files {
		if strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
			data, err := b.src.read(f)
			if err != nil {
				return err
			}
			hasV3 = hasV3 || bytes.Contains(data, []byte("const ContainerdConfigTemplateV3 ="))
			if err := b.write("k3s/"+f, data); err != nil {
				return err
			}
		}
	}
	if !hasV3 {
		// The glue calls ParseTemplateFromConfig(user, base, config) with the v3 and v2 bases,
		// the API since K3s's "Update containerd config schema to version 3" (bc4597239).
		return fmt.Errorf("%s predates K3s's containerd config version 3 template (K3s v1.31.6 / v1.32.2, commit bc4597239 on master): the oracle models only K3s from there on", b.src.describe())
	}

	// 2. pkg/agent/containerd: writeContainerdHosts and its closure; our exports next to it.
	cfgFiles, err := b.readAll("pkg/agent/containerd/config.go", "pkg/agent/containerd/config_linux.go")
	if err != nil {
		return err
	}
	code, imports, err := extract(cfgFiles, "containerd", []string{"writeContainerdHosts", "cleanContainerdHosts", "getHostConfigs", "hostDirectory"}, nil)
	if err != nil {
		return fmt.Errorf("pkg/agent/containerd: %v", err)
	}
	if err := b.write("k3s/pkg/agent/containerd/extracted.go", code); err != nil {
		return err
	}
	dockerImport := ""
	for _, imp := range imports {
		if strings.HasSuffix(imp, "/remotes/docker") {
			dockerImport = imp
		}
	}
	if dockerImport == "" {
		return fmt.Errorf("pkg/agent/containerd/config.go imports no containerd remotes/docker package")
	}

	// 3. pkg/agent/config: applyContainerdOSSpecificConfig.
	agentCfg, err := b.readAll("pkg/agent/config/config_linux.go")
	if err != nil {
		return err
	}
	code, _, err = extract(agentCfg, "config", []string{"applyContainerdOSSpecificConfig"}, nil)
	if err != nil {
		return fmt.Errorf("pkg/agent/config: %v", err)
	}
	if err := b.write("k3s/pkg/agent/config/extracted.go", code); err != nil {
		return err
	}

	// 4. pkg/spegel: InjectMirror (the Config type and DefaultRegistry are our stand-ins).
	spegelFiles, err := b.src.list("pkg/spegel")
	if err != nil {
		return err
	}
	found := false
	for _, f := range spegelFiles {
		if !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := b.src.read(f)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte(") InjectMirror(")) {
			continue
		}
		code, _, err = extract(map[string][]byte{f: data}, "spegel", []string{"Config.InjectMirror"}, map[string]bool{"Config": true, "DefaultRegistry": true})
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if err := b.write("k3s/pkg/spegel/extracted.go", code); err != nil {
			return err
		}
		found = true
	}
	if !found {
		return fmt.Errorf("pkg/spegel: no InjectMirror")
	}

	// 5. pkg/agent/util: WriteFile. pkg/version, pkg/util/errors: verbatim.
	utilFiles, err := b.readAll("pkg/agent/util/file.go")
	if err != nil {
		return err
	}
	code, _, err = extract(utilFiles, "util", []string{"WriteFile"}, nil)
	if err != nil {
		return fmt.Errorf("pkg/agent/util: %v", err)
	}
	if err := b.write("k3s/pkg/agent/util/extracted.go", code); err != nil {
		return err
	}
	for _, dir := range []string{"pkg/version", "pkg/util/errors"} {
		files, err := b.src.list(dir)
		if err != nil {
			if dir == "pkg/util/errors" {
				continue // older eras import github.com/pkg/errors instead
			}
			return err
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
				data, err := b.src.read(f)
				if err != nil {
					return err
				}
				if err := b.write("k3s/"+f, data); err != nil {
					return err
				}
			}
		}
	}

	// 6. The node defaults K3s's CLI gives the flags the cases can leave out.
	pause, snap, err := b.cliDefaults()
	if err != nil {
		return err
	}
	defaults := fmt.Sprintf("// Code generated by tools/oracle/prepare from K3s's pkg/cli/cmds (%s). DO NOT EDIT.\n\npackage main\n\nconst (\n\tdefaultPauseImage  = %s\n\tdefaultSnapshotter = %s\n\tk3sSource          = %s\n)\n",
		b.src.describe(), strconv.Quote(pause), strconv.Quote(snap), strconv.Quote(b.src.describe()))
	b.facts = append(b.facts, "pause-image default "+pause, "snapshotter default "+snap)

	// 7. Our stand-ins and glue.
	if err := b.copyTree(filepath.Join(b.oracle, "stubs", "k3s"), "k3s"); err != nil {
		return err
	}
	if err := b.copyTree(filepath.Join(b.oracle, "glue", "containerd"), "k3s/pkg/agent/containerd"); err != nil {
		return err
	}
	if err := b.copyTree(filepath.Join(b.oracle, "glue", "agentconfig"), "k3s/pkg/agent/config"); err != nil {
		return err
	}
	if err := b.copyTree(filepath.Join(b.oracle, "glue", "oracle"), "k3s/cmd/oracle"); err != nil {
		return err
	}
	if err := b.write("k3s/cmd/oracle/defaults.go", []byte(defaults)); err != nil {
		return err
	}
	for _, dep := range []string{"logrus", "pkgerrors"} {
		if err := b.copyTree(filepath.Join(b.oracle, "stubs", dep), "deps/"+dep); err != nil {
			return err
		}
	}

	// 8. Dependencies at the versions go.mod names.
	replaces := map[string]string{
		"github.com/sirupsen/logrus": "../deps/logrus",
		"github.com/pkg/errors":      "../deps/pkgerrors",
	}
	// wharfie: the schema only (registries.go pulls in go-containerregistry; K3s uses its
	// GetPrivateRegistries, which is os.ReadFile + yaml.Unmarshal into Registry: the glue does that).
	wv, ok := mods.version("github.com/rancher/wharfie")
	if !ok {
		return fmt.Errorf("go.mod requires no github.com/rancher/wharfie")
	}
	types, err := git(wharfieGit, "show", wv+":pkg/registries/types.go")
	if err != nil {
		return fmt.Errorf("wharfie %s: %v", wv, err)
	}
	b.write("deps/wharfie/go.mod", []byte("module github.com/rancher/wharfie\n\ngo 1.20\n"))
	b.write("deps/wharfie/pkg/registries/types.go", types)
	replaces["github.com/rancher/wharfie"] = "../deps/wharfie"
	b.facts = append(b.facts, "wharfie "+wv+" pkg/registries/types.go")

	yv, ok := mods.version("gopkg.in/yaml.v2")
	if !ok {
		return fmt.Errorf("go.mod requires no gopkg.in/yaml.v2")
	}
	if err := b.gitExport(yamlGit, yv, "", "deps/yaml", func(p string) bool {
		return strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && !strings.Contains(p, "/")
	}); err != nil {
		return fmt.Errorf("yaml.v2 %s: %v", yv, err)
	}
	b.write("deps/yaml/go.mod", []byte("module gopkg.in/yaml.v2\n\ngo 1.15\n"))
	replaces["gopkg.in/yaml.v2"] = "../deps/yaml"
	b.facts = append(b.facts, "gopkg.in/yaml.v2 "+yv)

	// containerd: DefaultHost and IsLocalhost from its remotes/docker package.
	ctrdMod := ""
	for _, m := range []string{"github.com/containerd/containerd/v2", "github.com/containerd/containerd"} {
		if strings.HasPrefix(dockerImport, m+"/") {
			ctrdMod = m
			break
		}
	}
	if ctrdMod == "" {
		return fmt.Errorf("unknown containerd module for %s", dockerImport)
	}
	cv, ok := mods.version(ctrdMod)
	if !ok {
		return fmt.Errorf("go.mod requires no %s", ctrdMod)
	}
	// K3s replaces containerd with its fork (v2.2.7-k3s1, v2.0.5-k3s2.32, v2.2.2-bd1.34 ...);
	// the fork's base is the upstream release of the same number (v2.2.7).
	tag := regexp.MustCompile(`^(v\d+\.\d+\.\d+)-.*$`).ReplaceAllString(cv, "$1")
	pkgDir := strings.TrimPrefix(dockerImport, ctrdMod+"/")
	dockerFiles := map[string][]byte{}
	ls, err := git(ctrdGit, "ls-tree", "--name-only", tag, pkgDir+"/")
	if err != nil {
		return fmt.Errorf("containerd %s: %v", tag, err)
	}
	for _, f := range strings.Fields(string(ls)) {
		if strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
			data, err := git(ctrdGit, "show", tag+":"+f)
			if err != nil {
				return err
			}
			dockerFiles[f] = data
		}
	}
	code, _, err = extract(dockerFiles, "docker", []string{"DefaultHost", "IsLocalhost"}, nil)
	if err != nil {
		return fmt.Errorf("containerd %s %s: %v", tag, pkgDir, err)
	}
	b.write("deps/containerd/go.mod", []byte("module "+ctrdMod+"\n\ngo 1.20\n"))
	b.write("deps/containerd/"+pkgDir+"/extracted.go", code)
	replaces[ctrdMod] = "../deps/containerd"
	b.facts = append(b.facts, ctrdMod+" "+cv+" (DefaultHost, IsLocalhost from upstream "+tag+")")

	// 9. go.mod of the assembled module.
	var gm strings.Builder
	gm.WriteString("module " + k3sModule + "\n\ngo 1.24\n\nrequire (\n")
	names := make([]string, 0, len(replaces))
	for m := range replaces {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		gm.WriteString("\t" + m + " " + placeholderVersion(m) + "\n")
	}
	gm.WriteString(")\n\nreplace (\n")
	for _, m := range names {
		gm.WriteString("\t" + m + " => " + replaces[m] + "\n")
	}
	gm.WriteString(")\n")
	if err := b.write("k3s/go.mod", []byte(gm.String())); err != nil {
		return err
	}
	return b.write("PROVENANCE", []byte(strings.Join(b.facts, "\n")+"\n"))
}

func (b *builder) readAll(paths ...string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := b.src.read(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		out[p] = data
	}
	return out, nil
}

func (b *builder) copyTree(from, to string) error {
	return filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return b.write(to+"/"+filepath.ToSlash(rel), data)
	})
}

// gitExport writes the files of tree-ish rev under dir that keep() accepts into to/.
func (b *builder) gitExport(gitDir, rev, dir, to string, keep func(string) bool) error {
	args := []string{"ls-tree", "-r", "--name-only", rev}
	if dir != "" {
		args = append(args, dir+"/")
	}
	ls, err := git(gitDir, args...)
	if err != nil {
		return err
	}
	n := 0
	for _, f := range strings.Split(strings.TrimSpace(string(ls)), "\n") {
		if f == "" || !keep(f) {
			continue
		}
		data, err := git(gitDir, "show", rev+":"+f)
		if err != nil {
			return err
		}
		if err := b.write(to+"/"+strings.TrimPrefix(f, dir+"/"), data); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no files")
	}
	return nil
}

// cliDefaults reads the --pause-image and --snapshotter flag defaults from K3s's CLI.
func (b *builder) cliDefaults() (pause, snap string, err error) {
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, p := range []string{"pkg/cli/cmds/agent.go", "pkg/cli/cmds/const_linux.go"} {
		data, err := b.src.read(p)
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(fset, p, data, 0)
		if err != nil {
			return "", "", err
		}
		files[p] = f
	}
	consts := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	flagValue := func(flagName string) (string, bool) {
		var val string
		var ok bool
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				cl, isLit := n.(*ast.CompositeLit)
				if !isLit || ok {
					return !ok
				}
				var name string
				var value ast.Expr
				for _, e := range cl.Elts {
					kv, isKV := e.(*ast.KeyValueExpr)
					if !isKV {
						continue
					}
					k, _ := kv.Key.(*ast.Ident)
					if k == nil {
						continue
					}
					switch k.Name {
					case "Name":
						if lit, isB := kv.Value.(*ast.BasicLit); isB {
							name, _ = strconv.Unquote(lit.Value)
						}
					case "Value":
						value = kv.Value
					}
				}
				if name != flagName || value == nil {
					return true
				}
				switch v := value.(type) {
				case *ast.BasicLit:
					val, _ = strconv.Unquote(v.Value)
					ok = true
				case *ast.Ident:
					val, ok = consts[v.Name]
				}
				return !ok
			})
		}
		return val, ok
	}
	pause, ok := flagValue("pause-image")
	if !ok {
		return "", "", fmt.Errorf("pkg/cli/cmds/agent.go: no --pause-image default found")
	}
	snap, ok = flagValue("snapshotter")
	if !ok {
		return "", "", fmt.Errorf("pkg/cli/cmds/agent.go: no --snapshotter default found")
	}
	return pause, snap, nil
}

type goMod struct {
	require map[string]string
	replace map[string]string // module => version of the replacement
}

func parseGoMod(data []byte) goMod {
	m := goMod{require: map[string]string{}, replace: map[string]string{}}
	block := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "//", 2)[0])
		switch {
		case line == ")":
			block = ""
			continue
		case strings.HasSuffix(line, "("):
			block = strings.TrimSpace(strings.TrimSuffix(line, "("))
			continue
		}
		kind := block
		if kind == "" {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			kind, line = f[0], strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		}
		f := strings.Fields(line)
		switch kind {
		case "require":
			if len(f) >= 2 {
				m.require[f[0]] = f[1]
			}
		case "replace":
			// old [v] => new v
			for i, w := range f {
				if w == "=>" && i+2 < len(f)+1 {
					rest := f[i+1:]
					if len(rest) >= 2 {
						m.replace[f[0]] = rest[1]
					}
				}
			}
		}
	}
	return m
}

// version is the version the build uses: a replacement's, else the requirement's.
func (m goMod) version(mod string) (string, bool) {
	if v, ok := m.replace[mod]; ok {
		return v, true
	}
	v, ok := m.require[mod]
	return v, ok
}

// extract returns Go source of package pkg holding the declarations named by roots (functions,
// methods as "Type.Method", types, vars, consts) and every top-level declaration of the same
// files they reach, minus those in skip; imports are those the kept code uses. It also returns
// the import paths of the files.
func extract(files map[string][]byte, pkg string, roots []string, skip map[string]bool) ([]byte, []string, error) {
	fset := token.NewFileSet()
	type declRef struct {
		file  *ast.File
		fname string
		order int
		decl  ast.Decl
		spec  ast.Spec // for a GenDecl, the one spec wanted
		tok   token.Token
	}
	index := map[string]*declRef{}
	topLevel := map[any]bool{}         // the nodes the parser resolves top-level identifiers to
	importNames := map[string]string{} // local name -> path
	var allImports []string
	names := make([]string, 0, len(files))
	for n := range files {
		// Another OS's variant of a declaration would shadow the Linux one.
		if regexp.MustCompile(`_(windows|darwin|freebsd|openbsd|netbsd|solaris|plan9|js|wasip1)\.go$`).MatchString(n) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	order := 0
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, files[n], parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			allImports = append(allImports, p)
			local := guessName(p)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			importNames[local] = p
		}
		for _, d := range f.Decls {
			order++
			switch d := d.(type) {
			case *ast.FuncDecl:
				key := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					key = recvType(d.Recv.List[0].Type) + "." + key
				}
				index[key] = &declRef{file: f, fname: n, order: order, decl: d}
				topLevel[d] = true
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					continue
				}
				for _, s := range d.Specs {
					order++
					r := &declRef{file: f, fname: n, order: order, decl: d, spec: s, tok: d.Tok}
					topLevel[s] = true
					switch s := s.(type) {
					case *ast.TypeSpec:
						index[s.Name.Name] = r
					case *ast.ValueSpec:
						for _, nm := range s.Names {
							if nm.Name != "_" {
								index[nm.Name] = r
							}
						}
					}
				}
			}
		}
	}
	keep := map[*declRef]bool{}
	var queue []*declRef
	for _, r := range roots {
		d, ok := index[r]
		if !ok {
			return nil, nil, fmt.Errorf("no declaration %s", r)
		}
		queue = append(queue, d)
	}
	used := map[string]bool{}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if keep[d] {
			continue
		}
		keep[d] = true
		var node ast.Node = d.decl
		if d.spec != nil {
			node = d.spec
		}
		skipIdent := map[*ast.Ident]bool{}
		ast.Inspect(node, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				skipIdent[n.Sel] = true
				if x, ok := n.X.(*ast.Ident); ok {
					used[x.Name] = true
				}
			case *ast.CompositeLit:
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok {
							skipIdent[k] = true
						}
					}
				}
			case *ast.Ident:
				if skipIdent[n] || skip[n.Name] {
					return true
				}
				// A local (parameter, variable) of the same name as a top-level declaration.
				if n.Obj != nil && !topLevel[n.Obj.Decl] {
					return true
				}
				if r, ok := index[n.Name]; ok && !keep[r] {
					queue = append(queue, r)
				}
			}
			return true
		})
	}
	var kept []*declRef
	for d := range keep {
		kept = append(kept, d)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].order < kept[j].order })

	var from []string
	for _, d := range kept {
		if len(from) == 0 || from[len(from)-1] != d.fname {
			from = append(from, d.fname)
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "// Code extracted by tools/oracle/prepare from %s. DO NOT EDIT OR COMMIT.\n\npackage %s\n\n", strings.Join(from, ", "), pkg)
	var imps []string
	for local, p := range importNames {
		if used[local] {
			if guessName(p) == local {
				imps = append(imps, strconv.Quote(p))
			} else {
				imps = append(imps, local+" "+strconv.Quote(p))
			}
		}
	}
	sort.Strings(imps)
	if len(imps) > 0 {
		buf.WriteString("import (\n")
		for _, i := range imps {
			buf.WriteString("\t" + i + "\n")
		}
		buf.WriteString(")\n\n")
	}
	seen := map[ast.Decl]bool{}
	for _, d := range kept {
		var node any = d.decl
		if d.spec != nil {
			// One spec of a group: print it as its own declaration.
			node = &ast.GenDecl{Tok: d.tok, Specs: []ast.Spec{d.spec}}
			if vs, ok := d.spec.(*ast.ValueSpec); ok && vs.Type == nil && len(vs.Values) == 0 {
				// an iota-style const follows its group: keep the whole group
				if seen[d.decl] {
					continue
				}
				seen[d.decl] = true
				node = d.decl
			}
		}
		var one bytes.Buffer
		if err := format.Node(&one, fset, node); err != nil {
			return nil, nil, err
		}
		buf.Write(one.Bytes())
		buf.WriteString("\n\n")
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("formatting extracted code: %v\n%s", err, buf.String())
	}
	return src, allImports, nil
}

func recvType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvType(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvType(t.X)
	}
	return "?"
}

// guessName is the package name an import path usually declares.
func guessName(p string) string {
	parts := strings.Split(p, "/")
	last := parts[len(parts)-1]
	if regexp.MustCompile(`^v\d+$`).MatchString(last) && len(parts) > 1 {
		last = parts[len(parts)-2]
	}
	last = regexp.MustCompile(`\.v\d+$`).ReplaceAllString(last, "")
	last = strings.TrimPrefix(last, "go-")
	return last
}

// placeholderVersion is a version a replaced module can be required at: v0.0.0, or vN.0.0 for a
// module path ending in /vN or .vN.
func placeholderVersion(mod string) string {
	if m := regexp.MustCompile(`[/.]v(\d+)$`).FindStringSubmatch(mod); m != nil && m[1] != "0" && m[1] != "1" {
		return "v" + m[1] + ".0.0"
	}
	return "v0.0.0"
}
