"""The S3 overnight soak: run it, watch it, restore it, verify it, analyze it."""
