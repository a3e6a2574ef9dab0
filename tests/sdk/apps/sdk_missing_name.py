from spin_sdk import frobnicate  # noqa: F401  (pyedge has no such module)
