package clientconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "config.yaml")
	want := &Config{Servers: []string{"127.0.0.1:7001", "127.0.0.1:7002"}}
	if err := Save(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Load = %v, %v; want %v", got, err, want)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty":   "servers: []\n",
		"unknown": "servers: [a:1]\nfoo: bar\n",
		"syntax":  "servers: [\n",
	} {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o600)
		if _, err := Load(p); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}

func TestPathHonoursEnv(t *testing.T) {
	t.Setenv(EnvVar, "/x/y.yaml")
	if p, _ := Path(); p != "/x/y.yaml" {
		t.Fatalf("Path = %q", p)
	}
}
