package manifest

import (
	"errors"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// intOrStringFields are the fields Kubernetes types as IntOrString, which
// Gantry's protos hold as strings: a manifest may write them as an integer
// (maxSurge: 1, targetPort: 8080) or as a string (maxSurge: 25%,
// targetPort: http). TestKubernetesTypedFieldsExist keeps this list in step
// with the protos.
var intOrStringFields = map[protoreflect.FullName]bool{
	"gantry.v1.RollingUpdateDeployment.max_unavailable": true,
	"gantry.v1.RollingUpdateDeployment.max_surge":       true,
	"gantry.v1.ServicePort.target_port":                 true,
	"gantry.v1.HTTPGetAction.port":                      true,
	"gantry.v1.TCPSocketAction.port":                    true,
	"gantry.v1.PodDisruptionBudgetSpec.min_available":   true,
	"gantry.v1.PodDisruptionBudgetSpec.max_unavailable": true,
}

// quantityMaps are the map<string, string> fields whose values are
// Kubernetes quantities, which manifests may write as numbers (cpu: 0.5).
var quantityMaps = map[protoreflect.FullName]bool{
	"gantry.v1.ResourceRequirements.limits":   true,
	"gantry.v1.ResourceRequirements.requests": true,
	"gantry.v1.NodeStatus.capacity":           true,
	"gantry.v1.NodeStatus.allocatable":        true,
}

// yaml11Bools are the booleans Kubernetes' YAML 1.1 parser reads that the
// YAML 1.2 parser used here reads as strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// canonicalInt32 reports whether s is an int32 written the way
// strconv.Itoa writes it, so that it can be written as a number and read
// back to the same string.
func canonicalInt32(s string) bool {
	i, err := strconv.ParseInt(s, 10, 32)
	return err == nil && strconv.FormatInt(i, 10) == s
}

// Bounds on quantities checked before resource.ParseQuantity sees them:
// it computes 10^-exponent exactly, so "1e-999999999" takes it hours.
// Real quantities are short and their exponents small.
const (
	maxQuantityLen      = 64
	maxQuantityExponent = 100
)

var errQuantitySize = errors.New("quantities are at most 64 characters with an exponent of at most 100")

func checkQuantitySize(s string) error {
	if len(s) > maxQuantityLen {
		return errQuantitySize
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 || i+1 >= len(s) {
		return nil // no exponent; a trailing E is the exa suffix
	}
	digits := strings.TrimLeft(s[i+1:], "+-")
	exp, err := strconv.Atoi(digits)
	if err != nil {
		return nil // not an exponent; ParseQuantity judges the rest
	}
	if exp > maxQuantityExponent {
		return errQuantitySize
	}
	return nil
}
