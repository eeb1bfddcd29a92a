"""The API's routes, one module per document: analytics, jobs, signed files, and the service's own."""
