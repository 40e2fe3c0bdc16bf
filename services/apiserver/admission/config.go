package admission

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxDataSize bounds ConfigMap and Secret payloads, as Kubernetes does and
// as the store's 1 MiB object limit requires anyway.
const maxDataSize = 1 << 20

func validateConfigMap(cm *gantryv1.ConfigMap) field.ErrorList {
	errs := validateDataKeys(cm.GetData(), field.NewPath("data"))
	errs = append(errs, validateDataKeys(cm.GetBinaryData(), field.NewPath("binaryData"))...)
	errs = append(errs, duplicateKeys(cm.GetData(), cm.GetBinaryData(), field.NewPath("binaryData"))...)
	size := dataSize(cm.GetData()) + dataSize(cm.GetBinaryData())
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxDataSize))
	}
	return errs
}

func validateSecret(s *gantryv1.Secret) field.ErrorList {
	errs := validateDataKeys(s.GetData(), field.NewPath("data"))
	errs = append(errs, validateDataKeys(s.GetStringData(), field.NewPath("stringData"))...)
	if dataSize(s.GetData())+dataSize(s.GetStringData()) > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxDataSize))
	}
	return append(errs, validateSecretType(s)...)
}

// validateSecretType enforces the keys the well-known secret types promise
// to their consumers.
func validateSecretType(s *gantryv1.Secret) field.ErrorList {
	var need []string
	switch s.GetType() {
	case "kubernetes.io/tls":
		need = []string{"tls.crt", "tls.key"}
	case "kubernetes.io/dockerconfigjson":
		need = []string{".dockerconfigjson"}
	case "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth":
		return validateSecretHasAny(s)
	}
	var errs field.ErrorList
	for _, k := range need {
		if !secretHas(s, k) {
			errs = append(errs, field.Required(field.NewPath("data").Key(k), ""))
		}
	}
	return errs
}

func validateSecretHasAny(s *gantryv1.Secret) field.ErrorList {
	if len(s.GetData())+len(s.GetStringData()) == 0 {
		return field.ErrorList{field.Required(field.NewPath("data"), "must have at least one key for type "+s.GetType())}
	}
	return nil
}

// secretHas looks in stringData too: Validate may run before Default
// merges it into data.
func secretHas(s *gantryv1.Secret, key string) bool {
	_, inData := s.GetData()[key]
	_, inString := s.GetStringData()[key]
	return inData || inString
}

func validateDataKeys[V string | []byte](m map[string]V, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(m) {
		errs = append(errs, invalid(p.Key(k), k, validation.IsConfigMapKey(k))...)
	}
	return errs
}

// duplicateKeys reports keys present in both maps: a pod mounting the
// ConfigMap could not tell which value wins.
func duplicateKeys(a map[string]string, b map[string][]byte, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; ok {
			errs = append(errs, field.Duplicate(p.Key(k), "duplicate of key present in data"))
		}
	}
	return errs
}

func dataSize[V string | []byte](m map[string]V) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}
