package main

import (
	"fmt"

	"github.com/gantryio/gantry/internal/localcluster"
)

// ingressLine says where the proxies serve ingress ("" without proxies).
func ingressLine(c *localcluster.Cluster) string {
	in := c.Ingress()
	if in.HTTP == "" {
		return ""
	}
	return fmt.Sprintf("  ingress:          http://%s  https://%s (every proxy; curl -H 'Host: HOST' http://%s/)\n", in.HTTP, in.HTTPS, in.HTTP)
}
