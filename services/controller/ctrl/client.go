package ctrl

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/internal/client"
)

// Client is what controllers need of the API.
type Client interface {
	Get(ctx context.Context, kind, namespace, name string) (*gantryv1.Object, error)
	Create(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error)
	Update(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error)
	UpdateStatus(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error)
	Delete(ctx context.Context, req *gantryv1.DeleteRequest) (*gantryv1.Object, error)
	// Batch applies independent writes in one Raft entry.
	Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error)
}

// APIClient adapts *client.Client to Client: its Batch retries only what
// the server said it did not apply (NOT_APPLIED), like the client's other
// writes.
type APIClient struct {
	*client.Client
	// Backoff spaces Batch retries; MaxRetries bounds them.
	Backoff    client.Backoff
	MaxRetries int
}

// NewAPIClient wraps c.
func NewAPIClient(c *client.Client) *APIClient {
	return &APIClient{Client: c, Backoff: client.DefaultBackoff(), MaxRetries: 8}
}

// Batch sends req, retrying while the masters say NOT_APPLIED.
func (a *APIClient) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	for attempt := 0; ; attempt++ {
		resp, err := a.Resources().Batch(ctx, req)
		if err == nil || attempt >= a.MaxRetries || !apistatus.WriteRetryable(err) || ctx.Err() != nil {
			return resp, err
		}
		t := time.NewTimer(a.Backoff.Delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}
