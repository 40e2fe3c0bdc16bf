package nftables

import (
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gantryio/gantry/services/proxy/table"
)

// Chain and map names of the skeleton (see the package comment).
const (
	chainNATPrerouting    = "nat-prerouting"
	chainNATOutput        = "nat-output"
	chainNATPostrouting   = "nat-postrouting"
	chainFilterPrerouting = "filter-prerouting"
	chainFilterOutput     = "filter-output"
	chainFilterForward    = "filter-forward"
	chainServices         = "services"
	chainNoEndpoints      = "no-endpoints"
	chainReject           = "reject-chain"
	chainMarkMasq         = "mark-for-masquerade"
	chainMasquerading     = "masquerading"

	mapServiceIPs         = "service-ips"
	mapServiceNodePorts   = "service-nodeports"
	mapNoEndpointServices = "no-endpoint-services"
	mapNoEndpointNodePort = "no-endpoint-nodeports"
)

// maxChainName is the kernel's NFT_CHAIN_MAXNAMELEN less the NUL.
const maxChainName = 255

var hashEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// routeID is a route's readable part of its chain names:
// namespace/name/protocol/port ("" port name: "-").
func routeID(k table.PortKey) string {
	port := k.Port
	if port == "" {
		port = "-"
	}
	return k.Namespace + "/" + k.Name + "/" + strings.ToLower(string(k.Protocol)) + "/" + port
}

// chainName joins a kind, a hash of what the chain stands for, and a
// readable description cut to the kernel's limit: the hash keeps names
// unique when the description is cut.
func chainName(kind, what string) string {
	sum := sha256.Sum256([]byte(what))
	n := kind + "-" + hashEncoding.EncodeToString(sum[:5]) + "-" + what
	if len(n) > maxChainName {
		n = n[:maxChainName]
	}
	return n
}

// serviceChain spreads a route's connections over its endpoint chains.
func serviceChain(k table.PortKey) string { return chainName("svc", routeID(k)) }

// externalChain marks node port traffic for masquerade, then goes to the
// service chain.
func externalChain(k table.PortKey) string { return chainName("ext", routeID(k)) }

// endpointChain DNATs to one target of a route.
func endpointChain(k table.PortKey, ep netip.AddrPort) string {
	return chainName("ep", routeID(k)+"__"+ep.Addr().String()+"/"+strconv.Itoa(int(ep.Port())))
}
