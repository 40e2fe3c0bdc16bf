package client

import (
	"context"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
)

// ErrPaging is returned by ListAll when a server repeats a continue token.
var ErrPaging = errors.New("client: list paging did not advance")

// Get reads one object (linearizable), retrying as reads do.
func (c *Client) Get(ctx context.Context, kind, namespace, name string) (*gantryv1.Object, error) {
	req := &gantryv1.GetRequest{Kind: kind, Namespace: namespace, Name: name}
	resp, err := retryRead(ctx, c, "Get", func(ctx context.Context) (*gantryv1.GetResponse, error) {
		return c.res.Get(ctx, req)
	})
	return resp.GetObject(), err
}

// List reads one page, retrying as reads do.
func (c *Client) List(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	return retryRead(ctx, c, "List", func(ctx context.Context) (*gantryv1.ListResponse, error) {
		return c.res.List(ctx, req)
	})
}

// ListAll reads every page of req (pages of req.Limit, 0 meaning the
// server's maximum) and returns the items of all of them with the FIRST
// page's resource_version: later pages were read at newer state, so a
// watch from that version replays some of their changes, which consumers
// must ignore by comparing resource versions. req is not modified.
func (c *Client) ListAll(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	page := &gantryv1.ListRequest{
		Kind: req.GetKind(), Namespace: req.GetNamespace(),
		LabelSelector: req.GetLabelSelector(), FieldSelector: req.GetFieldSelector(),
		Limit: req.GetLimit(), ContinueToken: req.GetContinueToken(),
		Consistency: req.GetConsistency(), MinResourceVersion: req.GetMinResourceVersion(),
	}
	out := &gantryv1.ListResponse{}
	for {
		resp, err := c.List(ctx, page)
		if err != nil {
			return nil, err
		}
		if out.ResourceVersion == "" {
			out.ResourceVersion = resp.GetResourceVersion()
		}
		out.Items = append(out.Items, resp.GetItems()...)
		next := resp.GetContinueToken()
		if next == "" {
			return out, nil
		}
		if next == page.ContinueToken {
			return nil, fmt.Errorf("%w: token %q repeated", ErrPaging, next)
		}
		page.ContinueToken = next
	}
}

// Create stores a new object and returns it as stored.
func (c *Client) Create(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	req := &gantryv1.CreateRequest{Object: obj}
	resp, err := retryWrite(ctx, c, "Create", func(ctx context.Context, o grpc.CallOption) (*gantryv1.CreateResponse, error) {
		return c.res.Create(ctx, req, o)
	})
	return resp.GetObject(), err
}

// Update replaces an object's spec and metadata; obj's resource_version
// must match the stored one (ABORTED otherwise: re-read and try again).
func (c *Client) Update(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	req := &gantryv1.UpdateRequest{Object: obj}
	resp, err := retryWrite(ctx, c, "Update", func(ctx context.Context, o grpc.CallOption) (*gantryv1.UpdateResponse, error) {
		return c.res.Update(ctx, req, o)
	})
	return resp.GetObject(), err
}

// UpdateStatus replaces an object's status.
func (c *Client) UpdateStatus(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	req := &gantryv1.UpdateStatusRequest{Object: obj}
	resp, err := retryWrite(ctx, c, "UpdateStatus", func(ctx context.Context, o grpc.CallOption) (*gantryv1.UpdateStatusResponse, error) {
		return c.res.UpdateStatus(ctx, req, o)
	})
	return resp.GetObject(), err
}

// Delete deletes an object and returns it as deleted (or as marked for
// deletion when finalizers keep it).
func (c *Client) Delete(ctx context.Context, req *gantryv1.DeleteRequest) (*gantryv1.Object, error) {
	resp, err := retryWrite(ctx, c, "Delete", func(ctx context.Context, o grpc.CallOption) (*gantryv1.DeleteResponse, error) {
		return c.res.Delete(ctx, req, o)
	})
	return resp.GetObject(), err
}
