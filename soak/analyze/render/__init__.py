"""The analysis for people: plain text and Markdown (text), self-contained HTML (html) and its charts."""
