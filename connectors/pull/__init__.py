"""Connectors beyond files: scheduled pulls from HTTP APIs and SQL databases, signed inbound
events, and virtual sources whose payload stays in the source and is fetched live.

`config` validates a source's `connector:` block (the catalog, SPEC §2); `http` and `sql` read
pages from a real peer; `sync` runs one pull as an import batch through the importer's upsert;
`events` applies signed change events; `virtual` fetches a virtual source's payload on request.
"""
