"""Query counts of the key pages (QUALITY.md, Performance): each page, as the person who uses it, runs the same
number of queries at a small size and a large one, within the limit for its kind of page. Times are never
asserted here; `make bench` measures them."""
