package ctl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
)

// TestExecuteClosesTheClientOnFailure: a verb that dialled and failed does
// not leave its connection open (cobra skips PersistentPostRun then).
func TestExecuteClosesTheClientOnFailure(t *testing.T) {
	c := newOpsCluster(t)
	var errOut strings.Builder
	root, e := newRoot(Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &errOut})
	var dialled *client.Client
	root.AddCommand(&cobra.Command{Use: "dial-and-fail", RunE: func(cmd *cobra.Command, _ []string) error {
		cl, err := e.client()
		if err != nil {
			return err
		}
		if _, err := cl.Get(cmd.Context(), apimeta.KindNamespace, "", "default"); err != nil {
			return err
		}
		dialled = cl
		return errors.New("boom")
	}})
	code := execute(context.Background(), root, e, []string{"--server", c.servers, "dial-and-fail"})
	if code != 1 || errOut.String() != "error: boom\n" || dialled == nil {
		t.Fatalf("exit %d, stderr %q, dialled %v", code, errOut.String(), dialled != nil)
	}
	if e.cl != nil {
		t.Fatal("the env still holds its client")
	}
	if _, err := dialled.Get(context.Background(), apimeta.KindNamespace, "", "default"); err == nil {
		t.Fatal("the client still works after the command ended: it was not closed")
	}
}
