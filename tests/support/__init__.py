"""What many tests share: the project's paths, the real invoke CLI, git checkouts, an S3 server, HTTP servers."""
