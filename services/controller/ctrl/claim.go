package ctrl

import (
	"context"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/labels"
)

// Claimer adopts and releases objects for one controller object, as
// Kubernetes' ControllerRefManager does: an owned object that stops
// matching the selector is released (its controller reference removed),
// a matching orphan is adopted (a controller reference added). Every write
// carries the cached resource_version.
type Claimer struct {
	Client Client
	// Owner is the controller object's metadata and OwnerKind its kind.
	Owner     *gantryv1.ObjectMeta
	OwnerKind string
	Selector  labels.Selector
	// CanAdopt, when set, is called once before the first adoption; an
	// error stops adoptions (typically: a live read shows the owner is
	// being deleted or was replaced).
	CanAdopt func(ctx context.Context) error

	adoptChecked bool
	adoptErr     error
}

// Claim returns the objects among candidates that the owner controls after
// adopting and releasing, and the errors of the writes that failed.
// Candidates controlled by other objects are skipped.
func (c *Claimer) Claim(ctx context.Context, candidates []*gantryv1.Object) ([]*gantryv1.Object, error) {
	var out []*gantryv1.Object
	var errs []error
	for _, o := range candidates {
		claimed, err := c.claimOne(ctx, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if claimed != nil {
			out = append(out, claimed)
		}
	}
	return out, errors.Join(errs...)
}

func (c *Claimer) claimOne(ctx context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	m := Meta(o)
	matches := c.Selector.Matches(labels.Set(m.GetLabels()))
	ref := ControllerRef(m)
	switch {
	case ref != nil && ref.GetUid() == c.Owner.GetUid():
		if matches {
			return o, nil
		}
		if c.Owner.GetDeletionTimestamp() != nil {
			return nil, nil
		}
		return nil, c.release(ctx, o)
	case ref != nil:
		return nil, nil
	case !matches || m.GetDeletionTimestamp() != nil || c.Owner.GetDeletionTimestamp() != nil:
		return nil, nil
	}
	if !c.adoptChecked {
		c.adoptChecked = true
		if c.CanAdopt != nil {
			c.adoptErr = c.CanAdopt(ctx)
		}
	}
	if c.adoptErr != nil {
		return nil, c.adoptErr
	}
	return c.adopt(ctx, o)
}

func (c *Claimer) adopt(ctx context.Context, o *gantryv1.Object) (*gantryv1.Object, error) {
	next := proto.Clone(o).(*gantryv1.Object)
	m := apimeta.Meta(next)
	m.OwnerReferences = append(m.OwnerReferences, NewControllerRef(c.Owner, c.OwnerKind))
	updated, err := c.Client.Update(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("adopt %s %s: %w", apimeta.KindOf(o), Key(o), err)
	}
	return updated, nil
}

func (c *Claimer) release(ctx context.Context, o *gantryv1.Object) error {
	next := proto.Clone(o).(*gantryv1.Object)
	m := apimeta.Meta(next)
	m.OwnerReferences = WithoutOwner(m.GetOwnerReferences(), c.Owner.GetUid())
	if _, err := c.Client.Update(ctx, next); err != nil && !IsNotFound(err) {
		return fmt.Errorf("release %s %s: %w", apimeta.KindOf(o), Key(o), err)
	}
	return nil
}

// OwnerStillCurrent returns a CanAdopt check that reads the owner live and
// refuses adoption when it is gone, replaced (another uid) or being
// deleted.
func OwnerStillCurrent(c Client, kind string, owner *gantryv1.ObjectMeta) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		fresh, err := c.Get(ctx, kind, owner.GetNamespace(), owner.GetName())
		if err != nil {
			return fmt.Errorf("recheck %s %s before adopting: %w", kind, owner.GetName(), err)
		}
		fm := Meta(fresh)
		if fm.GetUid() != owner.GetUid() {
			return fmt.Errorf("%w: %s %s was replaced (uid %s, not %s)", ErrNoAdopt, kind, owner.GetName(), fm.GetUid(), owner.GetUid())
		}
		if fm.GetDeletionTimestamp() != nil {
			return fmt.Errorf("%w: %s %s is being deleted", ErrNoAdopt, kind, owner.GetName())
		}
		return nil
	}
}

// ErrNoAdopt is wrapped when an owner may not adopt.
var ErrNoAdopt = errors.New("ctrl: owner may not adopt")
