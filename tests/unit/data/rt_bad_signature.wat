;; Imports a pyedge host function with the wrong signature.
(module
  (import "pyedge" "version" (func (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
