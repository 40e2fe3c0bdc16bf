// Package printer owns how gantryctl shows lists of objects: kubectl's
// tables (one column set per kind, -o wide, -A's NAMESPACE column), the
// streaming table of `get -w`, and `-o name`. It formats only: callers
// fetch, sort and filter the objects and say "No resources found".
package printer
