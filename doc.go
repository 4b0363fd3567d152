// Package portolan is the domain of the port authority: the 65,536 port
// numbers of TCP, UDP, SCTP and DCCP, their RFC 6335 classes, the records of
// IANA's Service Name and Transport Protocol Port Number Registry, the sockets
// that hold ports on a host, the leases that hand ports out without
// collisions, and an organisation's own assignments.
//
// The package uses the standard library only. Adapters (registry, sockets,
// probe, lease, sqlite, postgres, http) implement or consume what is defined
// here; cmd/ and internal/cli wire them together.
package portolan
