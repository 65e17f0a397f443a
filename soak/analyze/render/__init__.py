"""The analysis for people: plain text and Markdown (text), the bug report a failed run's Markdown is (bug_report),
self-contained HTML (html) and its charts."""
