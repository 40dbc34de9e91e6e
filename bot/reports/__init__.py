"""Report files: the JSON/CSV data of the public contract, the XLSX form and the charts."""
