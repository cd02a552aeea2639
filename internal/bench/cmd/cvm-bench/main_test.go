package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == wrapCommand {
		os.Exit(wrapProvider(os.Args[2:]))
	}
	os.Exit(m.Run())
}
