// Package archtest holds no code: its test reads the module's import graph
// with `go list` and fails when one of the layout's nevers (STYLE.md, "The
// rooms") is broken.
package archtest
