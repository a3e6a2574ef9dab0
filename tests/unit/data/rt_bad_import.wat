;; Imports a function from a module pyedge does not provide.
(module
  (import "env" "launch_missiles" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
