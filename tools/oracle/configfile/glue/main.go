// The configfile oracle's own glue: runs K3s's readConfigFile (pkg/configfilearg, extracted
// into this package at build time) over case directories and writes what it returns.
//
// A case is a directory holding config.yaml and/or config.yaml.d/. For each, the oracle writes
// expected-args.json (the flags K3s makes of the files, in order, as a JSON array of strings;
// `[]` when neither exists, which K3s's Parse treats as no config file) or expected-error (K3s's
// error, the case directory written as @DIR@, and a newline).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	n, refused := 0, 0
	for _, dir := range os.Args[1:] {
		abs, err := filepath.Abs(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Remove(filepath.Join(abs, "expected-args.json"))
		os.Remove(filepath.Join(abs, "expected-error"))
		args, err := readConfigFile(filepath.Join(abs, "config.yaml"))
		if err != nil && !os.IsNotExist(err) {
			msg := strings.ReplaceAll(err.Error(), abs, "@DIR@")
			write(filepath.Join(abs, "expected-error"), []byte(msg+"\n"))
			refused++
		} else {
			if args == nil {
				args = []string{}
			}
			b, _ := json.MarshalIndent(args, "", "  ")
			write(filepath.Join(abs, "expected-args.json"), append(b, '\n'))
		}
		n++
	}
	fmt.Printf("%d cases, %d refused\n", n, refused)
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
