//go:build !linux

package mcpserver_test

func stopEngines() bool { return true }
