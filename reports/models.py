# Report models (highlights, export jobs) arrive with the communications issue.
