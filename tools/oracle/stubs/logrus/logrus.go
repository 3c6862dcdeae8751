// Package logrus stands in for github.com/sirupsen/logrus: the package-level logging functions
// K3s's registry code calls, writing what logrus's TextFormatter writes with timestamps off
// (`level=warning msg="..."`) to Output. The quoting follows logrus v1.9 text_formatter.go:
// a value is written bare when every character is a letter, digit or one of -._/@^+, else
// with fmt's %q.
package logrus

import (
	"fmt"
	"io"
	"os"
)

// Output receives the log lines; the oracle points it at a per-case buffer.
var Output io.Writer = os.Stderr

func needsQuoting(text string) bool {
	for _, ch := range text {
		if !((ch >= 'a' && ch <= 'z') ||
			(ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') ||
			ch == '-' || ch == '.' || ch == '_' || ch == '/' || ch == '@' || ch == '^' || ch == '+') {
			return true
		}
	}
	return false
}

func entry(level, msg string) {
	if needsQuoting(msg) {
		msg = fmt.Sprintf("%q", msg)
	}
	fmt.Fprintf(Output, "level=%s msg=%s\n", level, msg)
}

func Tracef(string, ...any)       {}
func Debugf(string, ...any)       {}
func Debug(...any)                {}
func Infof(f string, a ...any)    { entry("info", fmt.Sprintf(f, a...)) }
func Info(a ...any)               { entry("info", fmt.Sprint(a...)) }
func Warnf(f string, a ...any)    { entry("warning", fmt.Sprintf(f, a...)) }
func Warningf(f string, a ...any) { entry("warning", fmt.Sprintf(f, a...)) }
func Warn(a ...any)               { entry("warning", fmt.Sprint(a...)) }
func Errorf(f string, a ...any)   { entry("error", fmt.Sprintf(f, a...)) }
func Error(a ...any)              { entry("error", fmt.Sprint(a...)) }
