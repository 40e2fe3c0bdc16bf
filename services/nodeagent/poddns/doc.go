// Package poddns gives pods the cluster's DNS, as the kubelet's
// --cluster-dns and --cluster-domain do: the sandbox of a pod that is not
// on the host network gets a resolv.conf (Kubernetes' dnsPolicy
// ClusterFirst) naming the cluster DNS servers, searching
// NAMESPACE.svc.<domain>, svc.<domain>, <domain> and then the host's own
// search domains, with options ndots:5, so that "web", "web.default" and
// "web.default.svc.cluster.local" all resolve from inside the pod.
// Host-network pods keep the host's resolv.conf, as ClusterFirst gives
// them (there is no dnsPolicy field to ask for ClusterFirstWithHostNet).
//
// A server may be "bridge": the node's bridge address, the gateway of its
// pods, where the node's proxy serves DNS (gantry proxy --dns-listen
// bridge:53). It is known once the node has a pod CIDR; a sandbox created
// before fails and is retried, as pod networking itself is.
//
// Wrap decorates the node's runtime: the runtime writes the file and
// makes it the containers' /etc/resolv.conf (the process runtime
// bind-mounts it in a mount namespace per container, which needs root).
package poddns
