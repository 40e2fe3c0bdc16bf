package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/gantryio/gantry/services/apiserver/watch"
)

// maxPage bounds one List response; a larger (or unlimited) list is
// returned in pages with a continue_token.
const maxPage = 5000

// List returns one page of the objects of a kind.
func (s *Service) List(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error) {
	f, err := newFilter(req.GetKind(), req.GetNamespace(), req.GetLabelSelector(), req.GetFieldSelector())
	if err != nil {
		return nil, toStatus(err)
	}
	limit := int(req.GetLimit())
	if req.GetLimit() < 0 {
		return nil, toStatus(fmt.Errorf("%w: limit: Invalid value: %d: must be >= 0", errInvalid, req.GetLimit()))
	}
	if limit == 0 || limit > maxPage {
		limit = maxPage
	}
	after, err := decodeContinue(req.GetContinueToken(), f)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.consistent(ctx, req.GetConsistency(), req.GetMinResourceVersion()); err != nil {
		return nil, toStatus(err)
	}
	page, err := s.st.List(f.Kind.Name, store.ListOptions{Namespace: f.Namespace, After: after, Limit: limit, Match: f.Match})
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &gantryv1.ListResponse{Items: page.Items, ResourceVersion: apimeta.FormatResourceVersion(page.Revision)}
	if page.Next != "" {
		resp.ContinueToken = encodeContinue(page.Next, f)
	}
	return resp, nil
}

// newFilter parses the kind, namespace and selectors of a list or watch.
func newFilter(kind, ns, labelSel, fieldSel string) (*watch.Filter, error) {
	info, ns, err := kindAndNamespace(kind, ns, false)
	if err != nil {
		return nil, err
	}
	f := &watch.Filter{Kind: info, Namespace: ns}
	if labelSel != "" {
		if f.Labels, err = selector.ParseLabels(labelSel); err != nil {
			return nil, fmt.Errorf("%w: label_selector: %v", errInvalid, err)
		}
	}
	if fieldSel != "" {
		if f.Fields, err = selector.ParseFields(info.Name, fieldSel); err != nil {
			return nil, fmt.Errorf("%w: field_selector: %v", errInvalid, err)
		}
	}
	return f, nil
}

// continueToken is the opaque cursor of a paginated list. Later pages show
// the state at the time they are read; an informer that watches from the
// first page's resource_version still converges, as with Kubernetes'
// inconsistent continue.
type continueToken struct {
	Kind string `json:"k"`
	NS   string `json:"n,omitempty"`
	Sel  string `json:"s,omitempty"`
	Last string `json:"l"`
}

func encodeContinue(last string, f *watch.Filter) string {
	b, _ := json.Marshal(continueToken{Kind: f.Kind.Name, NS: f.Namespace, Sel: selectorKey(f), Last: last})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(tok string, f *watch.Filter) (string, error) {
	if tok == "" {
		return "", nil
	}
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Last == "" {
		return "", fmt.Errorf("%w: continue_token: Invalid value: malformed token", errInvalid)
	}
	if t.Kind != f.Kind.Name || t.NS != f.Namespace || t.Sel != selectorKey(f) {
		return "", fmt.Errorf("%w: continue_token: Invalid value: the token belongs to a different list (kind, namespace or selectors changed)", errInvalid)
	}
	return t.Last, nil
}

func selectorKey(f *watch.Filter) string {
	s := f.Fields.String()
	if f.Labels != nil {
		s = f.Labels.String() + "|" + s
	}
	return s
}

// Watch streams changes.
func (s *Service) Watch(req *gantryv1.WatchRequest, stream gantryv1.ResourceService_WatchServer) error {
	f, err := newFilter(req.GetKind(), req.GetNamespace(), req.GetLabelSelector(), req.GetFieldSelector())
	if err != nil {
		return toStatus(err)
	}
	if rv, perr := apimeta.ParseResourceVersion(req.GetResourceVersion()); req.GetSendInitialEvents() && perr == nil && rv == 0 {
		// The initial events are a read like List: linearizable, so they
		// hold every write that finished before the watch began.
		if err := s.consistent(stream.Context(), gantryv1.Consistency_CONSISTENCY_LINEARIZABLE, ""); err != nil {
			return toStatus(err)
		}
	}
	return toStatus(s.watch.Serve(stream.Context(), req, f, stream))
}
