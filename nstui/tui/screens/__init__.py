"""One screen a file; the app switches between them with 1-5."""
