"""Ingest: corpus files to cleaned documents (load), feed dumps to Markdown (feed), vetted uploads (corpus) and
documents to chunks (chunk)."""
