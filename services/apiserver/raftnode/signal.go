package raftnode

import "sync"

// signal lets any number of goroutines wait for the next event without
// the notifier ever blocking.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// wait returns a channel closed at the next broadcast.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	ch := s.ch
	s.ch = make(chan struct{})
	s.mu.Unlock()
	close(ch)
}
