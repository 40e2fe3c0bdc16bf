package process

import (
	"fmt"
	"os"
	"path/filepath"
	gort "runtime"
	"strings"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"golang.org/x/sys/unix"
)

// hostResolvConf is the file a pod's resolv.conf is mounted over.
const hostResolvConf = "/etc/resolv.conf"

// enterPod moves the calling OS thread into the pod's network namespace
// (netns "": the host's) and, when resolvConf is set, into a mount
// namespace of its own in which resolvConf is bind-mounted over
// /etc/resolv.conf; processes forked from the thread are born inside both.
// The thread stays locked: it must never run anything else.
func enterPod(netns, resolvConf string) error {
	if netns != "" {
		if err := enterNetNS(netns); err != nil {
			return err
		}
	}
	if resolvConf != "" {
		return enterMountNS(resolvConf)
	}
	return nil
}

// enterMountNS gives the calling OS thread a mount namespace of its own
// with resolvConf over /etc/resolv.conf. A container is a host process
// that shares the host's file system, so this one file is all that
// differs. unshare(CLONE_NEWNS) works on one thread of a multithreaded
// process (it unshares that thread's file system attributes); it needs
// CAP_SYS_ADMIN. The copy of the host's mounts receives the host's later
// mounts and unmounts (slave) and sends none back.
func enterMountNS(resolvConf string) error {
	gort.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("mount namespace for the pod's resolv.conf: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount namespace for the pod's resolv.conf: make / a slave: %w", err)
	}
	if err := unix.Mount(resolvConf, hostResolvConf, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mount the pod's resolv.conf over %s: %w", hostResolvConf, err)
	}
	return nil
}

// Limits of a resolv.conf, as glibc reads it and the kubelet enforces.
const (
	maxNameservers = 3
	maxSearches    = 32
	maxSearchChars = 2048
)

// writeResolvConf writes the pod's resolv.conf into dir and returns its
// path. Entries with blanks are refused: they would break the format.
func writeResolvConf(dir string, c *runtime.DNSConfig) (string, error) {
	switch {
	case len(c.Servers) == 0 || len(c.Servers) > maxNameservers:
		return "", fmt.Errorf("%d nameservers: want 1 to %d", len(c.Servers), maxNameservers)
	case len(c.Searches) > maxSearches || len(strings.Join(c.Searches, " ")) > maxSearchChars:
		return "", fmt.Errorf("search list over %d domains or %d characters", maxSearches, maxSearchChars)
	}
	var b strings.Builder
	for _, s := range c.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(c.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(c.Searches, " "))
	}
	if len(c.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(c.Options, " "))
	}
	for _, v := range append(append(append([]string{}, c.Servers...), c.Searches...), c.Options...) {
		if v == "" || strings.ContainsAny(v, " \t\r\n#;") {
			return "", fmt.Errorf("resolv.conf entry %q: must be one word", v)
		}
	}
	path := filepath.Join(dir, resolvFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
