"""HTTP service: scrubbing before submission."""
