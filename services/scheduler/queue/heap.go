package queue

import "container/heap"

// podHeap is a heap of queued pods that tracks each pod's position, so a
// pod can be removed or re-sorted in O(log n).
type podHeap struct {
	items []*QueuedPod
	less  func(a, b *QueuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}

func (h *podHeap) Push(x any) {
	qp := x.(*QueuedPod)
	qp.index = len(h.items)
	h.items = append(h.items, qp)
}

func (h *podHeap) Pop() any {
	last := len(h.items) - 1
	qp := h.items[last]
	h.items[last] = nil
	h.items = h.items[:last]
	qp.index = -1
	return qp
}

func (h *podHeap) push(qp *QueuedPod)                  { heap.Push(h, qp) }
func (h *podHeap) pop() *QueuedPod                     { return heap.Pop(h).(*QueuedPod) }
func (h *podHeap) remove(qp *QueuedPod)                { heap.Remove(h, qp.index) }
func (h *podHeap) fix(qp *QueuedPod)                   { heap.Fix(h, qp.index) }
func (h *podHeap) peek() *QueuedPod                    { return h.items[0] }
func newHeap(less func(a, b *QueuedPod) bool) *podHeap { return &podHeap{less: less} }

// byPriority orders the active queue: higher priority first, then the
// order pods became active.
func byPriority(a, b *QueuedPod) bool {
	if pa, pb := a.Info.Priority, b.Info.Priority; pa != pb {
		return pa > pb
	}
	return a.seq < b.seq
}

// byBackoff orders the backoff queue by the end of each pod's backoff.
func byBackoff(a, b *QueuedPod) bool { return a.backoffUntil.Before(b.backoffUntil) }
