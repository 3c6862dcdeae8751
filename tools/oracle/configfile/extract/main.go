// extract copies named top-level function declarations, verbatim, out of Go source files into
// one package, and strips the package qualifiers the copies use for each other. It is how the
// configfile oracle gets K3s's pkg/configfilearg code (and the two helpers it calls) without
// their packages' other imports; nothing it reads is kept in this repository.
//
//	extract -pkg main -out FILE SRC.go:Func1,Func2[:qual1,qual2] ...
//
// Every `qual.Name` selector whose qualifier is listed after a source's functions is rewritten
// to `Name` (the function is then one of the extracted ones).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"strings"
)

func main() {
	pkg := flag.String("pkg", "main", "package name of the output")
	out := flag.String("out", "", "output file")
	imports := flag.String("imports", "", "comma-separated import paths of the output")
	flag.Parse()
	var body bytes.Buffer
	for _, arg := range flag.Args() {
		parts := strings.Split(arg, ":")
		if len(parts) < 2 {
			fail("bad argument %q", arg)
		}
		want := map[string]bool{}
		for _, f := range strings.Split(parts[1], ",") {
			want[f] = true
		}
		quals := map[string]bool{}
		if len(parts) > 2 {
			for _, q := range strings.Split(parts[2], ",") {
				quals[q] = true
			}
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, parts[0], nil, parser.ParseComments)
		if err != nil {
			fail("%v", err)
		}
		found := map[string]bool{}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !want[fd.Name.Name] {
				continue
			}
			found[fd.Name.Name] = true
			ast.Inspect(fd, func(n ast.Node) bool {
				// Rewrite qual.Name to Name inside call expressions and values.
				if ce, ok := n.(*ast.CallExpr); ok {
					if se, ok := ce.Fun.(*ast.SelectorExpr); ok {
						if id, ok := se.X.(*ast.Ident); ok && quals[id.Name] {
							ce.Fun = ast.NewIdent(se.Sel.Name)
						}
					}
				}
				return true
			})
			fd.Doc = nil
			fmt.Fprintf(&body, "// From %s.\n", parts[0][strings.LastIndex(parts[0], "/")+1:])
			if err := printer.Fprint(&body, fset, fd); err != nil {
				fail("%v", err)
			}
			body.WriteString("\n\n")
		}
		for f := range want {
			if !found[f] {
				fail("%s: no function %s", parts[0], f)
			}
		}
	}
	var src bytes.Buffer
	fmt.Fprintf(&src, "// Code extracted from K3s and its dependencies at build time. DO NOT COMMIT.\n\npackage %s\n\nimport (\n", *pkg)
	for _, imp := range strings.Split(*imports, ",") {
		if imp != "" {
			fmt.Fprintf(&src, "\t%q\n", imp)
		}
	}
	src.WriteString(")\n\n")
	src.Write(body.Bytes())
	formatted, err := format.Source(src.Bytes())
	if err != nil {
		fail("format: %v\n%s", err, src.String())
	}
	if err := os.WriteFile(*out, formatted, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "extract: "+f+"\n", a...)
	os.Exit(2)
}
