// Package expectations owns what a controller has asked the API to do but
// not yet seen in its caches, per controller key: how many creations are
// still to be observed, and which objects' deletions. A controller only
// acts on a key again once its expectations are satisfied, so a cache that
// lags behind the controller's own writes never makes it create or delete
// twice. Expectations expire after a TTL, so a lost watch event delays a
// controller but never wedges it.
package expectations
