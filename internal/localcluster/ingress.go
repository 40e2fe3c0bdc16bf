package localcluster

// IngressInfo says where the proxies serve ingress: every proxy serves
// both addresses (SO_REUSEPORT), and the kernel spreads connections over
// them.
type IngressInfo struct {
	// HTTP and HTTPS are host:port on Host ("" without proxies).
	HTTP, HTTPS string
}

// ingressArgs are the proxies' ingress flags: one HTTP and one HTTPS port
// on Host for all of them (from BasePort+700, or free ones), chosen once,
// so clusters on one host never share an ingress port.
func (c *Cluster) ingressArgs() ([]string, error) {
	if c.ingressPorts == [2]int{} {
		ports, err := c.componentPorts(700, 1)
		if err != nil {
			return nil, err
		}
		c.ingressPorts = ports[0]
	}
	in := c.Ingress()
	return []string{"--ingress-http-listen", in.HTTP, "--ingress-https-listen", in.HTTPS}, nil
}

// Ingress returns where the proxies serve ingress.
func (c *Cluster) Ingress() IngressInfo {
	if c.ingressPorts == [2]int{} {
		return IngressInfo{}
	}
	return IngressInfo{
		HTTP: c.addr(c.ingressPorts[0]), HTTPS: c.addr(c.ingressPorts[1]),
	}
}
