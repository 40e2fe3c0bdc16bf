// Package schedbench owns "gantry bench schedule": it starts three
// masters, the scheduler, the controller manager and one process playing
// many simulated nodes, creates a Deployment, and measures how long its
// pods take to be bound, to run, and to be deleted, with every process's
// peak memory.
package schedbench
