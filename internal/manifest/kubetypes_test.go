package manifest

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestKubernetesTypedFieldsExist keeps the tables of Kubernetes-typed
// fields in step with the protos: every entry must name a field, and every
// field that looks like one must be listed.
func TestKubernetesTypedFieldsExist(t *testing.T) {
	for name := range intOrStringFields {
		fd := findField(t, name)
		if fd != nil && (fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap()) {
			t.Errorf("%s: IntOrString fields must be strings", name)
		}
	}
	for name := range quantityMaps {
		fd := findField(t, name)
		if fd != nil && (!fd.IsMap() || fd.MapValue().Kind() != protoreflect.StringKind) {
			t.Errorf("%s: quantity fields must be map<string, string>", name)
		}
	}

	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			name := string(fd.Name())
			looksIntOrString := fd.Kind() == protoreflect.StringKind && !fd.IsMap() &&
				(strings.HasSuffix(name, "port") || strings.HasPrefix(name, "max_"))
			if looksIntOrString && !intOrStringFields[fd.FullName()] {
				t.Errorf("%s is a string that looks like a Kubernetes IntOrString; list it in intOrStringFields (or rename it)", fd.FullName())
			}
			looksQuantity := fd.IsMap() && fd.MapValue().Kind() == protoreflect.StringKind &&
				(name == "limits" || name == "requests" || name == "capacity" || name == "allocatable")
			if looksQuantity && !quantityMaps[fd.FullName()] {
				t.Errorf("%s looks like a map of quantities; list it in quantityMaps", fd.FullName())
			}
			if fd.IsMap() {
				if md := fd.MapValue().Message(); md != nil {
					walk(md)
				}
			} else if md := fd.Message(); md != nil {
				walk(md)
			}
		}
	}
	walk((&gantryv1.Object{}).ProtoReflect().Descriptor())
}

func findField(t *testing.T, name protoreflect.FullName) protoreflect.FieldDescriptor {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	fd, ok := d.(protoreflect.FieldDescriptor)
	if !ok {
		t.Errorf("%s is not a field", name)
		return nil
	}
	return fd
}
