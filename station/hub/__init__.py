"""Several rooms, one day: stations replicate their journals and finished photos through a NATS JetStream hub.

`server` runs the hub (nats-server as a supervised child), `token` is the one line a station needs to join,
`link` is the workspace's side of the join (settings, token file, cursors), `replicator` publishes this station's
journal and keeps read-only replicas of the others, `view` builds the hub's own replicas for report and export.
"""
