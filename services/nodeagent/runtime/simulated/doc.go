// Package simulated owns the runtime of hollow nodes (as kwok's): containers
// "run" from the moment they start, without any process, until they are
// stopped. It keeps nothing on disk and serves empty logs.
package simulated
