// Package bench owns "gantry bench": a benchmark of a three-master Gantry
// cluster that measures what etcd's benchmark tool measures, so the two can
// be compared on one machine.
//
// Sections (Config.Sections; all by default):
//
//   - write: throughput and latency of Creates of ConfigMaps with one
//     ValueSize (1 KiB) value, by closed-loop clients at each level of
//     WriteClients, spread round robin over every master (writes to
//     followers are forwarded to the leader) and, as a contrast, all sent
//     to the leader;
//   - read: Gets of pre-created ConfigMaps, linearizable (the default) and
//     STALE, at each level of ReadClients;
//   - watch: WatchCounts watchers of one namespace spread over the masters
//     while one open-loop writer creates WatchRate objects a second; the
//     delivery latency is receive time minus the send time the writer put
//     in an annotation (one machine, one clock), and every watcher must
//     receive every acknowledged write exactly once;
//   - failover: writers run while the leader is SIGKILLed; it reports the
//     longest interval without a successful write and checks that every
//     acknowledged create is readable on every master afterwards.
//
// Clients: every FanOut closed-loop clients share one client.Client (one
// HTTP/2 connection to each master, calls round robin over them); watchers
// share one raw connection to their master per WatchersPerConn. Payloads are
// built once; latencies go to per-client slices, merged and sorted at the
// end. Watch streams are read with a codec that keeps the wire bytes and
// reads only the fields it needs, so the benchmark's own decoding stays
// cheap next to the masters on a small machine.
//
// With no Servers and no Target, Run starts its own cluster with
// localcluster in a temporary directory (removed afterwards) and reports
// the CPU each master used per measurement, read from /proc.
package bench
