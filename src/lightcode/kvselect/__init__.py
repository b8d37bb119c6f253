"""Long-context decode with KV-cache block selection (PRISM-style photonic engine, Quest); see README.md."""
