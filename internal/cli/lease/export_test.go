package leasecmd

// OnLoopback exposes onLoopback to the black-box tests.
var OnLoopback = onLoopback
