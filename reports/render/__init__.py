"""Writers of the annual report: each takes what reports/report.py assembled and lays it
out in one format. `svg` draws the charts (for the page, the PDF and Word), `pdf` and
`word` write the report, `spreadsheets` the data behind it (CSV and XLSX). None of them
reads the database."""
