"""The office's and the committee's exports as CSV and XLSX (R7.1, R14.6, P4): tables laid out
from the records of db/exports.py (sheets.py) and written in either format (tables.py)."""
