//go:build !unix

package leasetest

import "io/fs"

const noFollow = 0

// ownedByMe: a user's cache directory on Windows is the user's by its ACL.
func ownedByMe(fs.FileInfo) bool { return true }
