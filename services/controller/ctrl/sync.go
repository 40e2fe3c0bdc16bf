package ctrl

import (
	"context"
	"time"
)

// Synced is what WaitForSync needs of a cache.
type Synced interface{ HasSynced() bool }

// WaitForSync polls until every cache has synced or ctx ends (its error).
func WaitForSync(ctx context.Context, caches ...Synced) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		all := true
		for _, c := range caches {
			all = all && c.HasSynced()
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SplitKey splits "namespace/name" (or "name" for cluster-scoped kinds).
func SplitKey(key string) (namespace, name string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
