package framework

import "strings"

// Status is why a filter rejected a node. A nil *Status means the node
// passed. Statuses are shared and immutable: plugins return prepared ones
// so that rejecting a node allocates nothing.
type Status struct {
	// Plugin is the name of the filter that rejected the node.
	Plugin string
	// Reasons are Kubernetes' words, such as "Insufficient cpu"; a filter
	// may give several (one per missing resource).
	Reasons []string
}

// NewStatus returns a status for plugin with reasons.
func NewStatus(plugin string, reasons ...string) *Status {
	return &Status{Plugin: plugin, Reasons: reasons}
}

// Message joins the reasons.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.Reasons, ", ")
}

// PluginSet is a set of filter plugins, one bit each; it records which
// filters rejected a pod, and which filters a cluster event may turn
// around.
type PluginSet uint32

// The filter plugins' bits.
const (
	NodeUnschedulableBit PluginSet = 1 << iota
	NodeReadyBit
	TaintTolerationBit
	NodeSelectorBit
	NodePortsBit
	NodeResourcesFitBit

	// AllPlugins has every bit.
	AllPlugins PluginSet = 1<<iota - 1
)

// Filter plugin names.
const (
	NodeUnschedulableName = "NodeUnschedulable"
	NodeReadyName         = "NodeReady"
	TaintTolerationName   = "TaintToleration"
	NodeSelectorName      = "NodeSelector"
	NodePortsName         = "NodePorts"
	NodeResourcesFitName  = "NodeResourcesFit"
)

var pluginBits = map[string]PluginSet{
	NodeUnschedulableName: NodeUnschedulableBit,
	NodeReadyName:         NodeReadyBit,
	TaintTolerationName:   TaintTolerationBit,
	NodeSelectorName:      NodeSelectorBit,
	NodePortsName:         NodePortsBit,
	NodeResourcesFitName:  NodeResourcesFitBit,
}

// PluginBit returns the bit of the named filter plugin (AllPlugins for a
// plugin this package does not know, so events never miss it).
func PluginBit(name string) PluginSet {
	if b, ok := pluginBits[name]; ok {
		return b
	}
	return AllPlugins
}
