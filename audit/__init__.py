"""The audit log's verification and export (P4, P7; MLPS 2.0 安全审计).

`python -m audit verify` checks the hash chain in the database (or in an export file) and names
the first broken row; `python -m audit export` writes the log with its chain as JSON Lines or CSV.
The API offers the same: `GET /audit/verify`, `GET /audit/export?format=jsonl|csv`.
"""
