// Package clock owns the scheduler's notion of time: a Clock interface
// that tells time and makes timers, the real clock, and a manual Fake for
// tests, so backoff and flush timers need no sleeps in tests.
package clock
