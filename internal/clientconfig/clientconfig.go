package clientconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// EnvVar names the environment variable that overrides the path.
const EnvVar = "GANTRY_CONFIG"

// maxFileBytes bounds the file read.
const maxFileBytes = 1 << 20

// Config is the client configuration file.
type Config struct {
	// Servers are the masters' gRPC addresses.
	Servers []string `json:"servers"`
}

// Path returns $GANTRY_CONFIG, else $XDG_CONFIG_HOME/gantry/config.yaml,
// else ~/.config/gantry/config.yaml.
func Path() (string, error) {
	if p := os.Getenv(EnvVar); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory (set $%s): %w", EnvVar, err)
	}
	return filepath.Join(dir, "gantry", "config.yaml"), nil
}

// Load reads the config at path.
func Load(path string) (*Config, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read client config: %w", err)
	}
	if fi.Size() > maxFileBytes {
		return nil, fmt.Errorf("client config %s is %d bytes; the limit is %d", path, fi.Size(), maxFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read client config: %w", err)
	}
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("client config %s: %w", path, err)
	}
	if len(c.Servers) == 0 {
		return nil, errors.New("client config " + path + ": servers: at least one master address is required")
	}
	return &c, nil
}

// Save writes c to path atomically, readable only by its owner.
func Save(path string, c *Config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write client config: %w", err)
	}
	return os.Rename(tmp, path)
}
