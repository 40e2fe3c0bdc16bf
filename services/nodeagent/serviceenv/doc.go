// Package serviceenv owns the environment variables the node agent gives
// containers for the Services of their namespace, as the kubelet does
// (WEB_SERVICE_HOST, WEB_SERVICE_PORT, WEB_PORT_80_TCP_ADDR, ...): the
// variable names and values (vars.go) and the Service cache they are read
// from (source.go), one watch per agent process.
package serviceenv
