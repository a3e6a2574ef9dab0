"""spin_sdk.wit.imports: error variants of the host interfaces pyedge implements."""
