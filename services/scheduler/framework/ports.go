package framework

// wildcardIP is the host IP that binds every address.
const wildcardIP = "0.0.0.0"

// HostPort is one host port a pod binds.
type HostPort struct {
	IP       string
	Protocol string
	Port     int32
}

// NewHostPort normalises a container port's host side: an empty IP is
// the wildcard and an empty protocol is TCP.
func NewHostPort(ip, protocol string, port int32) HostPort {
	if ip == "" {
		ip = wildcardIP
	}
	if protocol == "" {
		protocol = "TCP"
	}
	return HostPort{IP: ip, Protocol: protocol, Port: port}
}

type protoPort struct {
	protocol string
	port     int32
}

// UsedPorts counts the host ports in use on a node by IP, per protocol and
// port. The zero value is empty and ready to use.
type UsedPorts struct {
	m map[protoPort]map[string]int32
}

// Add records one use of p.
func (u *UsedPorts) Add(p HostPort) {
	if u.m == nil {
		u.m = map[protoPort]map[string]int32{}
	}
	k := protoPort{p.Protocol, p.Port}
	ips := u.m[k]
	if ips == nil {
		ips = map[string]int32{}
		u.m[k] = ips
	}
	ips[p.IP]++
}

// Remove forgets one use of p.
func (u *UsedPorts) Remove(p HostPort) {
	k := protoPort{p.Protocol, p.Port}
	ips := u.m[k]
	if ips == nil {
		return
	}
	if ips[p.IP]--; ips[p.IP] <= 0 {
		delete(ips, p.IP)
	}
	if len(ips) == 0 {
		delete(u.m, k)
	}
}

// Conflicts reports whether p clashes with a port in use: same protocol
// and port, and the same IP or either side the wildcard.
func (u *UsedPorts) Conflicts(p HostPort) bool {
	ips := u.m[protoPort{p.Protocol, p.Port}]
	if len(ips) == 0 {
		return false
	}
	if p.IP == wildcardIP {
		return true
	}
	return ips[p.IP] > 0 || ips[wildcardIP] > 0
}

// Len returns the number of distinct protocol/port pairs in use.
func (u *UsedPorts) Len() int { return len(u.m) }
